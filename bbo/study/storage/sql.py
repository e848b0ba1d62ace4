"""SQL storage through SQLAlchemy 2: SQLite (embedded default) and PostgreSQL, one code path.

The tables and the conversion of their rows are in :mod:`bbo.study.storage.sql_schema`;
engines, transactions and the mapping of driver errors in
:mod:`bbo.study.storage.sql_engine`; queued points in :mod:`bbo.study.storage.sql_queue`;
space edits in :mod:`bbo.study.storage.sql_edits`;
this module holds :class:`SQLStorage`, the
:class:`~bbo.study.storage.base.Storage` operations, and their locking.

Concurrency: on SQLite every transaction starts with ``BEGIN IMMEDIATE`` (one writer at a
time, WAL journal so readers never block, ``busy_timeout`` so writers queue instead of
failing, ``synchronous=FULL`` so a committed tell survives a crash); the reads of an ask
and a tell run on the driver (:mod:`.sql_fast`). On PostgreSQL
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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bbo.exceptions import (
    BboError,
    ConcurrentUpdateError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.study.storage import filelock
from bbo.study.storage.base import (
    NewTrial,
    Storage,
    StudyRecord,
    TrialResult,
    check_report,
)
from bbo.study.storage.sql_edits import SQLEdits
from bbo.study.storage.sql_fast import select_trials, study_by_id
from bbo.study.storage.sql_schema import (
    FINISH,
    finish_row,
    new_trial_row,
    queue,
    report_from_row,
    reports,
    space_edits,
    studies,
    study_record,
    trial_from_row,
    trials,
)
from bbo.trial import Report, Trial, TrialState

_ASK_LOCK = 0x62626F61  # pg_advisory_lock(key1 = "bboa", key2 = study id) around an ask


class SQLStorage(SQLEdits, Storage):
    """Storage on any SQLAlchemy URL (``sqlite:///FILE``, ``postgresql://...``); the engine,
    transactions and error mapping come from :class:`SQLDatabase`."""

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

    # -- studies ---------------------------------------------------------------------------
    def get_or_create_study(self, name: str, spec: dict[str, Any]) -> tuple[StudyRecord, bool]:
        for _ in range(3):
            try:
                with self._tx() as conn:
                    row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
                    if row is not None:
                        return study_record(row), False
                    conn.execute(
                        sa.insert(studies).values(name=name, spec=spec, created_at=time.time())
                    )
                    row = conn.execute(sa.select(studies).where(studies.c.name == name)).one()
                    return study_record(row), True
            except IntegrityError:
                continue  # created concurrently by another process: read it
        return self.get_study(name), False

    def get_study(self, name: str) -> StudyRecord:
        with self._read() as conn:
            row = conn.execute(sa.select(studies).where(studies.c.name == name)).first()
        if row is None:
            raise StudyNotFoundError(f"no study named {name!r} in {self._shown}")
        return study_record(row)

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        if self._is_sqlite:  # read at every ask: on the driver
            with self._driver_read() as raw:
                found = study_by_id(raw, study_id)
        else:
            with self._read() as conn:
                row = conn.execute(sa.select(studies).where(studies.c.id == study_id)).first()
            found = None if row is None else study_record(row)
        if found is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self._shown}")
        return found

    def list_studies(self) -> list[StudyRecord]:
        with self._read() as conn:
            rows = conn.execute(sa.select(studies).order_by(studies.c.id)).all()
        return [study_record(r) for r in rows]

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
            conn.execute(sa.delete(reports).where(reports.c.study_id == row.id))
            conn.execute(sa.delete(queue).where(queue.c.study_id == row.id))
            conn.execute(sa.delete(space_edits).where(space_edits.c.study_id == row.id))
            conn.execute(sa.delete(trials).where(trials.c.study_id == row.id))
            conn.execute(sa.delete(studies).where(studies.c.id == row.id))

    # -- trials ----------------------------------------------------------------------------
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
                count = self._lock_and_count(conn, study_id)
                if expected_count is not None and expected_count != count:
                    raise ConcurrentUpdateError(
                        f"study changed: expected {expected_count} trials, found {count}"
                    )
                self._dequeue(conn, study_id, [t.queued for t in new if t.queued is not None])
                rows = [new_trial_row(study_id, count + i, t, now) for i, t in enumerate(new)]
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
                if rows and not self._returning:  # SQLite: read back on the driver
                    got = select_trials(conn, study_id, since=count - 1)
                    return [t for _, t in got]
        except IntegrityError as e:  # a concurrent writer took the same numbers
            raise ConcurrentUpdateError(f"study changed while creating trials: {e.orig}") from e
        return [trial_from_row(r) for r in out]

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
        numbers = sorted({trial_id for trial_id, _ in items})
        with self._tx() as conn:
            current = {t.id: (pk, t) for pk, t in self._locked_trials(conn, study_id, numbers)}
            for trial_id, result in items:
                if trial_id not in current:
                    out.append(TrialNotFoundError(f"no trial {trial_id!r} in this study"))
                    continue
                pk, cur = current[trial_id]
                if cur.state.finished:
                    same = (cur.state, cur.values, cur.samples, cur.metric_samples) == (
                        result.state,
                        result.values,
                        result.samples,
                        result.metric_samples,
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
                    metric_samples=result.metric_samples,
                    attrs={**cur.attrs, **result.attrs},
                )
                current[trial_id] = (pk, done)  # a second tell of it in this group compares
                out.append(pk)
                updates.append(finish_row(pk, result, done.attrs, now))
            if updates:
                conn.execute(FINISH, updates)
            pks = [o for o in out if isinstance(o, int)]
            if self._is_sqlite:
                stored = dict(select_trials(conn, study_id, pks=pks))
            else:
                q = sa.select(trials).where(trials.c.pk.in_(pks))
                stored = {r.pk: trial_from_row(r) for r in conn.execute(q)}
        return [stored[o] if isinstance(o, int) else o for o in out]

    def _locked_trials(
        self, conn: Connection, study_id: int, numbers: list[int]
    ) -> list[tuple[int, Trial]]:
        """``(pk, trial)`` of the trials ``numbers``, locked in number order (one lock
        order for every writer; on SQLite the transaction holds the write lock already)."""
        if self._is_sqlite:
            return select_trials(conn, study_id, numbers=numbers)
        q = (
            sa.select(trials)
            .where(trials.c.study_id == study_id, trials.c.number.in_(numbers))
            .order_by(trials.c.number)
            .with_for_update()
        )
        return [(r.pk, trial_from_row(r)) for r in conn.execute(q)]

    def get_trial(self, study_id: int, trial_id: int) -> Trial:
        found = self.get_trials(study_id, numbers=[trial_id])
        if not found:
            raise TrialNotFoundError(f"no trial {trial_id!r} in this study")
        return found[0]

    def get_trials(
        self,
        study_id: int,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[Trial]:
        """The study's trials in id order, filtered (``numbers``: these ids only)."""
        if self._is_sqlite:  # the hot path of asks and tells: on the driver (.sql_fast)
            with self._driver_read() as raw:
                got = select_trials(
                    raw, study_id, states=states, since=since, limit=limit, numbers=numbers
                )
            return [t for _, t in got]
        q = sa.select(trials).where(trials.c.study_id == study_id)
        if numbers is not None:
            q = q.where(trials.c.number.in_(list(numbers)))
        if states is not None:
            q = q.where(trials.c.state.in_([s.value for s in states]))
        if since is not None:
            q = q.where(trials.c.number > since)
        q = q.order_by(trials.c.number)
        if limit is not None:
            q = q.limit(limit)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [trial_from_row(r) for r in rows]

    def count_trials(self, study_id: int) -> int:
        with self._read() as conn:
            return self._count(conn, study_id)

    def add_report(self, study_id: int, trial_id: int, step: int, value: float) -> Report:
        """Under the trial's row lock (the lock a tell takes): a report and a tell of one
        trial never interleave, and two racing reports of one step store one row."""
        mine = sa.and_(reports.c.study_id == study_id, reports.c.trial_number == trial_id)
        with self._tx() as conn:
            row = conn.execute(
                sa.select(trials)
                .where(trials.c.study_id == study_id, trials.c.number == trial_id)
                .with_for_update()
            ).first()
            if row is None:
                raise TrialNotFoundError(f"no trial {trial_id!r} in this study")
            last = conn.execute(
                sa.select(reports).where(mine).order_by(reports.c.step.desc()).limit(1)
            ).first()
            same = conn.execute(sa.select(reports).where(mine, reports.c.step == step)).first()
            found = check_report(
                trial_from_row(row),
                report_from_row(last) if last is not None else None,
                report_from_row(same) if same is not None else None,
                step,
                value,
            )
            if found is not None:
                return found
            values = {
                "study_id": study_id,
                "trial_number": trial_id,
                "step": step,
                "value": float(value),
                "reported_at": time.time(),
            }
            conn.execute(sa.insert(reports).values(**values))
            stored = conn.execute(sa.select(reports).where(mine, reports.c.step == step)).one()
        return report_from_row(stored)

    def get_reports(
        self, study_id: int, *, trial_id: int | None = None, since: int | None = None
    ) -> list[Report]:
        q = sa.select(reports).where(reports.c.study_id == study_id)
        if trial_id is not None:
            q = q.where(reports.c.trial_number == trial_id)
        if since is not None:
            q = q.where(reports.c.seq > since)
        q = q.order_by(reports.c.trial_number, reports.c.step)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [report_from_row(r) for r in rows]

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
        return [trial_from_row(r) for r in rows]


__all__ = ["SQLStorage"]
