"""Trials, their states, and the objectives of a study."""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError, InvalidValueError
from bbo.statistics import MEAN, PARAMS, Statistic

if TYPE_CHECKING:
    import numpy as np


class TrialState(str, Enum):
    """Life cycle of a trial.

    ``RUNNING`` (asked, not told) ends in exactly one of ``COMPLETED`` (values told),
    ``FAILED`` (the evaluation crashed), ``INFEASIBLE`` (the point is outside the feasible
    region), ``PRUNED`` (stopped early by a pruner, or told pruned: its last reported value,
    if any, is its value) or ``ABANDONED`` (its worker stopped: lease expired, process died,
    Ctrl-C).
    An abandoned trial's point is offered again by the next ask, as a new trial whose
    ``retry_of`` names it; a late tell for an abandoned trial is still accepted until that
    retry has finished.
    """

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    INFEASIBLE = "INFEASIBLE"
    ABANDONED = "ABANDONED"
    PRUNED = "PRUNED"

    @property
    def finished(self) -> bool:
        """COMPLETED, FAILED, INFEASIBLE or PRUNED: a result was told (counts against a
        budget)."""
        return self in _FINISHED


_FINISHED = frozenset(
    (TrialState.COMPLETED, TrialState.FAILED, TrialState.INFEASIBLE, TrialState.PRUNED)
)


@dataclass(frozen=True)
class Objective:
    """A metric to optimize: ``name`` in the told values, its ``direction``, and the
    ``statistic`` of its replicate samples that is optimized (:mod:`bbo.statistics`; a
    name like ``"cvar(0.95)"``, a mapping or a Statistic; default the mean)."""

    name: str
    direction: str = "minimize"
    statistic: Statistic = MEAN

    def __post_init__(self) -> None:
        object.__setattr__(self, "statistic", Statistic.parse(self.statistic))
        if self.direction not in ("minimize", "maximize"):
            raise InvalidArgumentError(
                f"objective {self.name!r}: `direction` must be 'minimize' or 'maximize', "
                f"got {self.direction!r}"
            )
        if not isinstance(self.name, str) or not self.name:
            raise InvalidArgumentError(
                f"objective names must be non-empty strings, got {self.name!r}"
            )

    @property
    def sign(self) -> float:
        """``+1`` to minimize, ``-1`` to maximize: ``sign * value`` is always minimized."""
        return 1.0 if self.direction == "minimize" else -1.0


_METRIC = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_CONSTRAINT = re.compile(
    rf"^\s*(?:([A-Za-z_][A-Za-z0-9_]*)\(\s*({_METRIC})\s*(?:,\s*([^()]*?)\s*)?\)|({_METRIC}))"
    r"\s*(<=|>=)\s*(\S+)\s*$"
)


@dataclass(frozen=True)
class Constraint:
    """An outcome constraint ``metric <= bound`` or ``metric >= bound``, on the
    ``statistic`` of the metric's replicate samples (default the mean): ``p95(latency) <=
    10``, ``cvar(latency, 0.9) <= 12``, ``exceed(temp, 80) <= 0.05``.

    ``slack(v)`` is ``v - bound`` for ``<=`` and ``bound - v`` for ``>=``: feasible when
    ``slack <= 0`` (the botorch convention for outcome constraints). The statistic's side
    is the one the operator makes bad: the upper tail for ``<=``, the lower for ``>=``.
    """

    metric: str
    op: str
    bound: float
    statistic: Statistic = MEAN

    def __post_init__(self) -> None:
        object.__setattr__(self, "statistic", Statistic.parse(self.statistic))
        if self.op not in ("<=", ">="):
            raise InvalidArgumentError(f"constraint op must be '<=' or '>=', got {self.op!r}")
        check_finite(f"bound of constraint on {self.metric!r}", self.bound)

    @property
    def sign(self) -> float:
        """``+1`` for ``<=`` (large values are bad), ``-1`` for ``>=``."""
        return 1.0 if self.op == "<=" else -1.0

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """``"latency <= 20"`` -> Constraint("latency", "<=", 20.0); ``"p95(latency) <=
        20"``, ``"cvar(latency, 0.9) <= 20"``: a statistic of the replicates (its
        parameter after the metric)."""
        m = _CONSTRAINT.match(text) if isinstance(text, str) else None
        if m is None:
            raise InvalidArgumentError(
                f"a constraint reads 'METRIC <= BOUND' or 'METRIC >= BOUND', got {text!r} "
                "(on a statistic of replicates: 'p95(METRIC) <= BOUND', "
                "'cvar(METRIC, ALPHA) <= BOUND')"
            )
        try:
            bound = float(m.group(6))
        except ValueError:
            raise InvalidArgumentError(
                f"constraint {text!r}: the bound must be a number, got {m.group(6)!r}"
            ) from None
        if m.group(4) is not None:
            return cls(m.group(4), m.group(5), bound)
        name, arg = m.group(1), m.group(3)
        key = PARAMS.get(name)
        if arg is None and key:
            raise InvalidArgumentError(
                f"constraint {text!r}: statistic {name!r} needs `{key}`: write "
                f"{name}({m.group(2)}, {key.upper()}) {m.group(5)} {m.group(6)}"
            )
        stat = name if arg is None or name not in PARAMS else f"{name}({arg})"
        try:
            statistic = Statistic.parse(stat)
        except InvalidArgumentError as e:
            raise InvalidArgumentError(f"constraint {text!r}: {e}") from None
        return cls(m.group(2), m.group(5), bound, statistic)

    def __str__(self) -> str:
        s = self.statistic
        if s.is_mean:
            return f"{self.metric} {self.op} {self.bound!r}"
        arg = "" if s.param is None else f", {s.param!r}"
        return f"{s.name}({self.metric}{arg}) {self.op} {self.bound!r}"

    def slack(self, value: float) -> float:
        return value - self.bound if self.op == "<=" else self.bound - value


