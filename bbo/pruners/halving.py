"""Asynchronous successive halving (ASHA, Li et al. 2020) and Hyperband (Li et al. 2018)
as pruners, with Optuna's semantics (own code).

Successive halving. Rung ``k`` sits at step ``r_k = min_resource * reduction_factor **
(min_early_stopping_rate + k)``. When a trial's report crosses rung ``k`` (its previous
report was below ``r_k``, this one is at or past it), its current value competes with the
value every other trial carried into that rung (its first report at a step ``>= r_k``),
whatever that trial's state. With ``n`` competitors (the trial included) sorted best
first, the trial is promoted when it ranks among the best ``max(n // reduction_factor,
1)``; otherwise it is pruned. With ``n <= bootstrap_count`` it is pruned too (wait for
enough competitors before promoting anyone). No trial waits for the others: that is what
makes it asynchronous.

Hyperband runs ``n_brackets = floor(log_eta(max_resource / min_resource)) + 1`` successive
halvings, bracket ``b`` with ``min_early_stopping_rate = b`` (bracket 0 prunes earliest).
A trial belongs to one bracket, chosen from its id alone (a CRC-32 of the id, shared out in
proportion to each bracket's budget ``ceil(n_brackets * eta**s / (s + 1))``, ``s =
n_brackets - 1 - b``), and competes only with the trials of its bracket.

``rank_by: predicted`` (both pruners; ``value``, the default, is the rule above): at a
rung, the trial and the trials that reached that rung are ranked by their *predicted
final value* (:class:`bbo.pruners.curves.CurveModel`, fitted on every trial's curve: the
value at the full resource extrapolated from the curve's last drops and how the other
curves' drops went on; a trial that got there, its value there) instead of the value
carried into the rung. A curve that still falls fast at rung 9 is kept even when others
lead, and a competitor that ran further is judged by what it became. The full resource is
``max_resource`` for Hyperband; for successive halving, the last step of the longest
COMPLETED trial (else of the longest curve).

``curve_model`` (with ``rank_by: predicted``): ``drops`` (the default) is the model above;
``gp`` the GP over (configuration, step) of :mod:`bbo.pruners.curve_gp`, ranking by its
optimistic final value ``mean - sd`` (:meth:`~bbo.pruners.curve_gp.CurveGP.score`); the
study then passes each curve's encoded configuration (:attr:`Pruner.uses_params`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from bbo.exceptions import InvalidArgumentError
from bbo.pruners.base import Curve, Pruner, check_int
from bbo.pruners.curves import CurveModel, full_resource

if TYPE_CHECKING:
    from bbo.pruners.curve_gp import CurveGP

RANK_BY = ("value", "predicted")
CURVE_MODELS = ("drops", "gp")  # bbo.pruners.curves, bbo.pruners.curve_gp


def promotable(value: float, competing: Sequence[float], eta: int, direction: str) -> bool:
    """Whether ``value`` ranks among the best ``max(len(competing) // eta, 1)`` of
    ``competing`` (which includes it)."""
    ranked = sorted(competing, reverse=direction == "maximize")  # best first
    k = max(len(ranked) // eta, 1)
    cut = ranked[k - 1]
    return value <= cut if direction == "minimize" else value >= cut


def check_rank_by(value: object) -> str:
    """``value`` if it is one of :data:`RANK_BY`, else InvalidArgumentError."""
    if value not in RANK_BY:
        raise InvalidArgumentError(
            f"`pruner.rank_by` must be one of {list(RANK_BY)}, got {value!r}"
        )
    return str(value)


def check_curve_model(value: object, rank_by: str) -> str:
    """``value`` if it is one of :data:`CURVE_MODELS` (``gp`` only with ``rank_by:
    predicted``), else InvalidArgumentError."""
    if value not in CURVE_MODELS:
        raise InvalidArgumentError(
            f"`pruner.curve_model` must be one of {list(CURVE_MODELS)}, got {value!r}"
        )
    if value != "drops" and rank_by != "predicted":
        raise InvalidArgumentError(
            f"`pruner.curve_model: {value}` needs `rank_by: predicted`, got rank_by={rank_by!r}"
        )
    return str(value)


def make_curve_model(
    kind: str, curves: Sequence[Curve], top: int, eta: int, direction: str
) -> CurveModel | CurveGP:
    """The fitted curve model ``kind`` (:data:`CURVE_MODELS`) of ``rank_by: predicted``."""
    if kind == "gp":
        from bbo.pruners.curve_gp import CurveGP

        return CurveGP(curves, top, eta, direction)
    return CurveModel(curves, top, eta, direction)


@dataclass(frozen=True)
class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (``name: asha``); see the module docstring.
    ``interval_steps`` plays no part: the rungs say where trials are judged."""

    name: ClassVar[str] = "asha"
    uses_interval: ClassVar[bool] = False

    min_resource: int = 1
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0
    bootstrap_count: int = 0
    rank_by: str = "value"
    curve_model: str = "drops"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "min_resource", check_int("min_resource", self.min_resource, 1))
        rf = check_int("reduction_factor", self.reduction_factor, 2)
        object.__setattr__(self, "reduction_factor", rf)
        object.__setattr__(self, "rank_by", check_rank_by(self.rank_by))
        object.__setattr__(self, "curve_model", check_curve_model(self.curve_model, self.rank_by))
        rate = check_int("min_early_stopping_rate", self.min_early_stopping_rate, 0)
        object.__setattr__(self, "min_early_stopping_rate", rate)
        boot = check_int("bootstrap_count", self.bootstrap_count, 0)
        object.__setattr__(self, "bootstrap_count", boot)

    def rung_step(self, k: int) -> int:
        """``r_k = min_resource * reduction_factor ** (min_early_stopping_rate + k)``."""
        return self.min_resource * self.reduction_factor ** (self.min_early_stopping_rate + k)

    @property
    def uses_params(self) -> bool:
        return self.curve_model == "gp"

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        if self.rank_by == "value" or not self.crosses_rung(trial):
            return self.judge(trial, others, direction, None)
        curves = [trial, *others]
        top, eta = full_resource(curves), self.reduction_factor
        model = make_curve_model(self.curve_model, curves, top, eta, direction)
        return self.judge(trial, others, direction, model)

    def crossed_rungs(self, trial: Curve) -> list[int]:
        """The rung steps the trial's last report crossed, in order (none: it is not judged
        at this report)."""
        before = trial.steps[-2] if len(trial.steps) > 1 else -1
        out, k = [], 0
        while (r := self.rung_step(k)) <= trial.steps[-1]:
            if r > before:
                out.append(r)
            k += 1
        return out

    def crosses_rung(self, trial: Curve) -> bool:
        """Whether the trial's last report crossed a rung (is judged at all)."""
        return bool(self.crossed_rungs(trial))

    def judge(
        self,
        trial: Curve,
        others: Sequence[Curve],
        direction: str,
        model: CurveModel | CurveGP | None,
    ) -> bool:
        """:meth:`decide` against the competitors ``others``; with a curve ``model``, by
        predicted final values (``rank_by: predicted``)."""
        value = trial.values[-1] if model is None else _predicted(model, trial)
        for r in self.crossed_rungs(trial):  # crossed by this report: judged now
            carried = [
                _predicted(model, o) if model is not None else v
                for o in others
                if (o.last_step or -1) >= r and (v := o.first_from(r)) is not None
            ]
            competing = [*carried, value]
            if len(competing) <= self.bootstrap_count:
                return True
            if not promotable(value, competing, self.reduction_factor, direction):
                return True
        return False


