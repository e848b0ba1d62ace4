"""Optimization with a generative surrogate in the Wasserstein space (strategy
``wasserstein``), after Ramazyan, Hushchyn & Derkach (2024), "Global Optimisation of
Black-Box Functions with Generative Models in the Wasserstein Space".

The strategy is the BO pipeline of :mod:`bbo.strategies.pipeline` with its own data step
(:class:`ReplicateData`), the generator's model factory (:class:`GeneratorFactory`) and the
``WLCB`` acquisition of the registry (:mod:`bbo.acquisition.wlcb`). Each ask:

1. **Initial design.** Sobol' points while fewer than ``n_init`` trials exist (or fewer than
   two have completed).
2. **Data.** Every COMPLETED trial contributes its replicate samples (``tell(samples=...)``)
   or its single value (a one-atom set), as utilities ``u = -sign * y`` (higher is better).
   FAILED and INFEASIBLE trials, and completed trials that violate an outcome constraint,
   become a one-atom set at the worst observed utility.
3. **Surrogate.** The conditional generator ``G(tau; x)`` of
   :mod:`bbo.surrogates.wasserstein`, a deep ensemble of ``members`` (5) quantile networks,
   each fitted by minimizing the exact ``W_2^2`` between its law at ``x_i`` and the
   replicates ``Y_i``. The predicted law is the members' Wasserstein-2 barycenter ``Gbar``.
   With ``location="gp"`` (the default) a GP (:func:`bbo.surrogates.gp.fit_gp`, the ``gp``
   strategy's model) is fitted to the replicate means with their squared standard errors as
   known noise, and the networks learn the law around its posterior mean: with 5-25 points
   a network is a poor prior for the mean, the GP's smoothness prior a good one (see
   docs/wasserstein.md). The GP's posterior variance joins the members' spread ``s(x)``.
   For an objective statistic other than the mean (:mod:`bbo.statistics`) the model is
   seen through it (:mod:`bbo.surrogates.law_statistic`): each member's predicted law
   becomes its statistic (a CVaR, a quantile ... of the predicted law), so below ``Gbar``
   and ``G_m`` stand for those and the bonus is the members' disagreement about the
   statistic, in its units.
4. **Acquisition** (a Wasserstein lower confidence bound, here in utilities, maximized)::

       a(x) = mean(Gbar(x)) + kappa * s(x),   s(x) = sqrt(mean_m W_2^2(G_m(x), Gbar(x)))

   (``bonus="spread"``, the default; ``kappa = 2``): the bonus is the *epistemic*
   uncertainty, how far apart in Wasserstein space the members' laws are, which is large
   away from the data and does not depend on the level of the prediction. The paper's
   formula, ``bonus="distance"``::

       a(x) = mean(G(x)) + kappa * min_i W_p(G(x), Y_i)

   measures instead how far the predicted law is from every *observed* law. For a
   candidate predicted worse than every observation (``G(x)`` below every ``Y_i``),
   ``min_i W_1 = min_i mean(Y_i) - mean(G(x))``, so ``a = kappa * m_worst - (kappa - 1)
   mean(G(x))`` *grows as the prediction gets worse* when ``kappa > 1``: the paper's
   ``kappa = 2`` sends asks to wherever the network extrapolates to poor values (the
   corners). The spread bonus is invariant to shifting a prediction, so a worse prediction
   with the same uncertainty always scores lower (:func:`bbo.acquisition.wlcb.wlcb_score`).
   The acquisition is evaluated on a pool
   of ``pool_size`` scrambled Sobol' points plus Gaussian perturbations of the best
   observed points, in blocks on the device; the best candidate is then polished by a few
   Adam steps on ``a`` (continuous columns only; discrete columns stay on their levels).
5. **Batches and pending points.** Points are chosen greedily. A pending point (a RUNNING
   trial, or one chosen earlier in the batch) excludes the candidates closer than ``rho``
   to it, ``rho`` being half the median nearest-neighbour distance of the observed points
   in the unit cube; with ``bonus="distance"`` it is also treated as observed with its
   predicted law ``G(x_p)`` (a "believer" set: candidates that look like it lose their
   bonus).

With single values only, every ``Y_i`` is a point mass: ``G`` is fitted towards point masses
and ``W_p(G(x), delta_y) = (E|G(x) - y|^p)^(1/p)``, so the bonus becomes a distance in
*value* between the prediction at ``x`` and the nearest observed value; the response's spread
and shape, which the method is built on, are no longer seen.

``acquisition`` may also name any entry of :data:`bbo.acquisition.ACQUISITIONS` (``qLogNEI``,
``qUCB``, ``TS``, ``PM``): the generator is a botorch model whose posterior members are its
draws, so those run on it unchanged (pending points as botorch handles them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from botorch.models.model import Model

from bbo.acquisition.wlcb import BONUSES, wlcb_score
from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.space.outside import encode_stored
from bbo.statistics import MEAN, Statistic
from bbo.strategies.base import History, Suggestion, strategy_options
from bbo.strategies.pipeline import BOStrategy, TrainData
from bbo.strategies.wasserstein_options import LOCATIONS, WassersteinOptions
from bbo.surrogates.gp import GPData, fit_gp
from bbo.surrogates.law_statistic import StatisticGenerativeModel
from bbo.surrogates.wasserstein import GeneratorConfig, fit_generator
from bbo.trial import TrialState

__all__ = [
    "BONUSES",
    "LOCATIONS",
    "GeneratorFactory",
    "ReplicateData",
    "WassersteinOptions",
    "WassersteinStrategy",
    "wlcb_score",
]


@dataclass(frozen=True)
class ReplicateData:
    """The data step of ``wasserstein``: every COMPLETED trial contributes its replicate
    samples (``tell(samples=...)``) or its single value, as utilities ``u = -sign * y``;
    failed, infeasible and constraint-violating trials a one-atom set at the worst observed
    utility. ``Y`` (``n x 1``) holds the sets' means, ``sets`` the sets themselves."""

    space: Space

    def observations(self, history: History) -> tuple[np.ndarray, list[np.ndarray]]:
        """``n x d`` encoded points and, for each, its utility samples (``-sign * y``); bad
        points (failed, infeasible, constraint-violating) as one atom at the worst utility."""
        if len(history.objectives) != 1:
            raise InvalidArgumentError(
                f"strategy 'wasserstein' optimizes one objective, got {len(history.objectives)}"
            )
        obj = history.objectives[0]
        good: list[tuple[Mapping[str, Any], np.ndarray]] = []
        bad: list[Mapping[str, Any]] = []
        for t in history.trials:
            if t.state == TrialState.COMPLETED and t.feasible(history.constraints):
                reps = t.replicates(obj.name)
                ys = reps if reps is not None else (t.values[obj.name],)
                good.append((t.params, -obj.sign * np.asarray(ys, dtype=float)))
            elif t.state in (TrialState.COMPLETED, TrialState.FAILED, TrialState.INFEASIBLE):
                bad.append(t.params)
        if not good:
            return np.zeros((0, self.space.dim)), []
        worst = min(float(u.min()) for _, u in good)
        sets = [u for _, u in good] + [np.array([worst])] * len(bad)
        X = encode_stored(self.space, [p for p, _ in good] + bad)
        return X, sets

    def __call__(self, history: History) -> TrainData | None:
        X, sets = self.observations(history)
        if len(sets) < 2:
            return None
        Y = np.array([[float(s.mean())] for s in sets])
        bounds = np.stack([np.zeros(self.space.dim), np.ones(self.space.dim)])
        return TrainData(X, Y, 1, bounds, sets=sets)


