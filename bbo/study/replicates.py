"""Replicate samples of a tell, checked against the study's definition, and the values
they give: each objective's and constraint's statistic (:mod:`bbo.statistics`; the mean
by default), the mean for any other metric.

``samples`` is a list (replicates of the single objective, in a study without outcome
constraints) or a mapping ``{metric: [replicates]}`` holding every objective and
constraint metric (several objectives, constraints, statistics of constraints such as
``p95(latency) <= 10``). Every told replicate is stored; the values are computed from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bbo.exceptions import InvalidValueError
from bbo.statistics import Statistic
from bbo.study.spec import StudySpec
from bbo.trial import check_finite

Replicates = dict[str, tuple[float, ...]]


def told_replicates(spec: StudySpec, samples: Any) -> Replicates:
    """``{metric: replicates}`` of a tell's ``samples`` (a list: the single objective's);
    InvalidValueError naming the metric and the rule."""
    if isinstance(samples, Mapping):
        out: Replicates = {}
        for k, v in samples.items():
            if not isinstance(k, str) or not k:
                raise InvalidValueError(f"metric names must be non-empty strings, got {k!r}")
            out[k] = _one(k, v, f"samples[{k!r}]")
        missing = [m for m in spec.metrics if m not in out]
        if missing:
            raise InvalidValueError(
                f"the told `samples` {sorted(out)} miss the objective or constraint "
                f"metric(s) {missing}"
            )
        return out
    first = spec.objectives[0].name
    if len(spec.objectives) != 1:
        raise InvalidValueError(
            "`samples=[...]` are replicates of the single objective; this study has "
            f"{len(spec.objectives)} objectives: tell `samples={{metric: [...]}}` or a "
            "mapping of metrics instead"
        )
    if spec.constraints:
        raise InvalidValueError(
            f"this study has constraints {[str(c) for c in spec.constraints]}: tell "
            "`samples={metric: [...]}` (or a mapping of values) holding the objective and "
            "every constraint metric"
        )
    return {first: _one(first, samples, "samples")}


def _one(metric: str, samples: Any, where: str) -> tuple[float, ...]:
    if getattr(samples, "ndim", None) == 1 and callable(getattr(samples, "tolist", None)):
        samples = samples.tolist()  # a numpy array or a torch tensor of replicates
    if isinstance(samples, (str, bytes, Mapping)) or not isinstance(samples, Sequence):
        raise InvalidValueError(f"`{where}` must be a list of numbers, got {samples!r}")
    if len(samples) == 0:
        raise InvalidValueError(f"`{where}` must hold at least one replicate")
    return tuple(check_finite(f"{metric}[{i}]", v) for i, v in enumerate(samples))


def statistics(spec: StudySpec) -> dict[str, tuple[str, Statistic, float]]:
    """metric -> (``"objective"`` or ``"constraint"``, its statistic, its sign)."""
    out = {o.name: ("objective", o.statistic, o.sign) for o in spec.objectives}
    out.update({c.metric: ("constraint", c.statistic, c.sign) for c in spec.constraints})
    return out


def check_replicates(spec: StudySpec, told: Replicates | None) -> None:
    """Every objective or constraint whose statistic is not the mean got enough replicates
    (:meth:`bbo.statistics.Statistic.min_samples`); a value, or fewer, is refused."""
    for metric, (what, stat, _) in statistics(spec).items():
        if stat.is_mean:
            continue
        need = stat.min_samples()
        reps = told.get(metric) if told is not None else None
        if reps is None:
            form = "samples=[...]" if len(spec.metrics) == 1 else "samples={metric: [...]}"
            raise InvalidValueError(
                f"{what} {metric!r} is the {stat} of replicate samples: tell `{form}` with "
                f"at least {need} replicates of it ({stat.rule()}), not a value"
            )
        if len(reps) < need:
            raise InvalidValueError(
                f"{what} {metric!r}: `samples` must hold at least {need} replicates for the "
                f"statistic {stat} ({stat.rule()}), got {len(reps)}"
            )


def replicate_values(spec: StudySpec, told: Replicates) -> dict[str, float]:
    """Each told metric's value: its statistic's (objectives and constraints), else the
    mean of its replicates."""
    import numpy as np  # not for a plain value: `bbo tell` runs without numpy

    stats = statistics(spec)
    values = {}
    for metric, reps in told.items():
        _, stat, sign = stats.get(metric, ("", None, 1.0))
        mean = stat is None or stat.is_mean
        values[metric] = float(np.mean(reps)) if mean else stat.compute(reps, sign)  # type: ignore[union-attr]
    return values


__all__ = ["check_replicates", "replicate_values", "statistics", "told_replicates"]
