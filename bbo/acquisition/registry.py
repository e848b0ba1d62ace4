"""Acquisition functions by name.

Every entry is a *proposer* ``(ctx, q) -> X`` returning ``q x d`` candidates, so that
optimizer-based acquisitions and sampling-based ones (Thompson sampling) share one
interface. The model's outputs are, in order: ``m`` objective utilities (higher is better)
and ``k`` constraint slacks (feasible where ``<= 0``); constraints enter the MC
acquisitions the botorch way (a smoothed feasibility factor per sample).

| name        | what it maximizes                                                          |
|-------------|----------------------------------------------------------------------------|
| `LogEI`     | analytic log expected improvement over the best posterior mean of the       |
|             | observed points; for batches and pending points the greedy Kriging believer |
|             | (:func:`log_ei`). The default for one objective without constraints          |
| `qLogNEI`   | log of the noisy expected improvement of the batch, with pending points and  |
|             | outcome constraints (Ament et al. 2023), maximized jointly; the default with |
|             | constraints                                                                 |
| `UCB`       | analytic ``mu + sqrt(beta) sigma`` for one point; batches and pending points |
|             | by ``qUCB`` (:func:`ucb`)                                                   |
| `qUCB`      | ``E[max_j mu_j + sqrt(beta pi / 2) |y_j - mu_j|]`` (MC upper confidence bound) |
| `TS`        | Thompson sampling: the arg-max of joint posterior draws over a Sobol' pool   |
| `PM`        | the posterior mean (pure exploitation, for a final recommendation)           |
| `qLogNEHVI` | log noisy expected hypervolume improvement; the default for several objectives|
| `WLCB`      | Wasserstein lower confidence bound of the generative surrogate (strategy      |
|             | ``wasserstein`` only, :mod:`bbo.acquisition.wlcb`): needs ``ctx.sets``        |

:data:`MODEL_ACQUISITIONS` are the entries that run on any botorch model (the choices of
the ``gp``, ``bnn`` and ``auto`` strategies); ``WLCB`` needs the generative model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction, qSimpleRegret, qUpperConfidenceBound
from botorch.acquisition.analytic import LogExpectedImprovement, UpperConfidenceBound
from botorch.acquisition.logei import qLogNoisyExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
from botorch.acquisition.objective import GenericMCObjective
from botorch.generation.sampling import MaxPosteriorSampling
from botorch.models.ensemble import EnsembleModel
from botorch.models.model import Model
from botorch.posteriors.ensemble import EnsemblePosterior
from botorch.sampling import SobolQMCNormalSampler
from botorch.sampling.base import MCSampler
from botorch.sampling.index_sampler import IndexSampler
from botorch.utils.multi_objective.hypervolume import infer_reference_point
from botorch.utils.transforms import t_batch_mode_transform
from torch import Tensor

from bbo.acquisition import logei
from bbo.acquisition.believer import believer_batch
from bbo.acquisition.optimize import OptimizerConfig, candidate_pool, optimize, optimize_one
from bbo.acquisition.prior import DEFAULT_BETA, weighted
from bbo.acquisition.ucb import ucb as ucb_numpy
from bbo.acquisition.ucb import ucb_value
from bbo.acquisition.wlcb import WLCBConfig, wlcb
from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.names import MODEL_ACQUISITIONS as MODEL_ACQUISITIONS  # torch-free there
from bbo.surrogates.cached import CachedGP


@dataclass
class AcqContext:
    """Everything a proposer needs. Shapes: ``X_baseline`` ``n x d``; ``Y`` ``n x m``
    objective utilities; ``X_pending`` ``p x d`` or None; ``bounds`` ``2 x d``; ``pools``
    named ``k x d`` candidate sets that compete with the optimizer for single-point asks;
    ``sets`` the sorted replicate utilities of each row of ``X_baseline`` (1-D tensors, for
    ``WLCB``, whose settings are ``wlcb``). ``seed`` seeds every draw of the proposer.
    ``prior_beta``: piBO's ``beta`` for the parameters' priors (:mod:`bbo.acquisition.prior`;
    the log-scale acquisitions are weighted by ``(beta / n) log pi``, ``n = len(X_baseline)``)."""

    model: Model
    space: Space
    X_baseline: Tensor
    Y: Tensor
    n_objectives: int
    n_constraints: int
    X_pending: Tensor | None
    bounds: Tensor
    seed: int
    config: OptimizerConfig = field(default_factory=OptimizerConfig)
    mc_samples: int = 256
    beta: float = 4.0
    pools: dict[str, Tensor] = field(default_factory=dict)
    sets: list[Tensor] | None = None
    wlcb: WLCBConfig = field(default_factory=WLCBConfig)
    winner: str | None = None  # set by a proposer: the pool whose candidate was chosen
    prior_beta: float = DEFAULT_BETA

    def with_prior(self, acqf: AcquisitionFunction) -> AcquisitionFunction:
        """A log-scale ``acqf`` weighted by the space's prior (piBO,
        :func:`bbo.acquisition.prior.weighted`); ``acqf`` when no parameter has one."""
        return weighted(acqf, self.space, len(self.X_baseline), self.prior_beta)

    def sampler(self) -> MCSampler:
        """Quasi-MC normal base samples for Gaussian posteriors; for an ensemble model
        (``EnsemblePosterior``: BNN ensembles and HMC draws, the Wasserstein generator's
        quantiles) every member exactly once, so MC acquisitions average over the members
        (the exact ensemble expectation) instead of drawing members at random."""
        if isinstance(self.model, EnsembleModel):
            with torch.no_grad():
                size = self.model.posterior(self.X_baseline[:1]).ensemble_size
            return MemberSampler(torch.Size([size]), seed=self.seed)
        return SobolQMCNormalSampler(torch.Size([self.mc_samples]), seed=self.seed)

    def constraints(self) -> list[Callable[[Tensor], Tensor]]:
        """Outcome constraints as callables on model-output samples ``... x t``, feasible
        where ``<= 0``."""
        return [_column(self.n_objectives + j) for j in range(self.n_constraints)]

    def objective(self) -> GenericMCObjective:
        return GenericMCObjective(_first_output)


class MemberSampler(IndexSampler):
    """Every ensemble member exactly once: ``sample_shape = (s,)`` with ``s`` the ensemble
    size, base samples ``0 .. s-1`` (broadcast over the posterior's batch shape)."""

    def _construct_base_samples(self, posterior: EnsemblePosterior) -> None:
        shape = self.sample_shape + posterior.batch_shape
        if self.base_samples is None or self.base_samples.shape != shape:
            s = self.sample_shape.numel()
            idx = torch.arange(s, device=posterior.device)
            idx = idx.reshape(*self.sample_shape, *([1] * len(posterior.batch_shape)))
            self.register_buffer("base_samples", idx.expand(shape).contiguous())
        if self.base_samples.device != posterior.device:
            self.to(device=posterior.device)


def _column(j: int) -> Callable[[Tensor], Tensor]:
    """Constraint callable: output ``j`` of the samples (feasible where ``<= 0``)."""

    def slack(Z: Tensor) -> Tensor:
        return Z[..., j]

    return slack


def _first_output(Z: Tensor, X: Tensor | None = None) -> Tensor:
    return Z[..., 0]


Proposer = Callable[[AcqContext, int], Tensor]


def _optimize(ctx: AcqContext, acqf: AcquisitionFunction, q: int) -> Tensor:
    """Maximize ``acqf``; for one point, candidate pools (``ctx.pools``) compete with the
    optimizer's restarts (:func:`bbo.acquisition.optimize.optimize_one`)."""
    if q == 1:
        X, ctx.winner, _ = optimize_one(
            acqf, ctx.space, ctx.bounds, ctx.config, ctx.seed, ctx.pools
        )
        return X
    return optimize(acqf, ctx.space, ctx.bounds, q, ctx.config, ctx.seed)


def _single(ctx: AcqContext, name: str) -> None:
    if ctx.n_objectives != 1:
        raise InvalidArgumentError(
            f"acquisition {name!r} is for one objective; use 'qLogNEHVI' for several"
        )


def log_ei(ctx: AcqContext, q: int) -> Tensor:
    """Analytic LogEI over the best posterior mean of the observed points. For a batch
    (``q > 1``) or with pending points, the greedy Kriging believer: the pending points, then
    each chosen point, are observed at their posterior mean with the hyperparameters kept
    (:meth:`~bbo.surrogates.cached.CachedGP.believe`: the mean is unchanged and the variance
    shrinks around them, so the next point goes elsewhere; the incumbent becomes the best
    believed mean), and the next point maximizes LogEI of that posterior. A model without a
    cached posterior gets ``qLogNEI`` for batches and pending points."""
    _single(ctx, "LogEI")
    if ctx.n_constraints:
        raise InvalidArgumentError(
            "acquisition 'LogEI' does not model outcome constraints; use 'qLogNEI'"
        )
    cache = CachedGP.from_model(ctx.model)
    if cache is None:
        if q > 1 or ctx.X_pending is not None:
            return q_log_nei(ctx, q)
        with torch.no_grad():
            best_f = ctx.model.posterior(ctx.X_baseline).mean.max()  # type: ignore[attr-defined]
        return _optimize(ctx, ctx.with_prior(LogExpectedImprovement(ctx.model, best_f=best_f)), q)
    return believer_batch(
        ctx, q, cache, lambda c, best: ctx.with_prior(_CachedLogEI(ctx.model, best, c))
    )


def ucb(ctx: AcqContext, q: int) -> Tensor:
    """Analytic UCB ``mu + sqrt(beta) sigma`` of the first output (``beta``: the strategy's
    option) on the cached posterior, for one point without pending points. Batches and
    pending points get ``qUCB`` (joint MC): a believed point barely shrinks the variance
    where it is already below the noise, so a Kriging believer would repeat the point."""
    _single(ctx, "UCB")
    if ctx.n_constraints:
        raise InvalidArgumentError("acquisition 'UCB' does not model outcome constraints")
    cache = CachedGP.from_model(ctx.model)
    if cache is None or q > 1 or ctx.X_pending is not None:
        return q_ucb(ctx, q)
    return believer_batch(ctx, q, cache, lambda c, best: _CachedUCB(ctx.model, ctx.beta, c))


class _CachedLogEI(LogExpectedImprovement):
    """``LogExpectedImprovement`` whose posterior moments come from a :class:`CachedGP`
    (the same values, without gpytorch's per-call overhead); where the cache has a numpy
    mirror (:class:`~bbo.surrogates.numpy_posterior.GradPosterior`: the product kernels of
    :mod:`bbo.surrogates.gp`, on the CPU) the value and its gradient are computed in numpy
    (:class:`~bbo.acquisition.logei.FromNumpy`)."""

    def __init__(self, model: Model, best_f: Tensor, cache: CachedGP) -> None:
        super().__init__(model, best_f=best_f)
        self._cache = cache
        self._best = float(best_f)

    @property
    def numpy_value_and_grad(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None:
        """``x`` (``b x d``) -> log EI (``b``) and its gradient (``b x d``) in numpy, for
        the optimizer's inner loop (:func:`bbo.acquisition.optimize.refine`); None
        without a numpy mirror."""
        post = self._cache.grad
        if post is None:
            return None
        return lambda x: logei.log_ei(post, self._best, x)

    @t_batch_mode_transform(expected_q=1)  # type: ignore[arg-type]
    def forward(self, X: Tensor) -> Tensor:
        """``... x 1 x d`` -> ``...``."""
        post = self._cache.grad
        if post is None:
            return super().forward(X)
        value = logei.numpy_forward(
            X.reshape(-1, X.shape[-1]),
            lambda x: logei.log_ei(post, self._best, x),
            lambda x: logei.log_ei_value(post, self._best, x),
        )
        return value.reshape(X.shape[:-2])

    def _mean_and_sigma(
        self, X: Tensor, compute_sigma: bool = True, min_var: float = 1e-12
    ) -> tuple[Tensor, Tensor | None]:
        """``b x 1 x d`` -> mean and sigma, each ``b x 1``."""
        mean, var = self._cache.mean_var(X.squeeze(-2))
        sigma = var.clamp_min(min_var).sqrt().unsqueeze(-1) if compute_sigma else None
        return mean.unsqueeze(-1), sigma


class _CachedUCB(UpperConfidenceBound):
    """Analytic ``UpperConfidenceBound`` whose posterior moments come from a
    :class:`CachedGP`; with a numpy mirror, value and gradient in numpy
    (:class:`~bbo.acquisition.logei.FromNumpy`), as :class:`_CachedLogEI`."""

    def __init__(self, model: Model, beta: float, cache: CachedGP) -> None:
        super().__init__(model, beta=beta)
        self._cache = cache
        self._beta = float(beta)

    @property
    def numpy_value_and_grad(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None:
        """As :attr:`_CachedLogEI.numpy_value_and_grad`, for UCB."""
        post = self._cache.grad
        if post is None:
            return None
        return lambda x: ucb_numpy(post, self._beta, x)

    @t_batch_mode_transform(expected_q=1)  # type: ignore[arg-type]
    def forward(self, X: Tensor) -> Tensor:
        """``... x 1 x d`` -> ``...``."""
        post = self._cache.grad
        if post is None:
            mean, var = self._cache.mean_var(X.reshape(-1, X.shape[-1]))
            value = mean + math.sqrt(self._beta) * var.clamp_min(1e-12).sqrt()
        else:
            value = logei.numpy_forward(
                X.reshape(-1, X.shape[-1]),
                lambda x: ucb_numpy(post, self._beta, x),
                lambda x: ucb_value(post, self._beta, x),
            )
        return value.reshape(X.shape[:-2])


def q_log_nei(ctx: AcqContext, q: int) -> Tensor:
    _single(ctx, "qLogNEI")
    acqf = qLogNoisyExpectedImprovement(
        ctx.model,
        X_baseline=ctx.X_baseline,
        sampler=ctx.sampler(),
        objective=ctx.objective(),
        constraints=ctx.constraints() or None,
        X_pending=ctx.X_pending,
        prune_baseline=True,
    )
    return _optimize(ctx, ctx.with_prior(acqf), q)


def q_ucb(ctx: AcqContext, q: int) -> Tensor:
    _single(ctx, "qUCB")
    acqf = qUpperConfidenceBound(
        ctx.model,
        beta=ctx.beta,
        sampler=ctx.sampler(),
        objective=ctx.objective(),
        X_pending=ctx.X_pending,
    )
    return _optimize(ctx, acqf, q)


def posterior_mean(ctx: AcqContext, q: int) -> Tensor:
    _single(ctx, "PM")
    acqf = qSimpleRegret(ctx.model, sampler=ctx.sampler(), objective=ctx.objective())
    return _optimize(ctx, acqf, q)


def thompson(ctx: AcqContext, q: int, pool_size: int = 2048) -> Tensor:
    """Arg-max of ``q`` joint posterior draws over a pool: half Sobol' points in ``bounds``,
    half Gaussian perturbations (sd 0.05) of the best observed points; discrete columns are
    snapped to their levels. Pending points are not modelled (draws are independent)."""
    _single(ctx, "TS")
    d = ctx.bounds.shape[1]
    top = ctx.X_baseline[ctx.Y[:, 0].argsort(descending=True)[:8]]
    X = candidate_pool(ctx.space, ctx.bounds, top, pool_size, pool_size // 2, ctx.seed)
    X = X.to(ctx.X_baseline)
    cons = ctx.constraints()
    if cons:  # keep the pool points whose posterior-mean slacks are all feasible
        with torch.no_grad():
            mean = ctx.model.posterior(X).mean  # type: ignore[attr-defined]
        feasible = torch.stack([c(mean) <= 0 for c in cons]).all(0)
        if feasible.any():
            X = X[feasible]
    ts = MaxPosteriorSampling(ctx.model, objective=ctx.objective(), replacement=False)
    with torch.no_grad():
        return ts(X, num_samples=q).reshape(q, d)


FAST_NEHVI = True  # False: the full settings below (for benchmarks.batch_quality)


def q_log_nehvi(ctx: AcqContext, q: int) -> Tensor:
    """botorch's ``qLogNEHVI`` of the ``m`` objectives over the reference point inferred from
    ``ctx.Y`` (``n x m``), with the constraints as feasibility factors. Each evaluation
    draws joint samples of ``f`` at the ``n'`` pruned baseline points and the ``q``
    candidates, which is what an ask pays for; on a Gaussian posterior it is made cheaper
    (``FAST_NEHVI``) by: ``cache_root`` (the baseline's Cholesky factor ``L`` is computed
    once, and each candidate batch only adds its ``q`` rows, ``O(n' q)`` per sample instead
    of a fresh ``O((n' + q)^3)`` factorization); half the MC samples (``mc_samples / 2``,
    at least 32); and half the restarts from a quarter of the raw samples. An ensemble
    model (its members as samples) keeps every member and no root cache."""
    m = ctx.n_objectives
    if m < 2:
        raise InvalidArgumentError("acquisition 'qLogNEHVI' needs at least two objectives")
    fast = FAST_NEHVI and not isinstance(ctx.model, EnsembleModel)
    sampler = ctx.sampler()
    if fast:
        size = torch.Size([max(32, ctx.mc_samples // 2)])
        sampler = SobolQMCNormalSampler(size, seed=ctx.seed)
        config = ctx.config
        ctx.config = replace(
            config,
            num_restarts=max(2, config.num_restarts // 2),
            raw_samples=max(config.num_restarts, config.raw_samples // 4),
        )
    acqf = qLogNoisyExpectedHypervolumeImprovement(
        ctx.model,
        ref_point=infer_reference_point(ctx.Y),
        X_baseline=ctx.X_baseline,
        sampler=sampler,
        objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
        constraints=ctx.constraints() or None,
        X_pending=ctx.X_pending,
        prune_baseline=True,
        cache_root=fast,
    )
    return _optimize(ctx, ctx.with_prior(acqf), q)


ACQUISITIONS: dict[str, Proposer] = {
    "LogEI": log_ei,
    "UCB": ucb,
    "qLogNEI": q_log_nei,
    "qUCB": q_ucb,
    "TS": thompson,
    "PM": posterior_mean,
    "qLogNEHVI": q_log_nehvi,
    "WLCB": wlcb,
}


def get_acquisition(name: str) -> Proposer:
    if name not in ACQUISITIONS:
        raise InvalidArgumentError(
            f"`acquisition` must be one of {list(ACQUISITIONS)}, got {name!r}"
        )
    return ACQUISITIONS[name]