@dataclass(frozen=True)
class HyperbandPruner(Pruner):
    """Hyperband over brackets of successive halving (``name: hyperband``); see the module
    docstring. ``max_resource`` (the step a full run reaches) is required."""

    name: ClassVar[str] = "hyperband"
    uses_interval: ClassVar[bool] = False

    min_resource: int = 1
    max_resource: int | None = None
    reduction_factor: int = 3
    bootstrap_count: int = 0
    rank_by: str = "value"
    curve_model: str = "drops"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "min_resource", check_int("min_resource", self.min_resource, 1))
        if self.max_resource is None:
            raise InvalidArgumentError(
                "`pruner.max_resource` is required for hyperband: the step a full run reaches"
            )
        top = check_int("max_resource", self.max_resource, 1)
        if top < self.min_resource:
            raise InvalidArgumentError(
                "`pruner.min_resource <= pruner.max_resource` must hold, got "
                f"min_resource={self.min_resource}, max_resource={top}"
            )
        object.__setattr__(self, "max_resource", top)
        rf = check_int("reduction_factor", self.reduction_factor, 2)
        object.__setattr__(self, "reduction_factor", rf)
        boot = check_int("bootstrap_count", self.bootstrap_count, 0)
        object.__setattr__(self, "bootstrap_count", boot)
        object.__setattr__(self, "rank_by", check_rank_by(self.rank_by))
        object.__setattr__(self, "curve_model", check_curve_model(self.curve_model, self.rank_by))

    @property
    def uses_params(self) -> bool:
        return self.curve_model == "gp"

    @property
    def n_brackets(self) -> int:
        """``floor(log_eta(max_resource / min_resource)) + 1``, in integers."""
        n, top = 0, int(self.max_resource or 0)
        while self.min_resource * self.reduction_factor ** (n + 1) <= top:
            n += 1
        return n + 1

    def budgets(self) -> list[int]:
        """Each bracket's share: ``ceil(n_brackets * eta**s / (s + 1))``, ``s =
        n_brackets - 1 - b``."""
        n = self.n_brackets
        return [math.ceil(n * self.reduction_factor ** (n - 1 - b) / (n - b)) for b in range(n)]

    def bracket(self, trial_id: int) -> int:
        """The bracket of a trial, from its id alone."""
        budgets = self.budgets()
        left = zlib.crc32(str(trial_id).encode()) % sum(budgets)
        for b, share in enumerate(budgets):
            left -= share
            if left < 0:
                return b
        return len(budgets) - 1  # not reached: the shares sum to the modulus

    def decide(self, trial: Curve, others: Sequence[Curve], direction: str) -> bool:
        b = self.bracket(trial.id)
        halving = SuccessiveHalvingPruner(
            min_resource=self.min_resource,
            reduction_factor=self.reduction_factor,
            min_early_stopping_rate=b,
            bootstrap_count=self.bootstrap_count,
        )
        mine = [o for o in others if self.bracket(o.id) == b]
        model = None
        if self.rank_by == "predicted" and halving.crosses_rung(trial):  # all brackets' curves
            top = int(self.max_resource or 0)
            curves = [trial, *others]
            model = make_curve_model(
                self.curve_model, curves, top, self.reduction_factor, direction
            )
        return halving.judge(trial, mine, direction, model)


def _predicted(model: CurveModel | CurveGP, curve: Curve) -> float:
    """The model's final value of ``curve`` to rank by (:meth:`CurveGP.score`: optimistic;
    its last value when the model cannot say)."""
    v = model.score(curve)
    return curve.values[-1] if v is None else v


__all__ = ["CURVE_MODELS", "RANK_BY", "HyperbandPruner", "SuccessiveHalvingPruner", "promotable"]
