"""Tell requests and the result each one stores: checked against the study's definition.

A tell carries exactly one of a value (a number, or a mapping of every objective and
constraint metric plus any others), replicate ``samples`` (a list for a single
objective, or ``{metric: [...]}``: :mod:`bbo.study.replicates`; their mean, or the
statistic of the objective or constraint, becomes the value, and the raw samples are
stored too), ``failed=True``, ``infeasible=True`` or
``pruned=True`` (stopped early: the trial's last reported value, if any, becomes its
value); and optionally ``finished_at``, the unix time the evaluation ended (default: when
stored).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bbo.exceptions import BboError, InvalidArgumentError, InvalidValueError, TrialFinishedError
from bbo.study.replicates import check_replicates, replicate_values, told_replicates
from bbo.study.spec import StudySpec
from bbo.study.storage import Storage, TrialResult
from bbo.trial import Trial, TrialState, check_finite


@dataclass(frozen=True)
class TellRequest:
    """One tell of :meth:`Study.tell_many`, with :meth:`Study.tell`'s arguments."""

    trial: Trial | int
    value: float | Mapping[str, float] | None = None
    samples: Sequence[float] | Mapping[str, Sequence[float]] | None = None
    failed: bool = False
    infeasible: bool = False
    reason: str | None = None
    attrs: Mapping[str, Any] | None = None
    request_id: str | None = None
    finished_at: float | None = None
    pruned: bool = False


def tell_result(
    spec: StudySpec,
    value: float | Mapping[str, float] | None,
    samples: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    failed: bool = False,
    infeasible: bool = False,
    reason: str | None = None,
    attrs: Mapping[str, Any] | None = None,
    finished_at: float | None = None,
    pruned: bool = False,
    last_report: float | None = None,
) -> TrialResult:
    """The result to store for a tell of a trial of ``spec``; InvalidArgumentError or
    InvalidValueError names what is wrong (nothing is stored then). ``last_report``: the
    trial's last reported value, the value of a ``pruned`` tell."""
    finished_at = _time(finished_at)
    given = [value is not None, samples is not None, bool(failed), bool(infeasible), bool(pruned)]
    if sum(given) != 1:
        raise InvalidArgumentError(
            "tell exactly one of `value`, `samples=`, `failed=True`, `infeasible=True` or "
            "`pruned=True`"
        )
    if reason is not None and not isinstance(reason, str):
        raise InvalidArgumentError(f"`reason` must be a string, got {reason!r}")
    extra = dict(attrs or {})
    if pruned:
        first = spec.objectives[0].name
        return TrialResult(
            TrialState.PRUNED,
            values={first: last_report} if last_report is not None else {},
            value=last_report,
            reason=reason,
            attrs=extra,
            finished_at=finished_at,
        )
    if failed:
        return TrialResult(TrialState.FAILED, reason=reason, attrs=extra, finished_at=finished_at)
    if infeasible:
        return TrialResult(
            TrialState.INFEASIBLE, reason=reason, attrs=extra, finished_at=finished_at
        )
    told = told_replicates(spec, samples) if samples is not None else None
    check_replicates(spec, told)
    values = replicate_values(spec, told) if told is not None else _values(spec, value)
    first = spec.objectives[0].name
    per_metric = isinstance(samples, Mapping)
    return TrialResult(
        TrialState.COMPLETED,
        values=values,
        value=values[first],
        samples=told[first] if told is not None and not per_metric else None,
        metric_samples=told if per_metric else None,
        reason=reason,
        attrs=extra,
        finished_at=finished_at,
    )


def _time(when: float | None) -> float | None:
    """``finished_at``: None, or a finite unix time in seconds."""
    if when is None:
        return None
    if isinstance(when, bool) or not isinstance(when, numbers.Real):  # numpy's numbers too
        raise InvalidArgumentError(f"`finished_at` must be a unix time in seconds, got {when!r}")
    if not math.isfinite(when):
        raise InvalidArgumentError(f"`finished_at` must be finite, got {when!r}")
    return float(when)


