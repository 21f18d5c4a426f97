"""``aquaflag review`` on the command line, the demo store, the token file, plotly's assets, lazy imports."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from aquaflag.cli import main
from aquaflag.review import demo_hint, demo_store, load_tokens
from aquaflag.store import open_store


def one_line_error(capsys, argv, words) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("aquaflag: error:") and "\n" not in err and words in err, err


def test_cli_errors_are_one_line(tmp_path, capsys, demo_path, monkeypatch):
    monkeypatch.delenv("AQUAFLAG_REVIEW_TOKENS", raising=False)
    one_line_error(capsys, ["review", str(tmp_path / "none.sqlite")], "no store")
    one_line_error(capsys, ["review"], "give the QC store")
    one_line_error(capsys, ["review", str(demo_path), "--host", "0.0.0.0"], "needs reviewer tokens")
    bad = tmp_path / "tokens.txt"
    bad.write_text("kim short\n", encoding="utf-8")
    one_line_error(capsys, ["review", str(demo_path), "--token-file", str(bad)], "shorter than 16")
    bad.write_text("kim tok-0123456789abcdef\nlee tok-0123456789abcdef\n", encoding="utf-8")
    one_line_error(capsys, ["review", str(demo_path), "--token-file", str(bad)], "already given to 'kim'")
    one_line_error(capsys, ["review", str(demo_path), "--token-file", str(tmp_path / "nope")], "cannot read")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        one_line_error(capsys, ["review", str(demo_path), "--port", str(port)], "choose another --port")


def test_new_token_and_token_file(tmp_path, capsys, monkeypatch):
    assert main(["review", "--new-token", "Kim Min-ji"]) == 0
    line = capsys.readouterr().out.strip()
    name, token = line.rsplit(" ", 1)
    assert name == "Kim Min-ji" and len(token) >= 32
    f = tmp_path / "tokens.txt"
    f.write_text(f"# reviewers\n{line}\n\nLee tok-lee-0123456789abcdef\n", encoding="utf-8")
    monkeypatch.setenv("AQUAFLAG_REVIEW_TOKENS", "Park tok-park-0123456789abcd; Choi tok-choi-0123456789abcd")
    assert load_tokens(f) == {token: "Kim Min-ji", "tok-lee-0123456789abcdef": "Lee",
                              "tok-park-0123456789abcd": "Park", "tok-choi-0123456789abcd": "Choi"}
    assert load_tokens(f, env=False) == {token: "Kim Min-ji", "tok-lee-0123456789abcdef": "Lee"}


def test_demo_store_and_the_rerun_it_prints(tmp_path):
    from aquaflag import io as aio
    from aquaflag.datasets import demo

    path = demo_store(tmp_path)
    assert path == tmp_path / "qc-store.sqlite" and (tmp_path / "qc-store.toml").exists()
    with open_store(path) as store:
        assert len(store.series()) == 12 and len(store.runs()) == 1
        t = store.values("pH(Mun-Ui)").index[10]
        store.decide("pH(Mun-Ui)", t, action="reject", reviewer="kim", reason="practice")
    aio.write(demo(), tmp_path / "demo_data.csv")  # what `aquaflag demo` writes
    hint = demo_hint(path, tmp_path / "demo_data.csv")
    assert hint.splitlines()[0].startswith("review the flags in your browser: aquaflag review ")
    rerun = hint.splitlines()[1].split(": ", 1)[1].split()
    assert rerun[:3] == ["aquaflag", "run", "--store"]
    assert main(rerun[1:] + ["--out", str(tmp_path / "out"), "--no-plots", "-q"]) == 0
    with open_store(path) as store:
        assert len(store.runs()) == 2
        assert int(store.flags("pH(Mun-Ui)").loc[t, "pH(Mun-Ui)"]) == 4  # the decision holds
    again = demo_store(tmp_path)  # fresh by default
    with open_store(again) as store:
        assert len(store.decisions()) == 0 and len(store.runs()) == 1


def test_plotly_styles_are_read_from_the_installed_plotly():
    from aquaflag.review._assets import page_html, plotly_css, plotly_rules, plotly_sheets

    rules = dict(plotly_rules())
    assert len(rules) > 30
    assert ".js-plotly-plot .plotly .modebar" in rules
    assert all(not sel.startswith("X") for sel in rules)
    assert plotly_css().startswith(b"/*")
    page = page_html().decode()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in page
    for key in plotly_sheets():
        assert f'id="{key}"' in page


def test_import_aquaflag_and_the_review_package_stay_light():
    code = ("import sys, aquaflag, aquaflag.review; "
            "loaded = [m for m in ('starlette', 'uvicorn', 'sqlalchemy', 'plotly') if m in sys.modules]; "
            "assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_extra_says_how_to_install(monkeypatch):
    import aquaflag.review as review
    from aquaflag._optional import MissingDependency

    monkeypatch.setitem(sys.modules, "starlette", None)  # as if Starlette were not installed
    with pytest.raises(MissingDependency, match=r"pip install 'aquaflag\[review\]'"):
        review.create_app("unused.sqlite")