def parse_constraints(constraints: Sequence[str | Constraint] | None) -> tuple[Constraint, ...]:
    if constraints is None:
        return ()
    if isinstance(constraints, str) or not isinstance(constraints, Sequence):
        raise InvalidArgumentError(
            f"`constraints` must be a list like ['latency <= 20'], got {constraints!r}"
        )
    return tuple(c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints)


def parse_objectives(
    direction: str | Mapping[str, str] | Sequence[Objective],
    statistic: Any = None,
) -> tuple[Objective, ...]:
    """``"minimize"`` -> one objective named ``value``; ``{"loss": "minimize", ...}`` -> named
    objectives in the given order. ``statistic`` (:func:`parse_statistics`): of every
    objective, or ``{objective: statistic}``."""
    objectives = _parse_objectives(direction)
    if statistic is None:
        return objectives
    stats = parse_statistics(statistic, [o.name for o in objectives])
    return tuple(replace(o, statistic=stats.get(o.name, o.statistic)) for o in objectives)


def parse_statistics(statistic: Any, names: Sequence[str]) -> dict[str, Statistic]:
    """The ``statistic`` argument of a study: one statistic (a name like ``"cvar(0.95)"``,
    a Statistic, or a mapping with a ``name`` key) for every objective, or a mapping
    ``{objective: statistic}`` (objectives left out keep the mean)."""
    if isinstance(statistic, Mapping) and "name" not in statistic:
        unknown = sorted(set(statistic) - set(names))
        if unknown:
            raise InvalidArgumentError(
                f"`statistic` names objectives {unknown} that the study does not have "
                f"(objectives: {list(names)})"
            )
        return {str(k): Statistic.parse(v) for k, v in statistic.items()}
    one = Statistic.parse(statistic)
    return dict.fromkeys(names, one)


def _parse_objectives(
    direction: str | Mapping[str, str] | Sequence[Objective],
) -> tuple[Objective, ...]:
    if isinstance(direction, str):
        return (Objective("value", direction),)
    if isinstance(direction, Mapping):
        if not direction:
            raise InvalidArgumentError("`direction` mapping must name at least one objective")
        return tuple(Objective(str(k), v) for k, v in direction.items())
    if isinstance(direction, (list, tuple)) and all(isinstance(o, Objective) for o in direction):
        if not direction:
            raise InvalidArgumentError("at least one objective is needed")
        return tuple(direction)
    raise InvalidArgumentError(
        "`direction` must be 'minimize', 'maximize' or a mapping {metric: direction}, "
        f"got {direction!r}"
    )


def check_finite(name: str, v: object) -> float:
    """A told number: real and finite, else InvalidValueError naming the metric. numpy
    scalars and 0-d arrays or tensors (numpy, torch) count as numbers."""
    if _is_bool(v) or not isinstance(v, numbers.Real):
        item = getattr(v, "item", None)
        if getattr(v, "ndim", None) != 0 or not callable(item):
            raise InvalidValueError(f"metric {name!r} must be a number, got {v!r}")
        return check_finite(name, item())
    f = float(v)
    if not math.isfinite(f):
        raise InvalidValueError(
            f"metric {name!r} must be finite, got {v!r} (tell failed=True for a crashed evaluation)"
        )
    return f


def _is_bool(v: object) -> bool:
    """A Python or a numpy bool (numpy's is no ``bool`` subclass). Told values are checked
    without importing numpy: until something imported it, no value can be a numpy bool.
    ``getattr``: another thread may be importing numpy right now (a server's), and a
    partially initialized module has no ``bool_`` yet, nor any value of that type."""
    np_bool = getattr(sys.modules.get("numpy"), "bool_", None)
    return isinstance(v, bool) or (np_bool is not None and isinstance(v, np_bool))


