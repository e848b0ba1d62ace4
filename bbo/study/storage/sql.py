"""SQL storage through SQLAlchemy 2: SQLite (embedded default) and PostgreSQL, one code path.

Schema (created on first use; ``bbo_meta.schema_version`` guards future migrations)::

    studies(id PK, name UNIQUE, spec JSON, strategy_state JSON, created_at)
    trials(pk PK, study_id FK -> studies ON DELETE CASCADE, number, state, params JSON,
           metrics JSON, value, samples JSON, reason, attrs JSON, retry_of, client_id,
           lease_expires_at, created_at, finished_at, UNIQUE(study_id, number))

Concurrency: on SQLite every transaction starts with ``BEGIN IMMEDIATE`` (one writer at a
time, WAL journal so readers never block, ``busy_timeout`` so writers queue instead of
failing, ``synchronous=FULL`` so a committed tell survives a crash). On PostgreSQL
(psycopg 3; ``postgresql://`` and ``postgres://`` URLs get that driver) transactions run
at READ COMMITTED, whatever the server's default, with explicit row locks:

- numbering new trials (``create_trials``) locks the study row ``FOR UPDATE``; the count
  that follows is a new statement, so it sees every trial committed by the previous holder
  of the lock. Numbers are thus gapless and unique per study, the ``expected_count``
  compare-and-set is exact, and the strategy state is written under the same lock. Writers
  of *different* studies do not wait for each other.
- a tell (``finish_trial``) locks its trial row ``FOR UPDATE`` and re-reads it, so of two
  racing tells the second sees the first's result (idempotent or TrialFinishedError),
  never overwrites it.
- abandoning locks the still-RUNNING rows in id order (no deadlock between two
  abandoners) and changes only those; a tell that won the race keeps its result. A
  heartbeat locks the same rows in the same order.
- single-statement reads run in autocommit (one snapshot, no BEGIN/COMMIT round trips);
  a pooled connection is pinged only after it sat idle (see ``_ping_when_idle``).
- creating the schema takes a transaction-scoped advisory lock, so replicas starting
  together on an empty database do not collide (DDL is transactional on PostgreSQL).
- an ask holds a session advisory lock per study (:meth:`SQLStorage.ask_lock`) from its
  first read to its insert, so asks of one study from several replicas take turns instead
  of racing and re-proposing; the compare-and-set numbering stays as the safety net.

A deadlock or serialization failure reported by the server becomes ConcurrentUpdateError
(the caller retries); a value the server refuses (NaN/Infinity inside a JSON column, a NUL
character in a text) becomes InvalidValueError. Times are UNIX seconds (double precision).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, OperationalError

from bbo.exceptions import (
    BboError,
    ConcurrentUpdateError,
    InvalidValueError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.study.storage import filelock
from bbo.study.storage.base import NewTrial, Storage, StudyRecord, TrialResult
from bbo.trial import Trial, TrialState

SCHEMA_VERSION = 1
_SCHEMA_LOCK = 0x62626F5F736368  # pg_advisory_xact_lock key ("bbo_sch") for schema creation
_ASK_LOCK = 0x62626F61  # pg_advisory_lock(key1 = "bboa", key2 = study id) around an ask
_PING_AFTER_IDLE_S = 1.0  # PostgreSQL: check a pooled connection idle for longer than this
_RETRY_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock"}

metadata = sa.MetaData()

meta_table = sa.Table(
    "bbo_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("strategy_state", sa.JSON, nullable=True),
    sa.Column("created_at", sa.Double, nullable=False),
)

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("samples", sa.JSON, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("attrs", sa.JSON, nullable=False),
    sa.Column("retry_of", sa.Integer, nullable=True),
    sa.Column("client_id", sa.String(255), nullable=True),
    sa.Column("lease_expires_at", sa.Double, nullable=True),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("finished_at", sa.Double, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    sa.Index("ix_trials_study_state", "study_id", "state"),
)

# executemany: one UPDATE statement for a group of tells, parameters keyed by column name
_FINISH = sa.update(trials).where(trials.c.pk == sa.bindparam("_pk"))


def _make_engine(url: str) -> Engine:
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
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 60.0})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

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


class SQLStorage(Storage):
    """Storage on any SQLAlchemy URL (``sqlite:///FILE``, ``postgresql://...``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = _make_engine(url)
        self._shown = self._engine.url.render_as_string(hide_password=True)  # for messages
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        # INSERT/UPDATE ... RETURNING on PostgreSQL; SQLite keeps its select-after-write path
        self._returning = not self._is_sqlite and bool(
            self._engine.dialect.insert_executemany_returning_sort_by_parameter_order
            and self._engine.dialect.update_returning
        )
        self._create_schema()

    def _create_schema(self) -> None:
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
        trips. On SQLite it is a transaction like any other (the SQLite path is unchanged)."""
        if self._is_sqlite:
            with self._tx() as conn:
                yield conn
            return
        with self._errors(), self._autocommit.connect() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Map driver errors to bbo errors."""
        try:
            yield
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

    @contextmanager
    def ask_lock(self, study_id: int) -> Iterator[None]:
        """On PostgreSQL a session advisory lock ``(_ASK_LOCK, study_id)`` on a connection of
        its own, held for the whole ask (the study's reads, the proposal, the insert): asks
        of one study from several replicas take turns, asks of different studies do not
        wait. Tells and heartbeats never take it. On SQLite a record lock on a sidecar
        file does the same between the processes sharing the file
        (:mod:`bbo.study.storage.filelock`)."""
        if self._is_sqlite:
            with filelock.ask_lock(self._engine.url.database or "", study_id):
                yield
            return
        with self._errors(), self._autocommit.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(_ASK_LOCK, study_id)))
            try:
                yield
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(_ASK_LOCK, study_id)))

    def close(self) -> None:
        self._engine.dispose()

    # -- studies ---------------------------------------------------------------------------
    @staticmethod
    def _record(row: Any) -> StudyRecord:
        return StudyRecord(row.id, row.name, row.spec, row.created_at, row.strategy_state)

    def get_or_create_study(self, name: str, spec: dict[str, Any]) -> tuple[StudyRecord, bool]:
        for _ in range(3):
            try:
                with self._tx() as conn:
                    row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
                    if row is not None:
                        return self._record(row), False
                    conn.execute(
                        sa.insert(studies).values(name=name, spec=spec, created_at=time.time())
                    )
                    row = conn.execute(sa.select(studies).where(studies.c.name == name)).one()
                    return self._record(row), True
            except IntegrityError:
                continue  # created concurrently by another process: read it
        return self.get_study(name), False

    def get_study(self, name: str) -> StudyRecord:
        with self._read() as conn:
            row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
        if row is None:
            raise StudyNotFoundError(f"no study named {name!r} in {self._shown}")
        return self._record(row)

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        with self._read() as conn:
            row = conn.execute(sa.select(studies).where(studies.c.id == study_id)).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self._shown}")
        return self._record(row)

    def list_studies(self) -> list[StudyRecord]:
        with self._read() as conn:
            rows = conn.execute(sa.select(studies).order_by(studies.c.id)).all()
        return [self._record(r) for r in rows]

    def update_study_spec(self, study_id: int, spec: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(sa.update(studies).where(studies.c.id == study_id).values(spec=spec))

    def delete_study(self, name: str) -> None:
        with self._tx() as conn:
            row = conn.execute(
                sa.select(studies.c.id).where(studies.c.name == name).with_for_update()
            ).first()
            if row is None:
                raise StudyNotFoundError(f"no study named {name!r} in {self._shown}")
            conn.execute(sa.delete(trials).where(trials.c.study_id == row.id))
            conn.execute(sa.delete(studies).where(studies.c.id == row.id))

    # -- trials ----------------------------------------------------------------------------
    @staticmethod
    def _trial(row: Any) -> Trial:
        return Trial(
            id=row.number,
            params=row.params,
            state=TrialState(row.state),
            values=row.metrics,
            value=row.value,
            samples=tuple(row.samples) if row.samples is not None else None,
            reason=row.reason,
            attrs=row.attrs,
            retry_of=row.retry_of,
            client_id=row.client_id,
            lease_expires_at=row.lease_expires_at,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )

    def _lock_study(self, conn: Connection, study_id: int) -> None:
        found = conn.execute(
            sa.select(studies.c.id).where(studies.c.id == study_id).with_for_update()
        ).first()
        if found is None:
            raise StudyNotFoundError(f"no study with id {study_id}")

    @staticmethod
    def _count(conn: Connection, study_id: int) -> int:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(trials).where(trials.c.study_id == study_id)
            ).scalar_one()
        )

    def create_trials(
        self,
        study_id: int,
        new: Sequence[NewTrial],
        *,
        expected_count: int | None = None,
        strategy_state: dict[str, Any] | None = None,
    ) -> list[Trial]:
        now = time.time()
        try:
            with self._tx() as conn:
                self._lock_study(conn, study_id)
                count = self._count(conn, study_id)
                if expected_count is not None and expected_count != count:
                    raise ConcurrentUpdateError(
                        f"study changed: expected {expected_count} trials, found {count}"
                    )
                rows = [
                    {
                        "study_id": study_id,
                        "number": count + i,
                        "state": t.state.value,
                        "params": t.params,
                        "metrics": t.values,
                        "value": t.value,
                        "samples": list(t.samples) if t.samples is not None else None,
                        "reason": t.reason,
                        "attrs": t.attrs,
                        "retry_of": t.retry_of,
                        "client_id": t.client_id,
                        "lease_expires_at": t.lease_expires_at,
                        "created_at": now,
                        "finished_at": now if t.state.finished else None,
                    }
                    for i, t in enumerate(new)
                ]
                out: Sequence[Any] = []
                if rows and self._returning:  # PostgreSQL: one round trip less under the lock
                    insert = sa.insert(trials).returning(*trials.c, sort_by_parameter_order=True)
                    out = conn.execute(insert, rows).all()
                elif rows:
                    conn.execute(sa.insert(trials), rows)
                if strategy_state is not None:
                    conn.execute(
                        sa.update(studies)
                        .where(studies.c.id == study_id)
                        .values(strategy_state=strategy_state)
                    )
                if rows and not self._returning:
                    out = conn.execute(
                        sa.select(trials)
                        .where(trials.c.study_id == study_id, trials.c.number >= count)
                        .order_by(trials.c.number)
                    ).all()
        except IntegrityError as e:  # a concurrent writer took the same numbers
            raise ConcurrentUpdateError(f"study changed while creating trials: {e.orig}") from e
        return [self._trial(r) for r in out]

    def finish_trial(self, study_id: int, trial_id: int, result: TrialResult) -> Trial:
        (out,) = self.finish_trials(study_id, [(trial_id, result)])
        if isinstance(out, BboError):
            raise out
        return out

    def finish_trials(
        self, study_id: int, items: Sequence[tuple[int, TrialResult]]
    ) -> list[Trial | BboError]:
        """The whole group in one transaction: one locking read of its trials, one
        executemany UPDATE, one read back, one commit (one fsync on SQLite). A refused item
        (unknown, or finished with another result) writes nothing and lets the others
        commit."""
        if not items:
            return []
        now = time.time()
        out: list[int | BboError] = []  # the pk to read back, or the refusal
        updates: list[dict[str, Any]] = []
        with self._tx() as conn:
            rows = conn.execute(
                sa.select(trials)
                .where(
                    trials.c.study_id == study_id,
                    trials.c.number.in_(sorted({trial_id for trial_id, _ in items})),
                )
                .order_by(trials.c.number)  # one lock order for every writer
                .with_for_update()
            ).all()
            current = {r.number: (r.pk, self._trial(r)) for r in rows}
            for trial_id, result in items:
                if trial_id not in current:
                    out.append(TrialNotFoundError(f"no trial {trial_id!r} in this study"))
                    continue
                pk, cur = current[trial_id]
                if cur.state.finished:
                    same = (cur.state, cur.values, cur.samples) == (
                        result.state,
                        result.values,
                        result.samples,
                    )
                    out.append(
                        pk
                        if same
                        else TrialFinishedError(
                            f"trial {trial_id} is already {cur.state.value} with a different result"
                        )
                    )
                    continue
                done = replace(
                    cur,
                    state=result.state,
                    values=dict(result.values),
                    samples=result.samples,
                    attrs={**cur.attrs, **result.attrs},
                )
                current[trial_id] = (pk, done)  # a second tell of it in this group compares
                out.append(pk)
                updates.append(
                    {
                        "_pk": pk,
                        "state": result.state.value,
                        "metrics": result.values,
                        "value": result.value,
                        "samples": list(result.samples) if result.samples is not None else None,
                        "reason": result.reason,
                        "attrs": done.attrs,
                        "lease_expires_at": None,
                        "finished_at": now,
                    }
                )
            if updates:
                conn.execute(_FINISH, updates)
            pks = [o for o in out if isinstance(o, int)]
            stored = {
                r.pk: self._trial(r)
                for r in conn.execute(sa.select(trials).where(trials.c.pk.in_(pks)))
            }
        return [stored[o] if isinstance(o, int) else o for o in out]

    def get_trial(self, study_id: int, trial_id: int) -> Trial:
        with self._read() as conn:
            row = conn.execute(
                sa.select(trials).where(trials.c.study_id == study_id, trials.c.number == trial_id)
            ).first()
        if row is None:
            raise TrialNotFoundError(f"no trial {trial_id!r} in this study")
        return self._trial(row)

    def get_trials(
        self,
        study_id: int,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[Trial]:
        q = sa.select(trials).where(trials.c.study_id == study_id)
        if states is not None:
            q = q.where(trials.c.state.in_([s.value for s in states]))
        if since is not None:
            q = q.where(trials.c.number > since)
        q = q.order_by(trials.c.number)
        if limit is not None:
            q = q.limit(limit)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [self._trial(r) for r in rows]

    def count_trials(self, study_id: int) -> int:
        with self._read() as conn:
            return self._count(conn, study_id)

    def heartbeat(self, study_id: int, trial_ids: Sequence[int], lease_expires_at: float) -> int:
        if not trial_ids:
            return 0
        # rows locked in id order by the subquery, as abandon_trials does: no deadlock
        running = (
            sa.select(trials.c.pk)
            .where(
                trials.c.study_id == study_id,
                trials.c.number.in_(list(trial_ids)),
                trials.c.state == TrialState.RUNNING.value,
            )
            .order_by(trials.c.number)
            .with_for_update()
        )
        with self._tx() as conn:
            res = conn.execute(
                sa.update(trials)
                .where(trials.c.pk.in_(running.scalar_subquery()))
                .values(lease_expires_at=lease_expires_at)
            )
            return int(res.rowcount)

    def abandon_trials(self, study_id: int, trial_ids: Sequence[int], reason: str) -> list[Trial]:
        if not trial_ids:
            return []
        cond = sa.and_(
            trials.c.study_id == study_id,
            trials.c.number.in_(list(trial_ids)),
            trials.c.state == TrialState.RUNNING.value,
        )
        with self._tx() as conn:
            # lock in id order (two abandoners never deadlock); on PostgreSQL a row that a
            # concurrent tell finished meanwhile no longer matches ``cond`` and is skipped
            locked = conn.execute(
                sa.select(trials.c.pk, trials.c.number)
                .where(cond)
                .order_by(trials.c.number)
                .with_for_update()
            ).all()
            if not locked:
                return []
            numbers = [r.number for r in locked]
            conn.execute(
                sa.update(trials)
                .where(trials.c.pk.in_([r.pk for r in locked]))
                .values(
                    state=TrialState.ABANDONED.value,
                    reason=reason,
                    lease_expires_at=None,
                    finished_at=time.time(),
                )
            )
            rows = conn.execute(
                sa.select(trials)
                .where(trials.c.study_id == study_id, trials.c.number.in_(numbers))
                .order_by(trials.c.number)
            ).all()
        return [self._trial(r) for r in rows]


__all__ = ["SQLStorage"]
