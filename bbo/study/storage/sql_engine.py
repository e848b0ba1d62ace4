"""Engines, transactions and driver errors of :class:`~bbo.study.storage.sql.SQLStorage`.

:func:`make_engine` turns a storage URL into a SQLAlchemy engine set up for bbo:

- SQLite: the file's folder must exist (a typo in a path is an error, not a new folder);
  every write transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time) and a
  read with a deferred ``BEGIN`` (:meth:`SQLDatabase._read`), WAL journal (readers never
  block), ``busy_timeout`` (writers queue instead of failing),
  ``synchronous=FULL`` (a committed tell survives a crash), foreign keys on. An in-memory
  database is refused (it is private to one connection).
- PostgreSQL (psycopg 3; ``postgresql://`` and ``postgres://`` URLs get that driver):
  READ COMMITTED whatever the server's default (the row locks of the storage rely on it); a
  pooled connection is pinged only after it sat idle (:func:`_ping_when_idle`).

:class:`SQLDatabase` holds the engine and gives the storage its transactions
(:meth:`SQLDatabase._tx`), single-statement reads (:meth:`SQLDatabase._read`, autocommit on
PostgreSQL) and the mapping of driver errors to bbo errors: a deadlock or serialization
failure becomes ConcurrentUpdateError (the caller retries), a value the server refuses
(NaN/Infinity inside a JSON column, a NUL character in a text) InvalidValueError, anything
else operational StorageError. It also creates the schema of :mod:`.sql_schema`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, OperationalError

from bbo.exceptions import ConcurrentUpdateError, InvalidValueError, StorageError
from bbo.study.storage.sql_schema import SCHEMA_VERSION, meta_table, metadata

_SCHEMA_LOCK = 0x62626F5F736368  # pg_advisory_xact_lock key ("bbo_sch") for schema creation
_PING_AFTER_IDLE_S = 1.0  # PostgreSQL: check a pooled connection idle for longer than this
_RETRY_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock"}
_READ_ONLY = "bbo_read_only"  # execution option: a SQLite read transaction (deferred BEGIN)


def _wal(cur: Any, wait: float = 60.0) -> None:
    """Put the SQLite file in WAL mode (persistent: a file already in it needs no lock).
    Switching needs an exclusive lock that SQLite may refuse at once, without its busy
    handler, while other processes open the same new file (seen with four workers starting
    together on a loaded machine): retried with backoff for up to ``wait`` seconds."""
    deadline, pause = time.monotonic() + wait, 0.01
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.5)


def make_engine(url: str) -> Engine:
    """The engine for the storage URL ``url`` (see the module docstring); a malformed URL,
    an in-memory SQLite database or a missing driver raise :class:`StorageError`."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError as e:
        raise StorageError(
            f"storage URL {url!r} is malformed ({e}); use e.g. sqlite:///study.db or "
            "postgresql://user:pass@host/db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise StorageError(
                f"storage URL {url!r}: an in-memory SQLite database is private to one "
                "connection; use storage=None for in-memory studies or sqlite:///FILE"
            )
        folder = Path(parsed.database).expanduser().parent
        if not folder.is_dir():  # a typo in the path must not start a study somewhere new
            raise StorageError(
                f"storage URL {url!r}: the folder {folder} does not exist; bbo creates the "
                "database file, not folders (check the path, or create the folder first)"
            )
        engine = sa.create_engine(parsed, connect_args={"timeout": 60.0})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            _wal(cur)
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    is_pg = parsed.get_backend_name() == "postgresql"
    try:
        if is_pg:  # the row locks rely on READ COMMITTED; idle connections are pinged below
            engine = sa.create_engine(parsed, isolation_level="READ COMMITTED")
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
    except ImportError as e:
        hint = " (pip install 'bbo[postgres]')" if "psycopg" in str(e) else ""
        shown = parsed.render_as_string(hide_password=True)
        raise StorageError(f"storage URL {shown!r}: driver missing: {e}{hint}") from None
    except ArgumentError as e:
        raise StorageError(f"storage URL {url!r}: {e}") from None
    if is_pg:
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it sat idle for ``_PING_AFTER_IDLE_S``
    (the server may have restarted or dropped it meanwhile); a dead one is replaced. A busy
    replica reuses its connections within milliseconds and skips the round trip that
    ``pool_pre_ping`` would spend on every checkout (a fifth of an ask+tell's)."""

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < _PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:  # the pool retries with a new connection
            raise sa.exc.DisconnectionError(f"idle connection is gone: {e}") from e


class SQLDatabase:
    """A database on any SQLAlchemy URL with bbo's schema: the engine, its transactions and
    the mapping of driver errors (the base of :class:`~bbo.study.storage.sql.SQLStorage`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = make_engine(url)
        self._shown = self._engine.url.render_as_string(hide_password=True)  # for messages
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = self._engine.execution_options(**{_READ_ONLY: True})  # SQLite reads
        # INSERT/UPDATE ... RETURNING on PostgreSQL; SQLite keeps its select-after-write path
        self._returning = not self._is_sqlite and bool(
            self._engine.dialect.insert_executemany_returning_sort_by_parameter_order
            and self._engine.dialect.update_returning
        )
        self._create_schema()

    def _create_schema(self) -> None:
        """Create the tables if missing and record the schema version; a database of an
        older version is migrated (its missing tables created, the version raised: see
        :data:`~.sql_schema.MIGRATIONS`); one written by a newer bbo (a higher version)
        raises :class:`StorageError`. On PostgreSQL a
        transaction-scoped advisory lock lets replicas starting together on an empty
        database take turns (DDL is transactional there)."""
        try:
            with self._tx() as conn:
                if not self._is_sqlite:  # replicas starting together: one creates, others wait
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                metadata.create_all(conn, checkfirst=True)
                row = conn.execute(
                    sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
                ).first()
                if row is None:
                    conn.execute(
                        sa.insert(meta_table).values(
                            key="schema_version", value=str(SCHEMA_VERSION)
                        )
                    )
                elif int(row[0]) > SCHEMA_VERSION:
                    raise StorageError(
                        f"{self._shown} holds schema version {row[0]}, newer than this bbo "
                        f"({SCHEMA_VERSION}); upgrade bbo"
                    )
                elif int(row[0]) < SCHEMA_VERSION:  # create_all made the new tables above
                    conn.execute(
                        sa.update(meta_table)
                        .where(meta_table.c.key == "schema_version")
                        .values(value=str(SCHEMA_VERSION))
                    )
        except IntegrityError:
            pass  # another process created the schema at the same moment

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One transaction (BEGIN IMMEDIATE on SQLite, READ COMMITTED on PostgreSQL)."""
        with self._errors(), self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection for *one* read-only statement. On PostgreSQL it runs in autocommit:
        a single statement sees one snapshot, and BEGIN/COMMIT would cost two more round
        trips. On SQLite it is a deferred transaction (``BEGIN``, not ``BEGIN IMMEDIATE``):
        under WAL it reads a snapshot without taking the write lock, so reads neither wait
        for a writer nor make one wait (a sleep of SQLite's busy handler, 1 to 100 ms).
        The hot single-statement reads skip even that: :meth:`_driver_read`."""
        if self._is_sqlite:
            with self._errors(), self._reader.begin() as conn:
                yield conn
            return
        with self._errors(), self._autocommit.connect() as conn:
            yield conn

    @contextmanager
    def _driver_read(self) -> Iterator[sqlite3.Connection]:
        """SQLite: a pooled ``sqlite3`` connection for *one* read-only statement, run in
        autocommit mode (a snapshot of its own, no write lock), without a SQLAlchemy
        connection or BEGIN/COMMIT: the reads of every ask and tell
        (:mod:`.sql_fast`)."""
        with self._errors():
            raw = self._engine.raw_connection()
            try:
                yield raw.driver_connection  # type: ignore[misc]
            finally:
                raw.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Map driver errors to bbo errors."""
        try:
            yield
        except sqlite3.OperationalError as e:  # raised on a driver connection
            raise StorageError(f"storage {self._shown} is unreachable or locked: {e}") from e
        except DataError as e:
            raise InvalidValueError(
                f"storage {self._shown} refused a value (PostgreSQL stores no NaN/Infinity in "
                f"JSON and no NUL character in text): {e.orig}"
            ) from e
        except OperationalError as e:
            code = getattr(e.orig, "sqlstate", None)
            if code in _RETRY_SQLSTATES:
                raise ConcurrentUpdateError(
                    f"{_RETRY_SQLSTATES[code]} between concurrent writers; retry: {e.orig}"
                ) from e
            raise StorageError(f"storage {self._shown} is unreachable or locked: {e.orig}") from e

    def close(self) -> None:
        self._engine.dispose()


__all__ = ["SQLDatabase", "make_engine"]