@dataclass(frozen=True)
class GeneratorFactory:
    """The model step of ``wasserstein``: :func:`bbo.surrogates.wasserstein.fit_generator`
    on the replicate sets, seeded by the ask's seed. With ``location="gp"`` a GP
    (:func:`bbo.surrogates.gp.fit_gp`) is first fitted to the replicate means with their
    squared standard errors as known noise when every point has >= 2 replicates (else an
    inferred noise level), and the networks learn the law around its posterior mean. Keeps
    no state; the default acquisition is ``WLCB``."""

    space: Space
    config: GeneratorConfig
    location: str = "gp"
    statistic: Statistic = MEAN  # of the objective: the model is seen through it
    sign: float = 1.0

    def fit(
        self,
        data: TrainData,
        *,
        device: torch.device,
        seed: int,
        state: dict[str, Any],
        refit: bool,
    ) -> tuple[Model, dict[str, Any]]:
        assert data.sets is not None, "ReplicateData gives the sets"
        t = lambda a: torch.as_tensor(a, dtype=torch.float64, device=device)  # noqa: E731
        loc = None
        if self.location == "gp":
            sets = data.sets
            Yvar = None
            if all(len(s) >= 2 for s in sets):
                Yvar = np.array([[float(s.var(ddof=1)) / len(s)] for s in sets])
            cat_dims = sorted(self.space.categorical_dims)
            loc, _ = fit_gp(
                GPData(data.X, data.Y, Yvar), cat_dims=cat_dims, device=device, state=None
            )
        model = fit_generator(
            t(data.X), [t(s) for s in data.sets], config=self.config, seed=seed, location=loc
        )
        if not self.statistic.is_mean:
            model = StatisticGenerativeModel(model, self.statistic, self.sign)
        return model, {}

    def default_acquisition(self, q: int, m: int, k: int, p: int) -> str:
        return "WLCB"


class WassersteinStrategy(BOStrategy):
    """Generative-surrogate BO: the pipeline with :class:`ReplicateData`,
    :class:`GeneratorFactory` and the ``acquisition`` option (``WLCB`` by default),
    configured by :class:`WassersteinOptions` (parsed, or as keywords)."""

    name = "wasserstein"
    Options = WassersteinOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: WassersteinOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = opts = strategy_options(WassersteinOptions, options, kwargs)
        self.replicates = ReplicateData(space)
        self.generator = GeneratorFactory(space, opts.generator(), opts.location)
        super().__init__(
            self.name,
            space,
            seed=seed,
            data=self.replicates,
            factory=self.generator,
            acquisition=opts.acquisition,
            n_init=opts.n_init,
            acq_settings=opts.acq_settings(),
            device=device,
        )

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        """:meth:`BOStrategy.suggest`, the model seen through the objective's statistic
        (:class:`~bbo.surrogates.law_statistic.StatisticGenerativeModel`) when it is not
        the mean."""
        if len(history.objectives) == 1:
            o = history.objectives[0]
            g = self.generator
            if (o.statistic, o.sign) != (g.statistic, g.sign):
                self.generator = self.factory = replace(g, statistic=o.statistic, sign=o.sign)
        return super().suggest(n, history)

    def observations(self, history: History) -> tuple[np.ndarray, list[np.ndarray]]:
        """:meth:`ReplicateData.observations`."""
        return self.replicates.observations(history)
