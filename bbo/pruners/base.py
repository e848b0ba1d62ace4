"""What every pruner shares: the learning curves it reads, its common options, its spec.

A pruner is pure logic. It never sees a study or a storage: the study hands it the
learning curve of the trial to judge and those of the other trials as plain data
(:class:`Curve`), with the direction of the study's first objective, and gets a yes/no.

Common options (Optuna's names and meaning):

- ``n_startup_trials``: prune nothing until that many trials are COMPLETED;
- ``n_warmup_steps``: never prune at a step below it;
- ``interval_steps``: judge only the first report of each interval of that many steps
  after the warm-up (the median, percentile, patience and threshold pruners; successive
  halving and Hyperband judge at their rungs instead).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from bbo.exceptions import InvalidArgumentError
from bbo.trial import TrialState


@dataclass(frozen=True)
class Curve:
    """The reports of one trial: ``steps`` ascending and ``values`` beside them; ``x``:
    its configuration encoded (the index view, ``d`` numbers in ``[0, 1]``), given to the
    pruners whose :attr:`Pruner.uses_params` is True (empty otherwise)."""

    id: int
    state: TrialState
    steps: tuple[int, ...] = ()
    values: tuple[float, ...] = ()
    x: tuple[float, ...] = ()

    @classmethod
    def of(
        cls, id: int, state: TrialState, points: Mapping[int, float], x: Sequence[float] = ()
    ) -> Curve:
        """A curve from a mapping ``{step: value}`` (any order) and its encoded ``x``."""
        steps = tuple(sorted(points))
        xs = tuple(float(v) for v in x)
        return cls(id, state, steps, tuple(float(points[s]) for s in steps), xs)

    @property
    def last_step(self) -> int | None:
        return self.steps[-1] if self.steps else None

    def at(self, step: int) -> float | None:
        """The value reported at exactly ``step``, else None."""
        for s, v in zip(self.steps, self.values):
            if s == step:
                return v
        return None

    def first_from(self, step: int) -> float | None:
        """The value of the first report at a step ``>= step`` (the value a trial carried
        into a rung at ``step``), else None."""
        for s, v in zip(self.steps, self.values):
            if s >= step:
                return v
        return None


def best_of(values: Sequence[float], direction: str) -> float:
    """The best of ``values`` for ``direction`` (``"minimize"`` or ``"maximize"``)."""
    return min(values) if direction == "minimize" else max(values)


def check_int(name: str, value: Any, low: int) -> int:
    """``value`` as an int ``>= low``, else InvalidArgumentError naming ``pruner.name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InvalidArgumentError(f"`pruner.{name}` must be an integer >= {low}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any) -> float:
    """``value`` as a finite float, else InvalidArgumentError naming ``pruner.name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidArgumentError(f"`pruner.{name}` must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Pruner:
    """Base of the pruners: the common gates, then :meth:`decide`.

    Subclasses are frozen dataclasses whose fields are their options; ``name`` is the
    registry name used in specs (``{"name": "median", ...}``).
    """

    name: ClassVar[str] = ""
    uses_interval: ClassVar[bool] = True

    n_startup_trials: int = 0
    n_warmup_steps: int = 0
    interval_steps: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "n_startup_trials", check_int("n_startup_trials", self.n_startup_trials, 0)
        )
        object.__setattr__(
            self, "n_warmup_steps", check_int("n_warmup_steps", self.n_warmup_steps, 0)
        )
        object.__setattr__(
            self, "interval_steps", check_int("interval_steps", self.interval_steps, 1)
        )

    @property
    def uses_params(self) -> bool:
        """Whether :meth:`should_prune` reads the curves' configurations (``Curve.x``): the
        study encodes them only then."""
        return False

    def should_prune(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        """Whether to stop ``trial`` after its last report; ``others``: every other trial
        of the study (any state) with its reports; ``direction``: of the first objective."""
        if direction not in ("minimize", "maximize"):
            raise InvalidArgumentError(
                f"`direction` must be 'minimize' or 'maximize', got {direction!r}"
            )
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if self.uses_interval and not self._starts_interval(trial.steps):
            return False
        completed = sum(o.state == TrialState.COMPLETED for o in others if o.id != trial.id)
        if completed < self.n_startup_trials:
            return False
        return self.decide(trial, [o for o in others if o.id != trial.id], direction)

    def _starts_interval(self, steps: Sequence[int]) -> bool:
        """The last step is the first report in its interval ``[w + k i, w + (k+1) i)``
        (w: warm-up steps, i: interval): Optuna's rule, so that a report at every step is
        judged every ``interval_steps`` steps."""
        step = steps[-1]
        w, i = self.n_warmup_steps, self.interval_steps
        start = (step - w) // i * i + w
        before = steps[-2] if len(steps) > 1 else -1
        return before < start

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        """The pruner's own rule, once the common gates passed."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The spec stored with the study: ``{"name": ..., option: value, ...}``."""
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields(self)}}


__all__ = ["Curve", "Pruner", "best_of", "check_int", "check_number"]
