"""Gaussian-process Bayesian optimization (strategy ``gp``; ``auto`` uses it too).

The strategy is the BO pipeline of :mod:`bbo.strategies.pipeline` with the imputed data
step (:class:`~bbo.strategies.pipeline.ImputedData`) and the GP model factory
(:class:`GPFactory`). Each ask:

1. **Initial design.** While fewer than ``n_init`` trials exist (or fewer than two have
   completed) suggestions come from the scrambled Sobol' sequence.
2. **Data.** ``X`` is the index view of the COMPLETED trials; outputs are the objective
   utilities ``u = -sign * value`` (higher is better) and the constraint slacks. FAILED and
   INFEASIBLE trials are imputed with the worst observed utility and the worst observed
   slack of every constraint (SMAC's treatment of crashed runs), so the model sees the
   failure region as bad instead of never hearing of it. (A separate GP on the 0/1 failure
   indicator was tried first: fitted by marginal likelihood on a handful of labels it
   learned the wrong geometry and did not steer.) Replicate samples on every point give
   known noise variances (see :mod:`bbo.surrogates.gp`).
   Objective utilities are warped by :func:`bilog_warp` (unless known noise is used).
3. **Large histories.** Above ``max_exact`` completed trials the GP is fitted on the
   ``max_exact`` trials nearest to the incumbent and the continuous columns of the search are
   restricted to their bounding box (padded by 5%), a TuRBO-style local model that keeps the
   cost of a fit at ``O(max_exact^3)`` however long the study runs.
4. **Acquisition.** The acquisition (:meth:`GPFactory.default_acquisition`: ``LogEI`` for
   one unconstrained objective, whose batches and asks with RUNNING trials pending are the
   greedy Kriging believer; ``qLogNEI`` with constraints, maximized jointly for the batch;
   ``qLogNEHVI`` for several objectives) is built with every RUNNING trial as a pending
   point (see :mod:`bbo.acquisition`).

5. **Numerical failures.** When the fit or the acquisition fails numerically (a kernel
   matrix that is not positive definite even with jitter, ``NotPSDError``/``LinAlgError``),
   the ask is tried once more from fresh hyperparameters (the priors' defaults), and if that
   fails too it is answered by the Sobol' sequence (source ``sobol-fallback``, logged), so
   that a long study never stops on one ill-conditioned ask.

Hyperparameters are warm-started from the previous fit and kept in ``state_dict()``; they
are refitted once the data have grown by ``1/REFIT_GROWTH`` since the last fit (every ask
below 40 points, every 50th ask at 1,000) and reused on the new data in between. The study
stores that state with the trials, so a resumed study fits exactly what an uninterrupted
one would.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch
from botorch.models import SingleTaskGP
from botorch.models.model import Model

from bbo.space import Space
from bbo.strategies.base import strategy_options
from bbo.strategies.gp_options import GPOptions
from bbo.strategies.pipeline import (
    REFIT_GROWTH,
    BOStrategy,
    ImputedData,
    TrainData,
    default_acquisition,
    default_n_init,
)
from bbo.strategies.transfer import PriorData, PriorMeanModel, align, prior_gp, prior_mean_at
from bbo.strategies.warps import bilog_warp
from bbo.surrogates.activity import fit_activity_gp
from bbo.surrogates.gp import GPData, ModelSlot, fit_gp, hyperparameters
from bbo.surrogates.rotation import fit_rotated_gp

__all__ = [
    "REFIT_GROWTH",
    "GPFactory",
    "GPOptions",
    "GPStrategy",
    "bilog_warp",
    "default_acquisition",
    "default_n_init",
]


@dataclass(frozen=True)
class GPFactory:
    """The model step of ``gp``: :func:`bbo.surrogates.gp.fit_gp` (warm-started from the
    stored hyperparameters, refitted when the pipeline says so), with a categorical kernel
    on the categorical columns of ``space`` (``conditional="indicators"`` on a conditional
    space: :func:`bbo.surrogates.activity.fit_activity_gp`); the default acquisition is
    :func:`~bbo.strategies.pipeline.default_acquisition`."""

    space: Space
    mixed_kernel: str = "product"
    kernel: str = "rbf"
    conditional: str = "impute"
    rotation: bool = False
    # the last fit's model, refilled by the next one (used under seeded()'s process lock)
    slot: ModelSlot = field(default_factory=ModelSlot, compare=False, repr=False)
    rotated_slot: ModelSlot = field(default_factory=ModelSlot, compare=False, repr=False)
    uses_prior = True  # trials of earlier studies are its prior mean (:mod:`.transfer`)

    def fit(
        self,
        data: TrainData,
        *,
        device: torch.device,
        seed: int,
        state: dict[str, Any],
        refit: bool,
    ) -> tuple[Model, dict[str, Any]]:
        if data.prior is not None:
            return self._fit_with_prior(data, data.prior, device, state, refit)
        return self._fit_gp(data.gp_data(), device, state, refit)

    def _fit_gp(
        self, data: GPData, device: torch.device, state: dict[str, Any], refit: bool
    ) -> tuple[SingleTaskGP, dict[str, Any]]:
        """:func:`~bbo.surrogates.gp.fit_gp`, with activity indicators if so configured."""
        kw: dict[str, Any] = {"mixed_kernel": self.mixed_kernel, "kernel": self.kernel}
        cat_dims = sorted(self.space.categorical_dims)
        if self.conditional == "indicators" and self.space.conditions:
            conditions = self.space.conditions
            return fit_activity_gp(
                data, conditions, cat_dims=cat_dims, device=device, state=state, refit=refit, **kw
            )
        if (
            self.rotation
            and not (self.space.categorical_dims or self.space.discrete_dims)
            and (data.Y.shape[-1] == 1 and not self.space.conditions)
        ):

            def fit(d: GPData, s: dict[str, Any] | None, r: bool) -> tuple[SingleTaskGP, dict]:
                # the plain fit (on ``data`` itself) and the rotated one each refill a slot
                slot = self.slot if d is data else self.rotated_slot
                return fit_gp(d, cat_dims=[], device=device, state=s, refit=r, slot=slot, **kw)

            return fit_rotated_gp(data, fit, state, refit)
        return fit_gp(
            data, cat_dims=cat_dims, device=device, state=state, refit=refit, slot=self.slot, **kw
        )

    def _fit_with_prior(
        self,
        data: TrainData,
        prior: PriorData,
        device: torch.device,
        state: dict[str, Any],
        refit: bool,
    ) -> tuple[Model, dict[str, Any]]:
        """The residual GP on ``y - (a m_p(X) + b)`` under the prior GP's mean
        (:mod:`bbo.strategies.transfer`); ``a`` and ``b`` are kept in the state."""
        gp_prior = self.prior_model(prior, device)
        m = prior_mean_at(gp_prior, data.X, device)
        a, b = align(m, data.Y[:, 0])
        residual = replace(data, Y=data.Y - (a * m + b)[:, None], prior=None)
        # the first residual fit starts from the prior GP's hyperparameters
        state = state or {"params": hyperparameters(gp_prior)}
        model, new_state = self._fit_gp(residual.gp_data(), device, state, refit)
        if a == 0.0:  # the data found the prior useless: the plain GP (a constant aside)
            return model, {**new_state, "prior_ab": [a, b]}
        return PriorMeanModel(model, gp_prior, a, b), {**new_state, "prior_ab": [a, b]}

    def prior_model(self, prior: PriorData, device: torch.device) -> SingleTaskGP:
        """The GP of the prior trials (:func:`~bbo.strategies.transfer.prior_gp`)."""
        kw = {"mixed_kernel": self.mixed_kernel, "kernel": self.kernel}
        return prior_gp(prior, sorted(self.space.categorical_dims), device, **kw)

    def default_acquisition(self, q: int, m: int, k: int, p: int) -> str:
        """The pipeline's choice, except that batches and asks with pending points of one
        unconstrained objective use ``LogEI``'s Kriging believer (the exact GP's cached
        posterior conditioned on believed values: a fraction of qLogNEI's cost)."""
        return "LogEI" if m == 1 and k == 0 else default_acquisition(q, m, k, p)


class GPStrategy(BOStrategy):
    """GP-BO: the pipeline with :class:`~bbo.strategies.pipeline.ImputedData` and
    :class:`GPFactory`, configured by :class:`GPOptions` (given parsed as ``options``, or as
    keywords). ``device`` is the process's runtime setting, not an option."""

    name = "gp"
    Options = GPOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: GPOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = opts = strategy_options(GPOptions, options, kwargs)
        super().__init__(
            self.name,
            space,
            seed=seed,
            data=ImputedData(
                space, opts.max_exact, opts.warp, opts.n_init or default_n_init(space.dim)
            ),
            factory=GPFactory(
                space, opts.mixed_kernel, opts.kernel, opts.conditional, opts.rotation
            ),
            acquisition=opts.acquisition,
            n_init=opts.n_init,
            acq_settings=opts.acq_settings(),
            device=device,
        )
