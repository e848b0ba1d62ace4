"""The queue of :class:`~bbo.study.storage.sql.SQLStorage`: points waiting for an ask.

``Study.enqueue`` appends rows to the ``queue`` table; an ask that hands a queued point out
deletes its row in the transaction that inserts the trial (:meth:`SQLQueue._dequeue`, under
the study's row lock), so a point becomes exactly one trial even when asks of several
processes race: the loser's transaction finds the row gone, rolls back, and proposes again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bbo.exceptions import ConcurrentUpdateError, StudyNotFoundError
from bbo.study.storage.base import QueuedPoint
from bbo.study.storage.sql_engine import SQLDatabase
from bbo.study.storage.sql_fast import count_trials, queued
from bbo.study.storage.sql_schema import queue, queued_from_row, studies, trials


class SQLQueue(SQLDatabase):
    """The queue operations of the SQL storage, and the study row lock (with the count of
    its trials) they share with ``create_trials``."""

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

    def _lock_and_count(self, conn: Connection, study_id: int) -> int:
        """Lock the study row and count its trials (on SQLite, whose transaction holds the
        write lock already, one statement); StudyNotFoundError when it is gone."""
        if not self._is_sqlite:
            self._lock_study(conn, study_id)
            return self._count(conn, study_id)
        count = count_trials(conn, study_id)
        if count is None:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return count

    def _must_exist(self, conn: Connection, study_id: int) -> None:
        """StudyNotFoundError unless the study ``study_id`` exists (a read, no lock)."""
        if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)).first() is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self._shown}")

    @staticmethod
    def _dequeue(conn: Connection, study_id: int, ids: list[int]) -> None:
        """Take the queued points ``ids`` off the queue (under the study's row lock);
        ConcurrentUpdateError, rolling back, when one is gone (another ask took it)."""
        if not ids:
            return
        res = conn.execute(
            sa.delete(queue).where(queue.c.study_id == study_id, queue.c.id.in_(ids))
        )
        if res.rowcount != len(set(ids)):
            raise ConcurrentUpdateError(
                f"queued point(s) {sorted(ids)} were taken by another ask meanwhile"
            )

    def enqueue(
        self, study_id: int, points: Sequence[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[QueuedPoint]:
        now = time.time()
        rows = [
            {"study_id": study_id, "params": p, "attrs": a, "created_at": now} for p, a in points
        ]
        with self._tx() as conn:
            self._lock_study(conn, study_id)
            last = conn.execute(
                sa.select(sa.func.max(queue.c.id)).where(queue.c.study_id == study_id)
            ).scalar_one()
            if rows:
                conn.execute(sa.insert(queue), rows)
            q = sa.select(queue).where(queue.c.study_id == study_id)
            if last is not None:
                q = q.where(queue.c.id > last)
            out = conn.execute(q.order_by(queue.c.id)).all()
        return [queued_from_row(r) for r in out]

    def get_queue(self, study_id: int) -> list[QueuedPoint]:
        if self._is_sqlite:  # read at every ask: one statement on the driver
            with self._driver_read() as raw:
                found = queued(raw, study_id)
            if found is None:
                raise StudyNotFoundError(f"no study with id {study_id} in {self._shown}")
            return found
        with self._read() as conn:
            self._must_exist(conn, study_id)
            rows = conn.execute(
                sa.select(queue).where(queue.c.study_id == study_id).order_by(queue.c.id)
            ).all()
        return [queued_from_row(r) for r in rows]


__all__ = ["SQLQueue"]
