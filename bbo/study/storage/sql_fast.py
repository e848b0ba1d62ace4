"""SQLite reads of trials on the driver's connection: the hot path of an ask and a tell.

Every ask and tell reads rows of ``trials`` (the trials created since the last ask, those
not yet final, the ones a group of tells finishes). Through SQLAlchemy each such read
builds a statement, derives its cache key, runs the JSON columns' result processors and
wraps every row; here the few fixed statements are plain SQL text run on the ``sqlite3``
connection of the storage's transaction (the same transaction, the same snapshot), and a
row becomes a :class:`~bbo.trial.Trial` in one function. A read outside a write
transaction goes further: one statement on a pooled ``sqlite3`` connection in autocommit
mode (:meth:`~bbo.study.storage.sql_engine.SQLDatabase._driver_read`: no SQLAlchemy
connection, no BEGIN and COMMIT; 11 us for an empty read against 45 us), a snapshot of
its own like any single statement. The rows are decoded as
:func:`~bbo.study.storage.sql_schema.trial_from_row` decodes them (JSON text, the JSON
``null`` and SQL ``NULL`` both read as None), so either path gives equal trials.
PostgreSQL keeps the SQLAlchemy path (its driver decodes JSON itself).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from bbo.study.storage.base import QueuedPoint, StudyRecord
from bbo.trial import Trial, TrialState

_COLUMNS = (
    "pk, number, state, params, metrics, value, samples, reason, attrs, retry_of, client_id, "
    "lease_expires_at, created_at, finished_at"
)
_loads = json.loads
_FEW = {TrialState.RUNNING.value, TrialState.ABANDONED.value}  # states of a few trials


def _json(text: str | None) -> Any:
    """A JSON column's value (an empty object, the commonest, without the parser)."""
    if text is None or text == "null":
        return None
    if text == "{}":
        return {}
    return _loads(text)


def trial_from_tuple(row: Sequence[Any]) -> Trial:
    """A ``trials`` row selected as :data:`_COLUMNS` (``pk`` first, left out)."""
    samples = _json(row[6])
    return Trial(
        id=row[1],
        params=_json(row[3]),
        state=TrialState(row[2]),
        values=_json(row[4]),
        value=row[5],
        samples=tuple(samples) if isinstance(samples, list) else None,
        metric_samples=(
            {k: tuple(v) for k, v in samples.items()} if isinstance(samples, dict) else None
        ),
        reason=row[7],
        attrs=_json(row[8]),
        retry_of=row[9],
        client_id=row[10],
        lease_expires_at=row[11],
        created_at=row[12],
        finished_at=row[13],
    )


Conn = Connection | sqlite3.Connection  # a transaction's, or a driver connection


def _rows(conn: Conn, sql: str, params: Sequence[Any]) -> list[Any]:
    """``sql`` run on the driver connection (under ``conn``'s transaction, for a
    SQLAlchemy connection)."""
    raw: Any = conn.connection.driver_connection if isinstance(conn, Connection) else conn
    return list(raw.execute(sql, tuple(params)).fetchall())


def select_trials(
    conn: Conn,
    study_id: int,
    *,
    states: Sequence[TrialState] | None = None,
    since: int | None = None,
    limit: int | None = None,
    numbers: Sequence[int] | None = None,
    pks: Sequence[int] | None = None,
) -> list[tuple[int, Trial]]:
    """``(pk, trial)`` of the study's trials in number order, filtered by ``states``,
    ``since`` (numbers above it), ``numbers`` or ``pks``, at most ``limit``."""
    where = ["study_id = ?"]
    params: list[Any] = [study_id]
    for column, values in (
        ("state", None if states is None else [s.value for s in states]),
        ("number", numbers),
        ("pk", pks),
    ):
        if values is not None:
            if not values:
                return []
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
    if since is not None:
        where.append("number > ?")
        params.append(since)
    # RUNNING and ABANDONED trials are few in a large study: read them through the state
    # index (SQLite's planner would walk every later trial in the number index instead,
    # 1.4 ms an ask at 10,000 trials behind one early ABANDONED trial, 0.03 ms this way)
    few = states is not None and {s.value for s in states} <= _FEW
    hint = " INDEXED BY ix_trials_study_state" if few else ""
    sql = f"SELECT {_COLUMNS} FROM trials{hint} WHERE {' AND '.join(where)} ORDER BY number"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [(r[0], trial_from_tuple(r)) for r in _rows(conn, sql, params)]


def study_by_id(conn: Conn, study_id: int) -> StudyRecord | None:
    """The ``studies`` row ``study_id`` (None when absent): read at every ask."""
    sql = "SELECT id, name, spec, created_at, strategy_state FROM studies WHERE id = ?"
    found = _rows(conn, sql, [study_id])
    if not found:
        return None
    sid, name, spec, created_at, state = found[0]
    return StudyRecord(sid, name, _json(spec), created_at, _json(state))


def queued(conn: Conn, study_id: int) -> list[QueuedPoint] | None:
    """The study's queued points, oldest first (None when the study is absent)."""
    sql = (
        "SELECT q.id, q.params, q.attrs, q.created_at FROM studies s "
        "LEFT JOIN queue q ON q.study_id = s.id WHERE s.id = ? ORDER BY q.id"
    )
    found = _rows(conn, sql, [study_id])
    if not found:
        return None
    return [QueuedPoint(i, _json(p), _json(a), t) for i, p, a, t in found if i is not None]


def count_trials(conn: Conn, study_id: int) -> int | None:
    """How many trials the study holds (None when the study is absent), in one statement
    that does not grow with the study: its numbers run from 0 without gaps (trials are
    never deleted one by one), so the count is the largest number + 1, a lookup in the
    ``(study_id, number)`` index where ``count(*)`` scans every trial of the study."""
    sql = (
        "SELECT (SELECT 1 FROM studies WHERE id = ?), "
        "(SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study_id = ?)"
    )
    exists, count = _rows(conn, sql, [study_id, study_id])[0]
    return None if exists is None else int(count)


__all__ = ["count_trials", "queued", "select_trials", "study_by_id", "trial_from_tuple"]
