"""The storage contract every backend implements.

A storage holds studies (a name and a JSON spec) and their trials. The trial table *is* the
state of a study: strategies refit from it, so a study reopened from storage resumes
exactly. Every method is atomic; writes that depend on a read (numbering new trials,
finishing a trial) are compare-and-set so that several processes (or server replicas) can
share one storage without losing or double-counting a result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bbo.exceptions import BboError, FailedPreconditionError
from bbo.trial import Report, Trial, TrialState


@dataclass(frozen=True)
class StudyRecord:
    id: int
    name: str
    spec: dict[str, Any]
    created_at: float
    strategy_state: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewTrial:
    """A trial to create: RUNNING (asked) or already finished (``Study.add``)."""

    params: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    values: dict[str, float] = field(default_factory=dict)
    value: float | None = None
    samples: tuple[float, ...] | None = None
    reason: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    metric_samples: dict[str, tuple[float, ...]] | None = None  # replicates told per metric
    retry_of: int | None = None
    client_id: str | None = None
    lease_expires_at: float | None = None
    queued: int | None = None  # the id of the queued point it evaluates (taken off the queue)


@dataclass(frozen=True)
class QueuedPoint:
    """A configuration waiting in a study's queue (:meth:`Storage.enqueue`): the next asks
    hand queued points out first, in ``id`` order, before any suggestion."""

    id: int
    params: dict[str, Any]
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True)
class SpaceEdit:
    """One edit of a study's space (:meth:`Storage.edit_space`, :mod:`bbo.study.edits`):
    the space before and after (``{"space": ..., "parameter_constraints": [...]}``, the
    stored forms), ``defaults`` (the value stored trials implicitly had for each added
    parameter) and ``changes`` (one line a change, for people). ``id`` (increasing per
    storage) and ``created_at`` (unix time) are given by the storage."""

    old: dict[str, Any]
    new: dict[str, Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    changes: tuple[str, ...] = ()
    id: int = 0
    created_at: float = 0.0


@dataclass(frozen=True)
class TrialResult:
    """What a tell writes: a finished state and its payload."""

    state: TrialState
    values: dict[str, float] = field(default_factory=dict)
    value: float | None = None
    samples: tuple[float, ...] | None = None
    reason: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    finished_at: float | None = None  # unix time the evaluation ended; None: when stored
    metric_samples: dict[str, tuple[float, ...]] | None = None  # replicates told per metric


def check_report(
    trial: Trial, last: Report | None, same_step: Report | None, step: int, value: float
) -> Report | None:
    """The rule of :meth:`Storage.add_report`, for every backend: the stored report when
    ``(step, value)`` repeats ``same_step`` (the trial's report at ``step``), None when the
    new report may be stored, else FailedPreconditionError naming the rule. ``last``: the
    trial's report of highest step."""
    if same_step is not None:
        if same_step.value == value:
            return same_step
        raise FailedPreconditionError(
            f"trial {trial.id} already reported {same_step.value!r} at step {step}; a "
            f"different value ({value!r}) for a reported step is refused"
        )
    if trial.state.finished:
        raise FailedPreconditionError(
            f"trial {trial.id} is already {trial.state.value}: reports are accepted while it runs"
        )
    if last is not None and step < last.step:
        raise FailedPreconditionError(
            f"trial {trial.id}: `step` must not go backwards (last reported step "
            f"{last.step}), got step={step}"
        )
    return None


class Storage(ABC):
    """Abstract storage. ``study_id`` arguments come from a :class:`StudyRecord`."""

    url: str

    # -- studies ---------------------------------------------------------------------------
    @abstractmethod
    def get_or_create_study(self, name: str, spec: dict[str, Any]) -> tuple[StudyRecord, bool]:
        """The study named ``name``, created with ``spec`` if absent; ``(record, created)``."""

    @abstractmethod
    def get_study(self, name: str) -> StudyRecord:
        """StudyNotFoundError if absent."""

    @abstractmethod
    def list_studies(self) -> list[StudyRecord]: ...

    @abstractmethod
    def update_study_spec(self, study_id: int, spec: dict[str, Any]) -> None: ...

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete the study, its trials, their reports, its queued points and space edits;
        StudyNotFoundError if absent."""

    @abstractmethod
    def edit_space(
        self,
        study_id: int,
        spec: dict[str, Any],
        edit: SpaceEdit,
        *,
        expected_spec: dict[str, Any],
        expected_count: int,
    ) -> SpaceEdit:
        """Store the study's new ``spec`` and the ``edit`` record in one transaction (both or
        neither), and clear the stored strategy state (a population of the old space).
        Compare-and-set: ConcurrentUpdateError, writing nothing, unless the stored spec is
        still ``expected_spec`` and the study holds ``expected_count`` trials (the ones the
        edit was checked against). Returns the stored record (its ``id``, ``created_at``)."""

    @abstractmethod
    def get_space_edits(self, study_id: int) -> list[SpaceEdit]:
        """The study's space edits, oldest first (StudyNotFoundError for an unknown study)."""

    # -- trials ----------------------------------------------------------------------------
    @abstractmethod
    def create_trials(
        self,
        study_id: int,
        new: Sequence[NewTrial],
        *,
        expected_count: int | None = None,
        strategy_state: dict[str, Any] | None = None,
    ) -> list[Trial]:
        """Append trials numbered ``count, count + 1, ...`` in one transaction.

        With ``expected_count``, raise ConcurrentUpdateError unless the study holds exactly
        that many trials (another writer got in between the caller's read and this write).
        ``strategy_state`` (JSON-ready), when given, replaces the study's stored strategy
        state in the same transaction, so state and trials never disagree. A new trial
        whose ``queued`` names a queued point takes that point off the queue in the same
        transaction; when the point is no longer queued (another ask took it), nothing is
        written and ConcurrentUpdateError is raised, so a point is evaluated once.
        """

    # -- queued points --------------------------------------------------------------------
    @abstractmethod
    def enqueue(
        self, study_id: int, points: Sequence[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[QueuedPoint]:
        """Append ``(params, attrs)`` points (checked by the caller) to the study's queue in
        one transaction; the stored points, with increasing ids."""

    @abstractmethod
    def get_queue(self, study_id: int) -> list[QueuedPoint]:
        """The study's queued points in id order (StudyNotFoundError for an unknown study)."""

    @abstractmethod
    def get_study_by_id(self, study_id: int) -> StudyRecord:
        """StudyNotFoundError if absent."""

    @abstractmethod
    def finish_trial(self, study_id: int, trial_id: int, result: TrialResult) -> Trial:
        """Record a result for a RUNNING or ABANDONED trial (compare-and-set).

        A trial already finished with the same result is returned unchanged (a retried tell
        is idempotent); with a different result, TrialFinishedError. TrialNotFoundError for
        an unknown id.
        """

    def finish_trials(
        self, study_id: int, items: Sequence[tuple[int, TrialResult]]
    ) -> list[Trial | BboError]:
        """:meth:`finish_trial` for each ``(trial_id, result)`` in order, in one transaction
        where the storage has them (one commit, one fsync, for a group of tells). Each item
        succeeds or fails alone: ``out[i]`` is the stored trial or the error that
        :meth:`finish_trial` would raise; an item may see the items before it (a trial told
        twice in one group is idempotent or conflicting as it would be in sequence). This
        default makes one call per item."""
        out: list[Trial | BboError] = []
        for trial_id, result in items:
            try:
                out.append(self.finish_trial(study_id, trial_id, result))
            except BboError as err:
                out.append(err)
        return out

    @abstractmethod
    def get_trial(self, study_id: int, trial_id: int) -> Trial: ...

    @abstractmethod
    def get_trials(
        self,
        study_id: int,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[Trial]:
        """Trials in id order; ``since`` keeps ids greater than it (incremental sync),
        ``numbers`` these ids only."""

    @abstractmethod
    def count_trials(self, study_id: int) -> int: ...

    @abstractmethod
    def heartbeat(self, study_id: int, trial_ids: Sequence[int], lease_expires_at: float) -> int:
        """Extend the leases of those of ``trial_ids`` that are RUNNING; how many."""

    @abstractmethod
    def abandon_trials(self, study_id: int, trial_ids: Sequence[int], reason: str) -> list[Trial]:
        """Mark those of ``trial_ids`` that are still RUNNING as ABANDONED; return them."""

    # -- intermediate reports -------------------------------------------------------------
    @abstractmethod
    def add_report(self, study_id: int, trial_id: int, step: int, value: float) -> Report:
        """Store ``value`` at ``step`` for a RUNNING (or ABANDONED, like a late tell) trial,
        atomically with the checks: the same ``(step, value)`` again returns the stored
        report (a retried report is idempotent, even after the trial finished); another
        value at a reported step, a step below the trial's last reported step, or a report
        for a finished trial raise FailedPreconditionError; TrialNotFoundError for an
        unknown trial. The caller checks that ``step`` is an int >= 0 and ``value`` finite.
        """

    @abstractmethod
    def get_reports(
        self, study_id: int, *, trial_id: int | None = None, since: int | None = None
    ) -> list[Report]:
        """Reports of the study (or of one trial), ordered by trial then step; ``since``
        keeps those whose ``seq`` is greater (incremental reading)."""

    def ask_lock(self, study_id: int) -> AbstractContextManager[None]:
        """Held around an ask's read-propose-insert so that asks of one study from several
        processes take turns instead of racing (a lost race costs a second proposal). The
        default does nothing: in one process asks already take turns, and SQLite serializes
        its writers; PostgreSQL takes a session advisory lock."""
        return nullcontext()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
