"""A throwaway PostgreSQL server for tests and benchmarks.

:class:`PostgresServer` runs ``initdb`` into a temporary folder and ``pg_ctl start`` on a
free loopback port (and a unix socket in that folder), with ``trust`` authentication for
the ``postgres`` role; :meth:`PostgresServer.create_database` returns the SQLAlchemy URL
(``postgresql+psycopg://postgres@127.0.0.1:PORT/NAME``) of a new, empty database, so that
every test gets its own. The server refuses to run as root, so under root the commands run
as the ``postgres`` system user that Debian's ``postgresql`` package creates.

Used by the pytest fixtures ``postgres_server`` / ``postgres_url`` (tests/conftest.py) and
by ``benchmarks/storage.py``::

    from bbo.testing.postgres import PostgresServer, postgres_unavailable

    if (why := postgres_unavailable()) is None:
        with PostgresServer() as pg:
            url = pg.create_database("demo")   # postgresql+psycopg://postgres@127.0.0.1:.../demo
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian's layout: one folder per major version
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_postgres_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``: ``$BBO_PG_BINDIR``, else
    the newest ``/usr/lib/postgresql/N/bin``, else the folder of ``pg_ctl`` on ``PATH``."""
    candidates: list[Path] = []
    if os.environ.get("BBO_PG_BINDIR"):
        candidates.append(Path(os.environ["BBO_PG_BINDIR"]))
    debian = sorted(Path("/").glob(_BIN_GLOB.lstrip("/")), key=_major, reverse=True)
    candidates += debian
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for d in candidates:
        if all((d / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


def _major(path: Path) -> int:
    try:
        return int(path.parent.name.split(".")[0])
    except ValueError:
        return -1


def _run_as() -> str | None:
    """The system user to run the server as: ``postgres`` under root, else ourselves."""
    return "postgres" if os.geteuid() == 0 else None


def postgres_unavailable() -> str | None:
    """Why a throwaway server cannot be started here, or None when it can."""
    if find_postgres_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
            "/usr/lib/postgresql/*/bin, $BBO_PG_BINDIR or PATH; install Debian's `postgresql` "
            "package (scripts/deps/postgres.sh does)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg 3 driver is not installed: pip install 'bbo[postgres]'"
    if _run_as() == "postgres":
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return (
                "running as root and there is no `postgres` system user to run the server "
                "as (PostgreSQL refuses to run as root); install Debian's `postgresql` package"
            )
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL server in a temporary folder, listening on 127.0.0.1:``port``.

    ``durable=False`` (tests) turns ``fsync``, ``synchronous_commit`` and
    ``full_page_writes`` off: a crash loses the throwaway data, nothing else changes.
    ``durable=True`` keeps the production defaults (benchmarks).
    """

    def __init__(self, *, durable: bool = False, max_connections: int = 200) -> None:
        self.durable = durable
        self.max_connections = max_connections
        self.port: int | None = None
        self.base: Path | None = None
        self._bindir: Path | None = None
        self._user = _run_as()
        self._admin: dict[str, Any] = {}  # database -> autocommit psycopg connection
        self._databases: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, *, timeout: float = 60.0) -> PostgresServer:
        why = postgres_unavailable()
        if why is not None:
            raise RuntimeError(why)
        self._bindir = find_postgres_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="bbo-pg-"))
        if self._user is not None:
            shutil.chown(self.base, user=self._user)
        data = self.base / "data"
        self._cmd(
            "initdb",
            ["-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]
            + ([] if self.durable else ["--no-sync"]),
            timeout=timeout,
        )
        opts = [
            "-c listen_addresses=127.0.0.1",
            f"-k {self.base}",
            f"-c max_connections={self.max_connections}",
        ]
        if not self.durable:
            opts += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        last = ""
        for _ in range(3):  # a port taken between _free_port() and the bind: try another
            self.port = _free_port()
            server_opts = " ".join([f"-p {self.port}", *opts])
            log, wait = str(self.base / "server.log"), str(int(timeout))
            res = self._cmd(
                "pg_ctl",
                ["-D", str(data), "-l", log, "-w", "-t", wait, "-o", server_opts, "start"],
                timeout=timeout + 5,
                check=False,
            )
            if res.returncode == 0:
                return self
            last = self.log_tail()
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{last}")

    def restart(self, *, timeout: float = 60.0) -> None:
        """Restart the server on the same port and data (fast shutdown: connections drop)."""
        if self.base is None:
            raise RuntimeError("the server is not started")
        data, log = str(self.base / "data"), str(self.base / "server.log")
        args = ["-D", data, "-l", log, "-m", "fast", "-w", "-t", str(int(timeout)), "restart"]
        self._cmd("pg_ctl", args, timeout=timeout + 5)  # -l: the server must not hold our pipes

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed) and delete its
        folder."""
        if self.base is None:
            return
        for conn in self._admin.values():
            conn.close()
        self._admin.clear()
        self._databases.clear()
        data = self.base / "data"
        if (data / "postmaster.pid").exists():
            self._cmd("pg_ctl", ["-D", str(data), "-m", "fast", "-w", "stop"], check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------
    def url(self, database: str = "postgres", *, driver: str = "psycopg") -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        if self.port is None:
            raise RuntimeError("the server is not started")
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` (lower-case letters, digits, ``_``) and return
        its URL."""
        if not _NAME.match(name):
            raise ValueError(f"database name must match {_NAME.pattern}, got {name!r}")
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing the connections still open to it."""
        if not _NAME.match(name):
            raise ValueError(f"database name must match {_NAME.pattern}, got {name!r}")
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def schema_url(self, name: str, database: str = "bbo") -> str:
        """A new, empty schema ``name`` in ``database`` (created once) and a URL whose
        connections use it (``search_path``) and carry ``application_name=name``: the cheap
        way (milliseconds, against a tenth of a second for a database) to give every test
        its own tables. :meth:`drop_schema` removes it and closes its connections."""
        if not _NAME.match(name) or not _NAME.match(database):
            raise ValueError(f"schema and database names must match {_NAME.pattern}")
        if database not in self._databases:
            if not self.execute(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
                self.execute(f'CREATE DATABASE "{database}"')
            self._databases.add(database)
        self.execute(f'CREATE SCHEMA "{name}"', database)
        return f"{self.url(database)}?options=-csearch_path%3D{name}&application_name={name}"

    def drop_schema(self, name: str, database: str = "bbo") -> None:
        """Close the connections of :meth:`schema_url` ``name`` and drop its schema."""
        if not _NAME.match(name) or not _NAME.match(database):
            raise ValueError(f"schema and database names must match {_NAME.pattern}")
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{name}'"
        )
        self.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE', database)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement in autocommit mode on a kept admin connection; its rows."""
        import psycopg

        for attempt in (0, 1):
            conn = self._admin.get(database)
            if conn is None or conn.closed:
                conn = self._admin[database] = psycopg.connect(
                    host="127.0.0.1", port=self.port, user="postgres", dbname=database
                )
                conn.autocommit = True
            try:
                cur = conn.execute(sql.encode())
                return list(cur.fetchall()) if cur.description else []
            except psycopg.OperationalError:  # dropped by a restart: reconnect once
                conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def log_tail(self, lines: int = 30) -> str:
        log = self.base / "server.log" if self.base else None
        if log is None or not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    # -- helpers ---------------------------------------------------------------------------
    def _cmd(
        self, exe: str, args: list[str], *, timeout: float = 60.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None and self.base is not None
        started = time.monotonic()
        res = subprocess.run(
            [str(self._bindir / exe), *args],
            user=self._user,
            cwd=self.base,  # readable by the server user (the caller's cwd may not be)
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and res.returncode != 0:
            raise RuntimeError(
                f"{exe} failed after {time.monotonic() - started:.1f} s "
                f"(exit {res.returncode}):\n{res.stdout}\n{res.stderr}"
            )
        return res


__all__ = ["PostgresServer", "find_postgres_bindir", "postgres_unavailable"]
