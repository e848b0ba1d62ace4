"""In-process storage: the default of ``bbo.Study(storage=None)``."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bbo.exceptions import (
    ConcurrentUpdateError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.study.storage.base import (
    NewTrial,
    QueuedPoint,
    SpaceEdit,
    Storage,
    StudyRecord,
    TrialResult,
    check_report,
)
from bbo.trial import Report, Trial, TrialState


class MemoryStorage(Storage):
    """Dicts behind one lock. Trials are immutable values, replaced on update."""

    def __init__(self) -> None:
        self.url = "memory://"
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._studies: dict[str, StudyRecord] = {}
        self._trials: dict[int, list[Trial]] = {}
        self._reports: dict[int, dict[int, dict[int, Report]]] = {}  # study, trial, step
        self._seq = itertools.count(1)
        self._queue: dict[int, list[QueuedPoint]] = {}  # study id -> queued points
        self._queue_ids = itertools.count(1)
        self._edits: dict[int, list[SpaceEdit]] = {}  # study id -> space edits
        self._edit_ids = itertools.count(1)

    def get_or_create_study(self, name: str, spec: dict[str, Any]) -> tuple[StudyRecord, bool]:
        with self._lock:
            if name in self._studies:
                return self._studies[name], False
            rec = StudyRecord(next(self._ids), name, copy.deepcopy(spec), time.time())
            self._studies[name] = rec
            self._trials[rec.id] = []
            return rec, True

    def get_study(self, name: str) -> StudyRecord:
        with self._lock:
            if name not in self._studies:
                raise StudyNotFoundError(f"no study named {name!r} in {self.url}")
            return self._studies[name]

    def list_studies(self) -> list[StudyRecord]:
        with self._lock:
            return sorted(self._studies.values(), key=lambda r: r.id)

    def update_study_spec(self, study_id: int, spec: dict[str, Any]) -> None:
        with self._lock:
            for name, rec in self._studies.items():
                if rec.id == study_id:
                    self._studies[name] = replace(rec, spec=copy.deepcopy(spec))

    def delete_study(self, name: str) -> None:
        with self._lock:
            rec = self.get_study(name)
            del self._studies[name]
            del self._trials[rec.id]
            self._reports.pop(rec.id, None)
            self._queue.pop(rec.id, None)
            self._edits.pop(rec.id, None)

    def _list(self, study_id: int) -> list[Trial]:
        try:
            return self._trials[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def get_study_by_id(self, study_id: int) -> StudyRecord:
        with self._lock:
            for rec in self._studies.values():
                if rec.id == study_id:
                    return rec
            raise StudyNotFoundError(f"no study with id {study_id}")

    def create_trials(
        self,
        study_id: int,
        new: Sequence[NewTrial],
        *,
        expected_count: int | None = None,
        strategy_state: dict[str, Any] | None = None,
    ) -> list[Trial]:
        with self._lock:
            trials = self._list(study_id)
            if expected_count is not None and expected_count != len(trials):
                raise ConcurrentUpdateError(
                    f"study changed: expected {expected_count} trials, found {len(trials)}"
                )
            queue = self._queue.get(study_id, [])
            taken = {t.queued for t in new if t.queued is not None}
            gone = taken - {q.id for q in queue}
            if gone:
                raise ConcurrentUpdateError(
                    f"queued point(s) {sorted(gone)} were taken by another ask meanwhile"
                )
            self._queue[study_id] = [q for q in queue if q.id not in taken]
            now = time.time()
            out = []
            for t in new:
                trial = Trial(
                    id=len(trials),
                    params=copy.deepcopy(t.params),
                    state=t.state,
                    values=dict(t.values),
                    value=t.value,
                    samples=t.samples,
                    metric_samples=t.metric_samples,
                    reason=t.reason,
                    attrs=copy.deepcopy(t.attrs),
                    retry_of=t.retry_of,
                    client_id=t.client_id,
                    lease_expires_at=t.lease_expires_at,
                    created_at=now,
                    finished_at=now if t.state.finished else None,
                )
                trials.append(trial)
                out.append(trial)
            if strategy_state is not None:
                rec = self.get_study_by_id(study_id)
                self._studies[rec.name] = replace(rec, strategy_state=copy.deepcopy(strategy_state))
            return out

    def edit_space(
        self,
        study_id: int,
        spec: dict[str, Any],
        edit: SpaceEdit,
        *,
        expected_spec: dict[str, Any],
        expected_count: int,
    ) -> SpaceEdit:
        with self._lock:
            rec = self.get_study_by_id(study_id)
            count = len(self._list(study_id))
            if rec.spec != expected_spec or count != expected_count:
                raise ConcurrentUpdateError(
                    f"study {rec.name!r} changed while its space was being edited; retry"
                )
            stored = replace(copy.deepcopy(edit), id=next(self._edit_ids), created_at=time.time())
            self._studies[rec.name] = replace(rec, spec=copy.deepcopy(spec), strategy_state=None)
            self._edits.setdefault(study_id, []).append(stored)
            return stored

    def get_space_edits(self, study_id: int) -> list[SpaceEdit]:
        with self._lock:
            self._list(study_id)  # StudyNotFoundError
            return list(self._edits.get(study_id, []))

    def enqueue(
        self, study_id: int, points: Sequence[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[QueuedPoint]:
        with self._lock:
            self._list(study_id)  # StudyNotFoundError
            now = time.time()
            new = [
                QueuedPoint(next(self._queue_ids), copy.deepcopy(p), copy.deepcopy(a), now)
                for p, a in points
            ]
            self._queue.setdefault(study_id, []).extend(new)
            return new

    def get_queue(self, study_id: int) -> list[QueuedPoint]:
        with self._lock:
            self._list(study_id)  # StudyNotFoundError
            return list(self._queue.get(study_id, []))

    def finish_trial(self, study_id: int, trial_id: int, result: TrialResult) -> Trial:
        with self._lock:
            current = self.get_trial(study_id, trial_id)
            if current.state.finished:
                proposed = replace(
                    current,
                    state=result.state,
                    values=result.values,
                    samples=result.samples,
                    metric_samples=result.metric_samples,
                )
                if current.same_result(proposed):
                    return current
                raise TrialFinishedError(
                    f"trial {trial_id} is already {current.state.value} with a different result"
                )
            updated = replace(
                current,
                state=result.state,
                values=dict(result.values),
                value=result.value,
                samples=result.samples,
                metric_samples=result.metric_samples,
                reason=result.reason,
                attrs={**current.attrs, **copy.deepcopy(result.attrs)},
                lease_expires_at=None,
                finished_at=time.time() if result.finished_at is None else result.finished_at,
            )
            self._trials[study_id][trial_id] = updated
            return updated

    def get_trial(self, study_id: int, trial_id: int) -> Trial:
        with self._lock:
            trials = self._list(study_id)
            if not isinstance(trial_id, int) or not 0 <= trial_id < len(trials):
                raise TrialNotFoundError(f"no trial {trial_id!r} in this study")
            return trials[trial_id]

    def get_trials(
        self,
        study_id: int,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
        numbers: Sequence[int] | None = None,
    ) -> list[Trial]:
        with self._lock:
            trials = self._list(study_id)  # trial i sits at index i
            tail = trials[max(since + 1, 0) :] if since is not None else trials
            if numbers is not None:
                start = tail[0].id if tail else 0
                tail = [tail[i - start] for i in sorted(set(numbers)) if 0 <= i - start < len(tail)]
            if states is None:
                return tail[:limit] if limit is not None else list(tail)
            wanted = (t for t in tail if t.state in states)
            return list(itertools.islice(wanted, limit))

    def count_trials(self, study_id: int) -> int:
        with self._lock:
            return len(self._list(study_id))

    def add_report(self, study_id: int, trial_id: int, step: int, value: float) -> Report:
        with self._lock:
            trial = self.get_trial(study_id, trial_id)
            mine = self._reports.setdefault(study_id, {}).setdefault(trial_id, {})
            last = mine[max(mine)] if mine else None
            found = check_report(trial, last, mine.get(step), step, value)
            if found is not None:
                return found
            mine[step] = Report(trial_id, step, float(value), time.time(), next(self._seq))
            return mine[step]

    def get_reports(
        self, study_id: int, *, trial_id: int | None = None, since: int | None = None
    ) -> list[Report]:
        with self._lock:
            self._list(study_id)  # StudyNotFoundError
            by_trial = self._reports.get(study_id, {})
            ids = sorted(by_trial) if trial_id is None else [trial_id]
            out = [r for i in ids for _, r in sorted(by_trial.get(i, {}).items())]
            return out if since is None else [r for r in out if r.seq > since]

    def heartbeat(self, study_id: int, trial_ids: Sequence[int], lease_expires_at: float) -> int:
        with self._lock:
            trials = self._list(study_id)
            n = 0
            for i in trial_ids:
                if 0 <= i < len(trials) and trials[i].state == TrialState.RUNNING:
                    trials[i] = replace(trials[i], lease_expires_at=lease_expires_at)
                    n += 1
            return n

    def abandon_trials(self, study_id: int, trial_ids: Sequence[int], reason: str) -> list[Trial]:
        with self._lock:
            trials = self._list(study_id)
            out = []
            for i in trial_ids:
                if 0 <= i < len(trials) and trials[i].state == TrialState.RUNNING:
                    trials[i] = replace(
                        trials[i],
                        state=TrialState.ABANDONED,
                        reason=reason,
                        lease_expires_at=None,
                        finished_at=time.time(),
                    )
                    out.append(trials[i])
            return out
