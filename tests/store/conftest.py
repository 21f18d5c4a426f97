"""Fixtures of the store tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``AQUAFLAG_TEST_POSTGRES_URL`` when set (any database the
user may create schemas in), else from a throw-away server this module starts
in a temporary folder (``initdb`` + ``pg_ctl`` from /usr/lib/postgresql/*/bin or
PATH, run as the ``postgres`` user when the tests run as root) on a free port,
and stops at the end of the session. Each test gets its own schema. Without
PostgreSQL the PostgreSQL cases skip and say how to get it; the SQLite cases
always run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

sa = pytest.importorskip("sqlalchemy", reason="the store needs SQLAlchemy: pip install 'aquaflag[store]'")

HOW = ("install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) so that initdb and pg_ctl are in "
       "/usr/lib/postgresql/*/bin or on PATH, or set AQUAFLAG_TEST_POSTGRES_URL=postgresql://user@host:port/db")


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A throw-away PostgreSQL server, or the reason there is none."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.reason = ""
        self._stop = None

    def start(self) -> None:
        env_url = os.environ.get("AQUAFLAG_TEST_POSTGRES_URL")
        if env_url:
            self.url = env_url
            return
        import importlib.util

        if importlib.util.find_spec("psycopg") is None:
            self.reason = "psycopg is not installed: pip install 'aquaflag[postgresql]'"
            return
        bindir = _pg_bin()
        if bindir is None:
            self.reason = f"PostgreSQL is not available: {HOW}"
            return
        user_prefix: list[str] = []
        root = Path(tempfile.mkdtemp(prefix="aquaflag-pg-"))
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            import pwd

            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                self.reason = f"tests run as root and there is no 'postgres' user to run the server; {HOW}"
                return
            os.chown(root, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            user_prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s",
                                                                            "/bin/sh", "-c"]
        port = _free_port()
        data = root / "data"

        def run(args: list[str]) -> subprocess.CompletedProcess:
            if user_prefix and user_prefix[0] == "su":
                import shlex

                args = user_prefix + [" ".join(shlex.quote(a) for a in args)]
            else:
                args = user_prefix + args
            return subprocess.run(args, capture_output=True, text=True, timeout=120)

        done = run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-sync"])
        if done.returncode != 0:
            self.reason = f"initdb failed ({done.stderr.strip()[-300:]}); {HOW}"
            shutil.rmtree(root, ignore_errors=True)
            return
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        done = run([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"),
                    "-w", "-t", "60", "start"])
        if done.returncode != 0:
            log = (root / "log").read_text(errors="replace")[-300:] if (root / "log").exists() else ""
            self.reason = f"pg_ctl start failed ({done.stderr.strip()[-200:]} {log}); {HOW}"
            shutil.rmtree(root, ignore_errors=True)
            return
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

        def stop() -> None:
            run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
            shutil.rmtree(root, ignore_errors=True)

        self._stop = stop

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()


@pytest.fixture(scope="session")
def postgres_server():
    server = _Server()
    server.start()
    yield server
    server.stop()


def _schema_url(base: str, schema: str) -> str:
    url = sa.engine.make_url(base.replace("postgresql://", "postgresql+psycopg://", 1)
                             if base.startswith("postgresql://") else base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """A store target: a fresh SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "qc.sqlite")
        return
    server = request.getfixturevalue("postgres_server")
    if server.url is None:
        pytest.skip(server.reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_schema_url(server.url, "public"))
    with admin.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        yield _schema_url(server.url, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()


@pytest.fixture
def store(target):
    from aquaflag.store import open_store

    s = open_store(target)
    yield s
    s.close()
