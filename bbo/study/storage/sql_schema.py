"""The tables of :class:`~bbo.study.storage.sql.SQLStorage` and the conversion of their rows.

Schema (created on first use; ``bbo_meta.schema_version`` guards future migrations)::

    bbo_meta(key PK, value)
    studies(id PK, name UNIQUE, spec JSON, strategy_state JSON, created_at)
    trials(pk PK, study_id FK -> studies ON DELETE CASCADE, number, state, params JSON,
           metrics JSON, value, samples JSON, reason, attrs JSON, retry_of, client_id,
           lease_expires_at, created_at, finished_at, UNIQUE(study_id, number))
    reports(seq PK, study_id FK -> studies ON DELETE CASCADE, trial_number, step, value,
            reported_at, UNIQUE(study_id, trial_number, step))        -- since version 2
    queue(id PK, study_id FK -> studies ON DELETE CASCADE, params JSON, attrs JSON,
          created_at)                                              -- since version 3
    space_edits(id PK, study_id FK -> studies ON DELETE CASCADE, created_at, old_space JSON,
                new_space JSON, defaults JSON, changes JSON)         -- since version 4

Versions: 1 the first; 2 adds ``reports`` (intermediate values); 3 adds ``queue`` (points
queued by ``Study.enqueue``, handed out by the next asks); 4 adds ``space_edits`` (the
history of ``Study.edit_space``, :mod:`bbo.study.edits`). Opening a database of an
older version migrates it in place (:data:`MIGRATIONS`: create the new tables; nothing
existing changes); a newer version is refused.

A trial's ``number`` is its id within the study (``Trial.id``); ``pk`` is the row's own key.
Times are UNIX seconds (double precision). The functions below are the only places that
know both the column names and the value types of :mod:`bbo.trial` and
:mod:`bbo.study.storage.base`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bbo.study.storage.base import NewTrial, QueuedPoint, SpaceEdit, StudyRecord, TrialResult
from bbo.trial import Report, Trial, TrialState

SCHEMA_VERSION = 4

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

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("trial_number", sa.Integer, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("reported_at", sa.Double, nullable=False),
    sa.UniqueConstraint("study_id", "trial_number", "step", name="uq_reports_trial_step"),
)

queue = sa.Table(
    "queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("attrs", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Index("ix_queue_study", "study_id", "id"),
)

space_edits = sa.Table(
    "space_edits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("old_space", sa.JSON, nullable=False),
    sa.Column("new_space", sa.JSON, nullable=False),
    sa.Column("defaults", sa.JSON, nullable=False),
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Index("ix_space_edits_study", "study_id", "id"),
)

# version reached -> the tables it adds (created by ``metadata.create_all``, which skips
# existing ones: the migration from an older version is creating what it lacks)
MIGRATIONS: dict[int, tuple[str, ...]] = {2: ("reports",), 3: ("queue",), 4: ("space_edits",)}

# executemany: one UPDATE statement for a group of tells, parameters keyed by column name
# (the rows of :func:`finish_row`)
FINISH = sa.update(trials).where(trials.c.pk == sa.bindparam("_pk"))


def study_record(row: Any) -> StudyRecord:
    """A row of ``studies`` as a :class:`StudyRecord`."""
    return StudyRecord(row.id, row.name, row.spec, row.created_at, row.strategy_state)


def samples_json(
    samples: tuple[float, ...] | None, metric_samples: dict[str, tuple[float, ...]] | None
) -> list[float] | dict[str, list[float]] | None:
    """The ``samples`` column: a list (the single objective's replicates), or an object
    ``{metric: [...]}`` for replicates told per metric (``Trial.metric_samples``)."""
    if metric_samples is not None:
        return {k: list(v) for k, v in metric_samples.items()}
    return list(samples) if samples is not None else None


def trial_from_row(row: Any) -> Trial:
    """A row of ``trials`` as a :class:`Trial` (``id`` is the row's ``number``)."""
    return Trial(
        id=row.number,
        params=row.params,
        state=TrialState(row.state),
        values=row.metrics,
        value=row.value,
        samples=tuple(row.samples) if isinstance(row.samples, list) else None,
        metric_samples=(
            {k: tuple(v) for k, v in row.samples.items()} if isinstance(row.samples, dict) else None
        ),
        reason=row.reason,
        attrs=row.attrs,
        retry_of=row.retry_of,
        client_id=row.client_id,
        lease_expires_at=row.lease_expires_at,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def queued_from_row(row: Any) -> QueuedPoint:
    """A row of ``queue`` as a :class:`QueuedPoint`."""
    return QueuedPoint(row.id, row.params, row.attrs, row.created_at)


def space_edit_from_row(row: Any) -> SpaceEdit:
    """A row of ``space_edits`` as a :class:`SpaceEdit`."""
    return SpaceEdit(
        old=row.old_space,
        new=row.new_space,
        defaults=row.defaults,
        changes=tuple(row.changes),
        id=row.id,
        created_at=row.created_at,
    )


def report_from_row(row: Any) -> Report:
    """A row of ``reports`` as a :class:`Report`."""
    return Report(row.trial_number, row.step, row.value, row.reported_at, row.seq)


def new_trial_row(study_id: int, number: int, t: NewTrial, now: float) -> dict[str, Any]:
    """The ``trials`` row inserted for ``t`` as trial ``number`` of the study, created at
    ``now`` (and finished at ``now`` when ``t`` is added already finished)."""
    return {
        "study_id": study_id,
        "number": number,
        "state": t.state.value,
        "params": t.params,
        "metrics": t.values,
        "value": t.value,
        "samples": samples_json(t.samples, t.metric_samples),
        "reason": t.reason,
        "attrs": t.attrs,
        "retry_of": t.retry_of,
        "client_id": t.client_id,
        "lease_expires_at": t.lease_expires_at,
        "created_at": now,
        "finished_at": now if t.state.finished else None,
    }


def finish_row(pk: int, result: TrialResult, attrs: dict[str, Any], now: float) -> dict[str, Any]:
    """The parameters of :data:`FINISH` that record ``result`` on the row ``pk`` at ``now``
    (or at the result's own ``finished_at``; ``attrs``: the trial's attributes merged with
    the result's; the lease ends)."""
    return {
        "_pk": pk,
        "state": result.state.value,
        "metrics": result.values,
        "value": result.value,
        "samples": samples_json(result.samples, result.metric_samples),
        "reason": result.reason,
        "attrs": attrs,
        "lease_expires_at": None,
        "finished_at": now if result.finished_at is None else result.finished_at,
    }


__all__ = [
    "FINISH",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "finish_row",
    "meta_table",
    "metadata",
    "new_trial_row",
    "queue",
    "queued_from_row",
    "report_from_row",
    "reports",
    "space_edit_from_row",
    "space_edits",
    "studies",
    "study_record",
    "trial_from_row",
    "trials",
]
