"""Pruners that compare a trial with fixed rules or with the other trials at the same step:
median, percentile, patience and threshold (Optuna's semantics, own code)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from bbo.exceptions import InvalidArgumentError
from bbo.pruners.base import Curve, Pruner, best_of, check_int, check_number
from bbo.trial import TrialState


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` with linear interpolation between
    closest ranks (numpy's default): rank ``r = q / 100 * (n - 1)``."""
    xs = sorted(values)
    r = q / 100.0 * (len(xs) - 1)
    lo, hi = math.floor(r), math.ceil(r)
    return xs[lo] + (xs[hi] - xs[lo]) * (r - lo)


@dataclass(frozen=True)
class PercentilePruner(Pruner):
    """Prune when the trial's best value so far is worse than the ``percentile``-th best
    value that COMPLETED trials reported at the same step (for ``maximize``, the
    ``100 - percentile``-th percentile, so ``percentile=25`` keeps the top quarter in both
    directions). Judges nothing while fewer than ``n_min_trials`` completed trials reported
    at that step."""

    name: ClassVar[str] = "percentile"

    percentile: float | None = None
    n_min_trials: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.percentile is None:
            raise InvalidArgumentError("`pruner.percentile` is required: a number in [0, 100]")
        q = check_number("percentile", self.percentile)
        if not 0.0 <= q <= 100.0:
            raise InvalidArgumentError(f"`pruner.percentile` must be in [0, 100], got {q!r}")
        object.__setattr__(self, "percentile", q)
        object.__setattr__(self, "n_min_trials", check_int("n_min_trials", self.n_min_trials, 1))

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        step = trial.steps[-1]
        refs = [
            v for o in others if o.state == TrialState.COMPLETED and (v := o.at(step)) is not None
        ]
        if len(refs) < self.n_min_trials:
            return False
        q = float(self.percentile)  # type: ignore[arg-type]  # checked in __post_init__
        best = best_of(trial.values, direction)
        if direction == "minimize":
            return best > percentile(refs, q)
        return best < percentile(refs, 100.0 - q)


@dataclass(frozen=True)
class MedianPruner(PercentilePruner):
    """:class:`PercentilePruner` at the 50th percentile; by default it judges nothing until
    5 trials COMPLETED (Optuna's MedianPruner)."""

    name: ClassVar[str] = "median"

    n_startup_trials: int = 5
    percentile: float | None = 50.0

    def __post_init__(self) -> None:
        if self.percentile != 50.0:
            raise InvalidArgumentError(
                "`pruner.percentile` is 50 for the median pruner; use name: percentile "
                f"for another, got {self.percentile!r}"
            )
        super().__post_init__()


@dataclass(frozen=True)
class PatiencePruner(Pruner):
    """Prune when the best of the last ``patience + 1`` reports is worse than the best
    report before them by more than ``min_delta`` (a tolerance; Optuna's rule): minimizing,
    ``min(before) + min_delta < min(last patience + 1)``. Judges nothing until the trial
    has ``patience + 2`` reports.
    """

    name: ClassVar[str] = "patience"

    patience: int | None = None
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.patience is None:
            raise InvalidArgumentError("`pruner.patience` is required: an integer >= 0")
        object.__setattr__(self, "patience", check_int("patience", self.patience, 0))
        delta = check_number("min_delta", self.min_delta)
        if delta < 0:
            raise InvalidArgumentError(f"`pruner.min_delta` must be >= 0, got {delta!r}")
        object.__setattr__(self, "min_delta", delta)

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        k = int(self.patience) + 1  # type: ignore[arg-type]  # checked in __post_init__
        if len(trial.values) <= k:
            return False
        before, after = trial.values[:-k], trial.values[-k:]
        if direction == "minimize":
            return min(before) + self.min_delta < min(after)
        return max(before) - self.min_delta > max(after)


@dataclass(frozen=True)
class ThresholdPruner(Pruner):
    """Prune when the last report falls outside ``[lower, upper]`` (either may be left
    out, not both); the direction plays no part."""

    name: ClassVar[str] = "threshold"

    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lower is None and self.upper is None:
            raise InvalidArgumentError("`pruner.lower` or `pruner.upper` is required")
        if self.lower is not None:
            object.__setattr__(self, "lower", check_number("lower", self.lower))
        if self.upper is not None:
            object.__setattr__(self, "upper", check_number("upper", self.upper))
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise InvalidArgumentError(
                f"`pruner.lower <= pruner.upper` must hold, got lower={self.lower!r}, "
                f"upper={self.upper!r}"
            )

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        last = trial.values[-1]
        return (self.lower is not None and last < self.lower) or (
            self.upper is not None and last > self.upper
        )


__all__ = ["MedianPruner", "PatiencePruner", "PercentilePruner", "ThresholdPruner", "percentile"]