def replicate_noise(
    trials: Sequence[Trial], objective: Objective | None = None
) -> np.ndarray | None:
    """``n x 1`` squared standard errors of the trials' values, when every trial has >= 2
    replicates; else None (the noise must be inferred). For the mean (``objective`` None or
    a mean objective) ``var(samples, ddof=1) / len(samples)``; for another statistic its
    bootstrap ``se**2`` (:func:`bbo.statistics.noise_variance`, seeded by the trial id)."""
    name = objective.name if objective is not None else ""
    reps = [t.replicates(name) if objective is not None else t.samples for t in trials]
    if not all(r is not None and len(r) >= 2 for r in reps):
        return None
    import numpy as np

    if objective is None or objective.statistic.is_mean:
        return np.array([[np.var(r, ddof=1) / len(r)] for r in reps])  # type: ignore[arg-type]
    from bbo.statistics import noise_variance

    stat, sign = objective.statistic, objective.sign
    return np.array(
        [[noise_variance(r, stat, sign, seed=t.id)] for t, r in zip(trials, reps)]  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Report:
    """An intermediate value of a trial: ``value`` of the first objective at ``step``
    (an epoch, an iteration, a fidelity), reported at unix time ``reported_at``. ``seq``
    orders the reports of a study as they were stored (increasing, not necessarily
    consecutive): ``get_reports(since=seq)`` reads the newer ones."""

    trial: int
    step: int
    value: float
    reported_at: float = 0.0
    seq: int = 0


@dataclass(frozen=True)
class Trial:
    """One evaluation of one configuration.

    ``id`` numbers the trials of a study from 0 in creation order. ``values`` holds every
    told metric; ``value`` is the (first) objective's value, ``None`` until COMPLETED (or
    PRUNED after a report: then the last reported value). For replicate tells,
    ``samples`` holds the replicates and ``value`` their mean (or the objective's
    statistic, :mod:`bbo.statistics`); replicates told per metric (``samples={metric:
    [...]}``) are in ``metric_samples`` instead (:meth:`replicates`).

    ``study``: the study that :meth:`bbo.Study.ask` got this trial from (None for a trial
    read back from storage); :meth:`report` and :meth:`should_prune` go through it. It
    takes no part in comparisons, ``repr`` or pickling.
    """

    id: int
    params: dict[str, Any]
    state: TrialState = TrialState.RUNNING
    values: dict[str, float] = field(default_factory=dict)
    value: float | None = None
    samples: tuple[float, ...] | None = None
    reason: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    retry_of: int | None = None
    client_id: str | None = None
    lease_expires_at: float | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    metric_samples: dict[str, tuple[float, ...]] | None = None
    study: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "study"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "study", None)

    def _bound(self) -> Any:
        if self.study is None:
            raise InvalidArgumentError(
                f"trial {self.id} is not bound to a study (only trials returned by "
                "study.ask() are): call study.report(trial, value, step) instead"
            )
        return self.study

    def report(self, value: float, step: int) -> bool:
        """Store ``value`` (of the first objective) at ``step`` and return whether the
        study's pruner says to stop this trial (:meth:`bbo.Study.report`)."""
        return bool(self._bound().report(self, value, step))

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial after its last report
        (:meth:`bbo.Study.should_prune`); False without a pruner or a report."""
        return bool(self._bound().should_prune(self))

    @property
    def fidelity(self) -> int | None:
        """In a multi-fidelity study (:class:`bbo.Fidelity`), the step (epoch) to run this
        trial to, reporting on the way: the study stops it at a rung when it falls behind;
        None in a study without a fidelity."""
        f = self.attrs.get("fidelity")
        return int(f) if f is not None else None

    def __repr__(self) -> str:
        """Short: id, state, value (when told) and params; the rest is in the fields."""
        value = f", value={self.value!r}" if self.value is not None else ""
        return f"Trial(id={self.id}, {self.state.value}{value}, params={self.params!r})"

    def feasible(self, constraints: Sequence[Constraint]) -> bool:
        """COMPLETED and every constraint satisfied."""
        return self.state == TrialState.COMPLETED and all(
            c.slack(self.values[c.metric]) <= 0 for c in constraints
        )

    def same_result(self, other: Trial) -> bool:
        """True when ``other`` carries the same told result (for idempotent retries)."""
        return (
            self.state == other.state
            and self.values == other.values
            and self.samples == other.samples
            and self.metric_samples == other.metric_samples
        )

    def replicates(self, metric: str) -> tuple[float, ...] | None:
        """The replicate samples told for ``metric``: from ``metric_samples``, or ``samples``
        (the single objective's, told as a list); None when ``metric`` has none."""
        if self.metric_samples is not None:
            return self.metric_samples.get(metric)
        return self.samples
