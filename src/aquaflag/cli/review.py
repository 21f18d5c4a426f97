"""``aquaflag review STORE``: serve the review web app over a QC store."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["review"]


@click.command()
@click.argument("store", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything beyond this machine (e.g. 0.0.0.0) needs reviewer tokens.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0: a free one).")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Reviewers' tokens, one 'name token' line each (also: AQUAFLAG_REVIEW_TOKENS). "
                   "With tokens, every reviewer logs in and decisions carry the token's name.")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the charts' text.")
@click.option("--new-token", "new_token", metavar="NAME", default=None,
              help="Print a 'NAME token' line for a token file, and exit.")
def review(store, host, port, token_file, lang, new_token):
    """Serve a local web app to review the flags of the QC store STORE (a SQLite file or postgresql://...)."""
    from .._optional import require

    if new_token is not None:
        from ..review import new_token as make

        name = " ".join(new_token.split())
        if not name:
            raise click.UsageError("--new-token needs a reviewer name")
        click.echo(f"{name} {make()}")
        return
    if store is None:
        raise click.UsageError("give the QC store: aquaflag review qc.sqlite (or postgresql://...)")
    for module in ("starlette", "uvicorn"):
        require(module, extra="review", feature="aquaflag review")
    from ..review import load_tokens, serve
    from ..store import open_store

    tokens = load_tokens(token_file)
    if "://" not in store and not Path(store).exists():
        raise click.UsageError(f"no store {store!r}: make one with `aquaflag run --store {store} -c qc.toml DATA` "
                               "(or `aquaflag demo`)")
    serve(open_store(store), host=host, port=port, tokens=tokens or None, lang=lang,
          say=lambda line: click.echo(line))
