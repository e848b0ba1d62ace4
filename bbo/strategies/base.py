"""The strategy protocol (OSS Vizier's Designer, stateless by default).

A strategy turns a :class:`History` into suggestions and never touches storage::

    suggest(n, history) -> list[Suggestion]

``history`` holds every trial of the study. Strategies that keep internal state between
asks (a CMA-ES population, an LLM prompt memory) also implement ``state_dict()`` /
``load_state_dict()``; the study stores that state so a restarted process or a stateless
server continues the same run. Same seed and same history -> same suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.space.outside import encode_stored
from bbo.strategies.options import Options as OptionsBase
from bbo.trial import Constraint, Objective, Trial, TrialState

if TYPE_CHECKING:
    import torch

OptionsT = TypeVar("OptionsT", bound=OptionsBase)


@dataclass(frozen=True)
class Suggestion:
    """One proposed configuration and the source that proposed it (``"sobol"``, ...)."""

    params: dict[str, Any]
    source: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class History:
    """What a strategy sees: the study's trials, encoded on demand.

    ``extra_pending`` are configurations already chosen earlier in the same ask (not yet
    stored); they count as pending. ``skipped`` counts suggestions drawn earlier in the same
    ask and rejected as duplicates, so that sequence designs move past them.

    PRUNED trials (stopped early, their last report as value) are information, not
    failures: ``pruned`` says how :attr:`completed` (the trials models learn from) uses
    them, for a study with one objective and no outcome constraints (see
    :func:`model_trials`): ``"offset"`` (the default) adds each one that has a value as an
    observation of that value lowered by the improvement the COMPLETED trials made after
    that step; ``"last"`` as the value itself; ``"predicted"`` as its learning curve's
    predicted final value (:mod:`bbo.pruners.curves`); ``"rung"`` (BOHB) uses every
    trial's value at the largest reported step that enough trials reached; ``"exclude"``
    leaves them out. ``offset``, ``predicted`` and ``rung`` read ``reports`` (trial id ->
    ``{step: value}``, passed by the study; without them ``offset`` and ``predicted`` are
    ``last``). A study without PRUNED trials sees its COMPLETED trials whatever
    ``pruned`` says.

    ``prior``: COMPLETED trials of earlier studies (the study's ``prior_studies``), their
    params matched to this space and their values carrying this study's objective metrics,
    read by the study: knowledge a model may start from (:mod:`bbo.strategies.transfer`).
    They are not trials of this study: never pending, not in :attr:`n_seen`, not in ``X``.

    After an edit of the study's space (:mod:`bbo.study.edits`) the study passes its trials
    read under the current space; a value outside a since narrowed range is encoded beyond
    ``[0, 1]`` in ``X`` (:func:`bbo.space.outside.encode_stored`).
    """

    space: Space
    objectives: tuple[Objective, ...]
    trials: tuple[Trial, ...]
    extra_pending: tuple[Mapping[str, Any], ...] = ()
    skipped: int = 0
    constraints: tuple[Constraint, ...] = ()
    pruned: str = "offset"
    reports: Mapping[int, Mapping[int, float]] = field(default_factory=dict)
    prior: tuple[Trial, ...] = ()

    def with_pending(self, params: list[Mapping[str, Any]], skipped: int = 0) -> History:
        return replace(
            self, extra_pending=self.extra_pending + tuple(params), skipped=self.skipped + skipped
        )

    @property
    def n_seen(self) -> int:
        """Suggestions drawn so far (stored trials, extra pending, skipped duplicates): the
        position in a sequence design such as Sobol'."""
        return len(self.trials) + len(self.extra_pending) + self.skipped

    def _in(self, *states: TrialState) -> list[Trial]:
        return [t for t in self.trials if t.state in states]

    @cached_property
    def completed(self) -> list[Trial]:
        """The trials models learn from, in id order: the COMPLETED trials, and the PRUNED
        ones as ``pruned`` says (:func:`model_trials`); ``X``, ``Y`` and ``C`` are theirs."""
        return model_trials(self)

    @cached_property
    def X(self) -> np.ndarray:
        """``n x d`` index view of the COMPLETED trials."""
        return encode_stored(self.space, [t.params for t in self.completed])

    @cached_property
    def Y(self) -> np.ndarray:
        """``n x m`` objective values of the COMPLETED trials, sign-flipped so that lower is
        better for every objective (``Y[:, j] = sign_j * value_j``)."""
        if not self.completed:
            return np.zeros((0, len(self.objectives)))
        return np.array(
            [[o.sign * t.values[o.name] for o in self.objectives] for t in self.completed],
            dtype=float,
        )

    @cached_property
    def C(self) -> np.ndarray:
        """``n x k`` constraint slacks of the COMPLETED trials: feasible where ``<= 0``."""
        return np.array(
            [[c.slack(t.values[c.metric]) for c in self.constraints] for t in self.completed],
            dtype=float,
        ).reshape(len(self.completed), len(self.constraints))

    @cached_property
    def X_prior(self) -> np.ndarray:
        """``p x d`` index view of the :attr:`prior` trials."""
        return self.space.encode_many([t.params for t in self.prior])

    @cached_property
    def Y_prior(self) -> np.ndarray:
        """``p x m`` objective values of the :attr:`prior` trials, sign-flipped as :attr:`Y`
        (this study's directions: a prior study's values are of the same metrics)."""
        return np.array(
            [[o.sign * t.values[o.name] for o in self.objectives] for t in self.prior],
            dtype=float,
        ).reshape(len(self.prior), len(self.objectives))

    @cached_property
    def X_pending(self) -> np.ndarray:
        """``p x d``: RUNNING trials and extra pending configurations."""
        running = [t.params for t in self._in(TrialState.RUNNING)]
        return encode_stored(self.space, [*running, *self.extra_pending])

    @cached_property
    def X_failed(self) -> np.ndarray:
        """``f x d``: FAILED trials (crashed evaluations)."""
        return encode_stored(self.space, [t.params for t in self._in(TrialState.FAILED)])

    @cached_property
    def X_infeasible(self) -> np.ndarray:
        """``i x d``: INFEASIBLE trials."""
        return encode_stored(self.space, [t.params for t in self._in(TrialState.INFEASIBLE)])


PRUNED_USES = ("last", "offset", "rung", "predicted", "curve-gp", "exclude")
PREDICTED_ETA = 3  # the level factor of "predicted"'s curve model (Hyperband's default)


def model_trials(history: History) -> list[Trial]:
    """:attr:`History.completed`: COMPLETED trials, plus PRUNED ones by ``history.pruned``.

    * ``"exclude"``, a study with several objectives or outcome constraints (a PRUNED
      trial's value holds the first objective only), or no PRUNED trial with a value: the
      COMPLETED trials.
    * ``"last"``: COMPLETED trials and every PRUNED trial with a value (its last report).
      For a loss that decreases with the steps, that value is worse than the trial's
      full-budget value would be: its region is discouraged, not ruled out.
    * ``"offset"``: as ``"last"``, the value of a PRUNED trial lowered by the improvement
      the COMPLETED trials made after the step where it stopped (their median, a crude
      learning-curve extrapolation; without reports reaching that step, no change).
    * ``"rung"`` (BOHB, Falkner et al. 2018): the largest step ``s`` below the longest
      run's last step at which at least ``d + 2`` trials (``d`` columns of the index view)
      have a value, each trial's value at ``s`` (its first report at or after ``s``) as an
      observation; when no step has enough, or the COMPLETED trials alone are ``d + 2``,
      the COMPLETED trials.
    * ``"predicted"``: as ``"last"``, the value of a PRUNED trial replaced by its curve's
      predicted final value (:class:`bbo.pruners.curves.CurveModel`, fitted on the curves
      of the COMPLETED and PRUNED trials: ``y(T) = y(s) - sum_k rho_k d_k``, its last drop
      ``d`` carried on to the full resource ``T`` by the drop ratios ``rho`` of the curves
      that went further) with ``T`` the longest COMPLETED trial's last step (the longest
      curve's before any) and levels ``T / eta**k``, ``eta =`` :data:`PREDICTED_ETA`.
    * ``"curve-gp"``: as ``"predicted"`` with the GP over (configuration, step) of
      :mod:`bbo.pruners.curve_gp` (its mean; the drop-ratio model until it has data).
    """
    done = [t for t in history.trials if t.state == TrialState.COMPLETED]
    use = history.pruned
    if use not in PRUNED_USES:
        raise InvalidArgumentError(f"`pruned` must be one of {list(PRUNED_USES)}, got {use!r}")
    if use == "exclude" or len(history.objectives) != 1 or history.constraints:
        return done
    with_value = [
        t
        for t in history.trials
        if t.state == TrialState.COMPLETED or (t.state == TrialState.PRUNED and t.value is not None)
    ]
    if len(with_value) == len(done):
        return done  # no PRUNED trial with a value: as a study without pruning
    if use == "last":
        return with_value
    if use == "offset":
        return _offset(history, with_value)
    if use in ("predicted", "curve-gp"):
        return _predicted(history, with_value, gp=use == "curve-gp")
    return _at_rung(history, done, with_value)


def _offset(history: History, finished: list[Trial]) -> list[Trial]:
    """``"offset"`` (see :func:`model_trials`): a PRUNED trial whose last report is at step
    ``s`` gets ``last - median(report_s - final)`` over the COMPLETED trials that reported
    at or after ``s`` (their first report there), the improvement still to come; its last
    value when no COMPLETED trial reported that far."""
    name = history.objectives[0].name
    curves = {t.id: sorted(history.reports.get(t.id, {}).items()) for t in finished}
    gains: dict[int, float] = {}
    out = []
    for t in finished:
        curve = curves[t.id]
        if t.state == TrialState.COMPLETED or not curve or t.value is None:
            out.append(t)
            continue
        s = curve[-1][0]
        if s not in gains:
            diffs = [
                next(v for step, v in curves[c.id] if step >= s) - float(c.values[name])
                for c in finished
                if c.state == TrialState.COMPLETED and curves[c.id] and curves[c.id][-1][0] >= s
            ]
            gains[s] = float(np.median(diffs)) if diffs else 0.0
        v = float(t.value) - gains[s]
        out.append(replace(t, values={name: v}, value=v))
    return out


def _predicted(history: History, finished: list[Trial], gp: bool = False) -> list[Trial]:
    """``"predicted"`` / ``"curve-gp"`` (``gp``; see :func:`model_trials`): each PRUNED
    trial with reports gets the curve model's final value of its curve (its last value
    when the model cannot say)."""
    from bbo.pruners.base import Curve
    from bbo.pruners.curve_gp import CurveGP
    from bbo.pruners.curves import CurveModel, full_resource

    xs = encode_stored(history.space, [t.params for t in finished]) if gp else [()] * len(finished)
    curves = [
        Curve.of(t.id, t.state, history.reports.get(t.id, {}), x) for t, x in zip(finished, xs)
    ]
    top = full_resource(curves)
    if not top:  # no curve has a report
        return finished
    objective = history.objectives[0]
    model: CurveModel | CurveGP = (CurveGP if gp else CurveModel)(
        curves, top, PREDICTED_ETA, objective.direction
    )
    out = []
    for t, c in zip(finished, curves):
        v = model.predict(c) if t.state == TrialState.PRUNED else None
        out.append(t if v is None else replace(t, values={objective.name: v}, value=v))
    return out


def _at_rung(history: History, done: list[Trial], finished: list[Trial]) -> list[Trial]:
    """BOHB's model data (see :func:`model_trials`, ``"rung"``)."""
    need = history.space.dim + 2
    if len(done) >= need:
        return done
    curves = {t.id: sorted(history.reports.get(t.id, {}).items()) for t in finished}
    top = max((c[-1][0] for c in curves.values() if c), default=None)
    if top is None:
        return done
    last = {tid: c[-1][0] for tid, c in curves.items() if c}
    steps = sorted({s for c in curves.values() for s, _ in c if s < top}, reverse=True)
    for s in steps:
        if sum(1 for v in last.values() if v >= s) < need:
            continue
        name = history.objectives[0].name
        out = []
        for t in finished:
            v = next((v for step, v in curves[t.id] if step >= s), None)
            if v is not None:
                out.append(replace(t, values={name: v}, value=v))
        return out
    return done


@runtime_checkable
class Strategy(Protocol):
    """What the study calls. ``name`` is the registry name."""

    name: str

    def suggest(self, n: int, history: History) -> list[Suggestion]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def strategy_options(
    opts_type: type[OptionsT], options: OptionsBase | None, kwargs: Mapping[str, Any]
) -> OptionsT:
    """The options a strategy is built with, the common part of every constructor
    ``Cls(space, *, seed, device=None, options=None, **kwargs)``: ``options`` when given
    (parsed already, as :func:`bbo.strategies.make_strategy` passes them), else the keyword
    arguments of a direct construction (``DEStrategy(space, seed=0, popsize=8)``) parsed by
    ``opts_type.parse``, which refuses unknown names and bad values. Giving both, or options
    of another strategy, raises :class:`InvalidArgumentError`."""
    if options is None:
        return opts_type.parse(kwargs)
    if not isinstance(options, opts_type):
        raise InvalidArgumentError(
            f"strategy {opts_type.strategy!r} takes {opts_type.__name__}, got "
            f"{type(options).__name__}"
        )
    if kwargs:
        raise InvalidArgumentError(
            f"strategy {opts_type.strategy!r}: give `options` or keyword options "
            f"{sorted(kwargs)}, not both"
        )
    return options


class StatelessStrategy:
    """Base for strategies whose suggestions are a pure function of (seed, history).

    Subclasses set ``name`` and ``Options`` (their :class:`bbo.strategies.options.Options`
    subclass); the constructor takes the options parsed or as keywords (see
    :func:`strategy_options`) and accepts the process's ``device``, which stateless designs
    do not use."""

    name = ""
    Options: ClassVar[type[OptionsBase]] = OptionsBase

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: OptionsBase | None = None,
        **kwargs: Any,
    ) -> None:
        self.space = space
        self.seed = int(seed)
        self.options = strategy_options(type(self).Options, options, kwargs)

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None