def _values(spec: StudySpec, value: float | Mapping[str, float] | None) -> dict[str, float]:
    """Every told metric: a checked mapping, or a single number."""
    first = spec.objectives[0].name
    if isinstance(value, Mapping):
        values = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                raise InvalidValueError(f"metric names must be non-empty strings, got {k!r}")
            values[k] = check_finite(k, v)
        missing = [m for m in spec.metrics if m not in values]
        if missing:
            raise InvalidValueError(
                f"the told metrics {sorted(values)} miss the objective or constraint "
                f"metric(s) {missing}"
            )
    else:
        if len(spec.objectives) != 1:
            raise InvalidValueError(
                f"this study has objectives {[o.name for o in spec.objectives]}: tell a "
                "mapping {metric: value}, not a single number"
            )
        values = {first: check_finite(first, value)}
    if spec.constraints and not isinstance(value, Mapping):
        raise InvalidValueError(
            f"this study has constraints {[str(c) for c in spec.constraints]}: tell a "
            "mapping holding the objective and every constraint metric"
        )
    return values


def trial_id(trial: Trial | int) -> int:
    """The id of ``trial`` (a Trial or an id)."""
    if isinstance(trial, Trial):
        return trial.id
    if isinstance(trial, bool) or not isinstance(trial, numbers.Integral):  # numpy's too
        raise InvalidArgumentError(f"`trial` must be a Trial or a trial id, got {trial!r}")
    return int(trial)


def tell_group(
    storage: Storage, study_id: int, spec: StudySpec, requests: Sequence[TellRequest]
) -> list[Trial | BboError]:
    """Check and store several tells of the study ``study_id`` with one storage write:
    ``result[i]`` is the stored trial, or the error for ``requests[i]``."""
    out: list[Trial | BboError | None] = [None] * len(requests)
    items: list[tuple[int, TrialResult]] = []
    where: list[int] = []
    stored = _stored(storage, study_id, requests)
    for i, r in enumerate(requests):
        try:
            checked = _check(storage, study_id, spec, r, stored)
        except BboError as err:
            out[i] = err
            continue
        if isinstance(checked, Trial):
            out[i] = checked
        else:
            items.append(checked)
            where.append(i)
    done = storage.finish_trials(study_id, items) if items else []
    for i, (tid, _), res in zip(where, items, done):
        rid = requests[i].request_id
        if isinstance(res, TrialFinishedError) and rid:  # applied meanwhile by its twin
            current = storage.get_trial(study_id, tid)
            if current.attrs.get("request_id") == rid:
                res = current
        out[i] = res
    return [o for o in out if o is not None]  # every slot is filled


def _stored(storage: Storage, study_id: int, requests: Sequence[TellRequest]) -> dict[int, Trial]:
    """The stored trials that ``requests`` tell, read at once when their ids lie close
    together (a group of tells of recent trials); else none (read one by one)."""
    ids = {r.trial.id if isinstance(r.trial, Trial) else r.trial for r in requests}
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i >= 0}
    if len(ids) < 2 or max(ids) - min(ids) > 4 * len(ids) + 64:
        return {}
    lo, hi = min(ids), max(ids)
    return {t.id: t for t in storage.get_trials(study_id, since=lo - 1, limit=hi - lo + 1)}


def _check(
    storage: Storage,
    study_id: int,
    spec: StudySpec,
    r: TellRequest,
    stored: Mapping[int, Trial],
) -> Trial | tuple[int, TrialResult]:
    """The result to store for ``r``, or the stored trial when ``r`` retries a tell
    that was applied (same ``request_id``). Raises what :meth:`tell` raises."""
    tid = trial_id(r.trial)
    rid = r.request_id
    if rid is not None and (not isinstance(rid, str) or not rid):
        raise InvalidArgumentError(f"`request_id` must be a non-empty string, got {rid!r}")
    extra = {**(r.attrs or {}), "request_id": rid} if rid else r.attrs
    last = None
    if r.pruned:
        reports = storage.get_reports(study_id, trial_id=tid)
        last = reports[-1].value if reports else None
    result = tell_result(
        spec,
        r.value,
        r.samples,
        r.failed,
        r.infeasible,
        r.reason,
        extra,
        r.finished_at,
        r.pruned,
        last,
    )
    current = stored.get(tid) or storage.get_trial(study_id, tid)
    if rid and current.state.finished and current.attrs.get("request_id") == rid:
        return current
    if current.state == TrialState.ABANDONED:
        for t in storage.get_trials(study_id, since=tid):
            if t.retry_of == tid and t.state.finished:
                raise TrialFinishedError(
                    f"trial {tid} was abandoned and its point re-evaluated as "
                    f"trial {t.id} ({t.state.value}); a late result is refused"
                )
    return tid, result
