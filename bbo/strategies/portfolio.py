"""The ``auto`` portfolio: what users get by default.

Each ask goes through these rules, in order (documented in docs/strategies.md):

1. **Initial design.** Until ``n_init`` trials exist: the scrambled Sobol' sequence.
2. **Very large studies or dimensions.** With more than ``cmaes_after`` completed trials, or
   more than ``cmaes_dim`` columns (1000), a GP is too slow per ask for what it adds: IPOP
   CMA-ES (:mod:`bbo.strategies.cmaes`, warm-started at the incumbent) proposes; its state
   is kept. (At 200 columns and 100 evaluations the GP is far better than CMA-ES: Hartmann-6
   embedded in 200-D, 0.0053 against 0.67, docs/benchmarks.md; an ask costs it about 0.3 s
   at n = 100 and 5 s at n = 1000 there, so a cheap high-dimensional objective may want a
   lower ``cmaes_after``.)
3. **A statistic of skewed replicate laws: the generator.** For one objective whose statistic
   is not the mean (docs/statistics.md), each ask tests the completed trials' replicates for
   skewness (D'Agostino's test per point, pooled by Stouffer's method, level 0.01:
   :mod:`bbo.strategies.law_choice`). Skewed laws: the ``wasserstein`` strategy (built
   lazily, its state kept in ``auto``'s) answers the ask, source ``skewed>wasserstein:WLCB``;
   so it does for ``exceed`` when most points' replicates all lie on one side of the
   threshold (the empirical exceedance a constant 0 or 1: source ``saturated>...``);
   otherwise the GP below models the empirical statistic. The test's ``z``, ``p`` and the
   model chosen are in ``attrs["law"]``. ``statistic_model: gp`` or ``wasserstein`` forces one.
4. **Stagnation: explore** (off by default: ``explore_after: 0``). For a single-point ask
   of one objective, when the last ``explore_after`` completed trials after the initial
   design (``null``: ``max(5, min(d, 20))``) did not improve the best value by more than
   ``IMPROVEMENT_TOL`` of the observed range (:func:`~bbo.strategies.pools.stagnation`),
   that ask, and every ``explore_after``-th one while the stagnation lasts, is answered by
   Thompson sampling over the whole box (source ``explore>gp:TS``): one posterior draw's
   arg-max goes to another basin as often as the model deems it may hold the optimum. Off
   by default: in the ablation of docs/benchmarks.md it did not pay for its evaluations.
5. **Everything else: GP-BO with competing proposal sources, in a trust region.** The GP
   strategy (:mod:`bbo.strategies.gp`) fits its model on every trial and maximizes its
   acquisition as usual, except that a single-point ask on a space of Float parameters only
   searches TuRBO's box around the best point (:mod:`bbo.strategies.trust`, ``trust_region:
   true``; the side is recorded in ``attrs["trust_region"]``), but every ``global_every``-th
   trial (3) searches the whole box (TREGO's alternation of global and local steps). For a
   single-point ask, candidate pools from other sources are scored by the same acquisition
   and, on continuous spaces, the best of them join the optimizer's restarts in the same
   L-BFGS run (:func:`bbo.acquisition.optimize.optimize_one`). The point of highest
   acquisition wins, so a source only ever gets an evaluation when the surrogate prefers its
   point (the LLAMBO-style use of proposers). Sources:

   * ``de``: DE/current-to-pbest/1/bin mutations of the incumbents
     (:func:`bbo.strategies.evolution.de_candidates`);
   * ``local``: Gaussian moves around the 5 best points, step sd 0.02, 0.08 or 0.2 of the
     encoded range (a trust-region-like local search the global optimizer can miss);
   * ``cma``: draws from the distribution CMA-ES's rank-mu update estimates from the best
     quarter of the points (:func:`~bbo.strategies.pools.cma_candidates`): rotated,
     elongated valleys;
   * ``quad`` (opt-in: ``sources: [de, local, cma, quad]``): the minimizer of a full
     quadratic fitted to the best points and small moves around it
     (:func:`bbo.strategies.metamodel.quad_candidates`, Nevergrad's ``MetaModel`` idea); in
     the ablation of docs/benchmarks.md it did not pay on average;
   * ``llm``: ``points_per_call x max_calls`` proposals of a chat model per ask when the
     ``llm`` option (a mapping of the ``llm`` strategy's options, see docs/llm.md) is
     given; their prompts and raw answers are stored with the trial
     (``attrs["llm_calls"]``). The LLM has its own budget, outside the bandit.

   **A local derivative-free run** (opt-in: ``local_dfo: cobyqa`` or ``cobyla``; off by
   default, it did not pay in the ablation of docs/benchmarks.md): on a space of Float
   parameters without parameter or outcome constraints, a single-point ask may instead be
   the next point of a COBYLA/COBYQA run started at the incumbent, replayed from the
   trials (:mod:`bbo.strategies.localdfo`, source ``cobyla``); a Thompson draw between
   ``gp`` and the run on their wins decides which asks are the run's.

   **Budget between sources** is a Thompson-sampling bandit over the history: a source
   *wins* when a trial it produced improved the best value so far. Each ask draws
   ``p_s ~ Beta(1 + wins_s, 1 + trials_s - wins_s)`` per source (seeded) and splits the
   ``pool_size`` candidates in proportion, with at least ``pool_size / 8`` each; the
   optimizer's own point always competes.

Several objectives skip the pools (qLogNEHVI alone). Every suggestion's ``source`` names who
proposed it: ``sobol``, ``gp:LogEI``, ``de>gp:LogEI``, ``cmaes`` …, visible in the trial's
``attrs["source"]`` (``bbo show``, exports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.space import Space
from bbo.strategies.auto_options import STATISTIC_MODELS, AutoOptions, _llm_options
from bbo.strategies.base import History, Suggestion, strategy_options
from bbo.strategies.evolution import de_candidates
from bbo.strategies.gp import GPStrategy
from bbo.strategies.law_choice import LawTest, law_test
from bbo.strategies.localdfo import LocalDFO, dfo_group
from bbo.strategies.metamodel import quad_candidates
from bbo.strategies.pools import (
    allocate,
    cma_candidates,
    local_candidates,
    ranked_values,
    source_stats,
    stagnation,
)
from bbo.strategies.trust import center, region_bounds, region_length

if TYPE_CHECKING:
    import torch
    from botorch.models.model import Model

    from bbo.strategies.pipeline import TrainData

__all__ = ["STATISTIC_MODELS", "AutoOptions", "AutoStrategy", "Lazy"]


class AutoStrategy:
    """The default portfolio (see the module docstring), configured by :class:`AutoOptions`
    (parsed, or as keywords); its GP is a :class:`~bbo.strategies.gp.GPStrategy` built from
    the same options."""

    name = "auto"
    Options = AutoOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: AutoOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = opts = strategy_options(AutoOptions, options, kwargs)
        self.space = space
        self.seed = int(seed)
        self.pool_size = opts.pool_size
        self.sources = opts.sources
        self.cmaes_after = opts.cmaes_after
        self.cmaes_dim = opts.cmaes_dim
        # on spaces with discrete columns the incumbent's continuous values go with its
        # discrete ones, and a box around them held the search back (docs/strategies.md)
        discrete = space.discrete_dims or space.categorical_dims
        self.trust_region = opts.trust_region and not discrete
        auto_k = max(5, min(space.dim, 20))  # explore_after: null
        self.explore_after = auto_k if opts.explore_after is None else opts.explore_after
        self.gp = GPStrategy(space, seed=seed, device=device, options=opts)
        self._device = device
        self._wass = Lazy(self._make_wasserstein)  # the generator of skewed laws
        self._llm: Any = None
        if opts.llm is not None:
            from bbo.strategies.llm.proposer import LLMProposer

            self._llm = LLMProposer(space, _llm_options(opts.llm))
        self._cmaes = Lazy(lambda: _cmaes(space, self.seed))
        self.dfo: LocalDFO | None = None
        if opts.local_dfo and not (discrete or space.conditions or space.constraints):
            self.dfo = LocalDFO(space, str(opts.local_dfo), self.seed)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"gp": self.gp.state_dict()}
        if self._llm is not None:
            state["llm"] = self._llm.state_dict()
        for key, lazy in (("cmaes", self._cmaes), ("wasserstein", self._wass)):
            sub = lazy.state_dict()
            if lazy.built or sub:
                state[key] = sub
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gp.load_state_dict(dict(state.get("gp", {})))
        if self._llm is not None:
            self._llm.load_state_dict(state.get("llm", {}))
        self._cmaes.load_state_dict(state.get("cmaes", {}))
        self._wass.load_state_dict(state.get("wasserstein", {}))

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        if history.n_seen < self.gp.n_init or len(history.completed) < 2:
            return self.gp.suggest(n, history)
        if len(history.completed) > self.cmaes_after or self.space.dim > self.cmaes_dim:
            return self._cma().suggest(n, history)
        law = self.law(history)
        info: dict[str, Any] = {} if law is None else {"law": law.info()}
        if law is not None and law.model == "wasserstein":
            out = self._wasserstein().suggest(n, history)
            tag = law.reason  # "skewed" or, for exceed, "saturated"
            return [Suggestion(s.params, f"{tag}>{s.source}", {**s.info, **info}) for s in out]
        if n != 1 or len(history.objectives) > 1:
            return [replace(s, info={**s.info, **info}) for s in self.gp.suggest(n, history)]
        k = self.explore_after
        # counted from the end of the initial design: its last points are no model's fault
        stuck = min(stagnation(history), len(history.completed) - self.gp.n_init)
        if k and stuck > 0 and stuck % k == 0:
            out = self.gp.propose(n, history, acquisition="TS")
            return [Suggestion(s.params, f"explore>{s.source}", s.info) for s in out]
        if self.dfo is not None and not history.constraints:  # a local DFO run's ask?
            y = ranked_values(history)
            local = self.dfo.suggest(history, source_stats(history, dfo_group), y)
            if local is not None:
                return [local]
        region = None
        every = self.options.global_every  # TREGO: a global step between local ones
        if self.trust_region and not (every and history.n_seen % every == 0):
            region, length = self.region(history)
            info["trust_region"] = round(length, 6)
        calls: list[dict[str, Any]] = []
        pools = self.pools(history, calls) if self.pool_size and self.sources else None
        out = self.gp.propose(n, history, pools, region=region)
        if calls:  # the prompts and raw answers of this ask's LLM calls, for audit
            info["llm_calls"] = calls
        return [Suggestion(s.params, s.source, {**s.info, **info}) for s in out]

    def law(self, history: History) -> LawTest | None:
        """The skewness test of the completed trials' replicates
        (:func:`~bbo.strategies.law_choice.law_test`) for one objective whose statistic is
        not the mean (``statistic_model: gp`` / ``wasserstein``: that choice, as a test
        result); None for the mean, several objectives, or no replicates."""
        if len(history.objectives) != 1 or history.objectives[0].statistic.is_mean:
            return None
        name = history.objectives[0].name
        sets = [s for s in (t.replicates(name) for t in history.completed) if s is not None]
        forced = self.options.statistic_model
        if not sets or forced == "test":
            return law_test(sets, statistic=history.objectives[0].statistic) if sets else None
        return LawTest(0.0, 1.0, 0, forced == "wasserstein")  # no test: points 0

    def region(self, history: History) -> tuple[Callable[[Model, TrainData], np.ndarray], float]:
        """The trust region of this ask (:mod:`bbo.strategies.trust`): (fitted model, data)
        -> TuRBO's ``2 x d`` box around the centre (:func:`~bbo.strategies.trust.center`),
        and its side, from the completed trials in id order."""
        y = ranked_values(history)
        ids = np.array([t.id for t in history.completed])
        y_in_order = y[np.argsort(ids, kind="stable")]
        length = region_length(y_in_order, min(self.gp.n_init, len(y)), self.space.dim)
        return lambda model, data: region_bounds(center(model, data), length, self.space), length

    def pools(
        self, history: History, llm_calls: list[dict[str, Any]] | None = None
    ) -> dict[str, np.ndarray]:
        """The candidate pools of this ask, ``source -> k x d`` (see the module docstring);
        the LLM's call records are appended to ``llm_calls``."""
        rng = np.random.default_rng([self.seed, history.n_seen, 7])
        X, y = history.X, ranked_values(history)
        counts = allocate(
            source_stats(history), self.sources, self.pool_size, int(rng.integers(2**31))
        )
        out: dict[str, np.ndarray] = {}
        if counts.get("de") and len(X) >= 3:
            out["de"] = de_candidates(X, y, counts["de"], rng)
        if counts.get("local"):
            out["local"] = local_candidates(X, y, counts["local"], self.space, rng)
        if counts.get("cma") and len(X) >= 4:
            out["cma"] = cma_candidates(X, y, counts["cma"], rng)
        if counts.get("quad"):
            quad = quad_candidates(X, y, counts["quad"], self.space, rng)
            if len(quad):
                out["quad"] = quad
        if self._llm is not None:  # its own budget: points_per_call x max_calls per ask
            o = self._llm.options
            prop = self._llm.propose(
                o.points_per_call * o.max_calls, history, seed=int(rng.integers(2**31))
            )
            if llm_calls is not None:
                llm_calls.extend(prop.calls)
            if prop.configs:
                out["llm"] = self.space.encode_many(prop.configs)
        return out

    def _make_wasserstein(self) -> Any:
        from bbo.strategies.wasserstein import WassersteinStrategy

        n_init = self.gp.n_init
        return WassersteinStrategy(self.space, seed=self.seed, device=self._device, n_init=n_init)

    def _wasserstein(self) -> Any:
        return self._wass.get()

    def _cma(self) -> Any:
        return self._cmaes.get()


def _cmaes(space: Space, seed: int) -> Any:
    from bbo.strategies.cmaes import CMAESStrategy

    return CMAESStrategy(space, seed=seed)


class Lazy:
    """A sub-strategy of ``auto`` built on first use by ``build``; until then the state it
    was given is kept and handed back, so a stateless server restores it unchanged."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._made: Any = None
        self._state: dict[str, Any] = {}

    @property
    def built(self) -> bool:
        return self._made is not None

    def get(self) -> Any:
        if self._made is None:
            self._made = self._build()
            self._made.load_state_dict(self._state)
        return self._made

    def state_dict(self) -> dict[str, Any]:
        return self._made.state_dict() if self._made is not None else self._state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._state = dict(state)
        if self._made is not None:
            self._made.load_state_dict(self._state)
