"""Batched acquisition optimization over the encoded space, on any device.

All restarts are optimized as one batched tensor problem: botorch's ``optimize_acqf``
evaluates ``num_restarts x q x d`` candidates in one call per L-BFGS step
(``batch_limit = num_restarts``), which is what makes a GPU pay off. Spaces with discrete
columns (Int, Ordinal, Categorical) use ``optimize_acqf_mixed_alternating``, which
alternates continuous L-BFGS steps with discrete neighbourhood moves over the exact
encoded levels (:meth:`bbo.space.Space.levels`); an Int with more than ``MAX_LEVELS`` values
is optimized as a continuous relaxation and rounded by the decoder.

A single-point ask with candidate pools (:func:`optimize_one`) runs one L-BFGS-B batch from
the optimizer's restarts and the pools' best candidates together. On the CPU, an
acquisition with a numpy evaluation of its value and gradient (the analytic LogEI of a
cached GP: :mod:`bbo.acquisition.logei`) is optimized through it (:func:`refine`), without
torch's per-operation overhead: at study sizes that overhead, not arithmetic, was most of
an ask.

On an accelerator (tensors on a device other than the CPU: :func:`on_device`) the
continuous searches take gradient steps on the device instead (botorch's
``gen_candidates_torch``: Adam, all restarts as one ``k x q x d`` tensor, stopped after
``maxiter`` steps or when the batch's value stalls), so that no step copies the candidates
to the host for scipy's L-BFGS-B. The same code runs on the CPU when asked
(``on_device=True``), which is how it is tested where no GPU is lent.

Randomness: the Sobol' pools and their perturbations draw from engines and generators seeded
by the ask's seed; ``optimize_acqf`` gets the seed for its raw samples. The mixed-space
optimizer takes no seed (its starting points and spray points come from torch's global
RNG), so callers run it under :func:`bbo.torch_utils.seeded`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction
from botorch.generation.gen import gen_candidates_scipy, gen_candidates_torch
from botorch.optim import optimize_acqf, optimize_acqf_mixed_alternating
from botorch.optim.initializers import gen_batch_initial_conditions
from torch.quasirandom import SobolEngine

from bbo.acquisition.conditional import imputed
from bbo.lbfgsb import minimize_batched
from bbo.space import Space
from bbo.torch_utils import generator


@dataclass(frozen=True)
class OptimizerConfig:
    """``num_restarts`` starting points refined jointly, chosen from ``raw_samples`` Sobol
    points by their acquisition value; ``maxiter`` L-BFGS iterations; for mixed spaces at most
    ``maxiter_alternating`` rounds of (discrete moves, continuous steps) per restart;
    ``device_steps``: continuous searches by torch steps on the device (:func:`on_device`;
    None: where the tensors are not on the CPU). A runtime choice, never stored."""

    num_restarts: int = 10
    raw_samples: int = 512
    maxiter: int = 200
    maxiter_alternating: int = 16
    device_steps: bool | None = None  # torch steps on the device (None: on accelerators)


def candidate_pool(
    space: Space, bounds: torch.Tensor, top: torch.Tensor, size: int, n_sobol: int, seed: int
) -> torch.Tensor:
    """``size x d`` candidates (float64, CPU): ``n_sobol`` scrambled Sobol' points in
    ``bounds`` (``2 x d``) and ``size - n_sobol`` Gaussian perturbations (sd 0.05, clipped to
    ``bounds``) of random rows of ``top`` (``k x d``, the best points; none when ``k = 0``);
    discrete columns snapped to their levels (:meth:`Space.snap_to_levels`). Deterministic
    in ``seed``: the Sobol' engine and a ``torch.Generator`` are seeded with it."""
    d = bounds.shape[1]
    lo, hi = bounds[0].cpu(), bounds[1].cpu()
    sobol = SobolEngine(d, scramble=True, seed=seed).draw(n_sobol, dtype=torch.float64)
    pool = [lo + (hi - lo) * sobol]
    if len(top):
        gen = generator(seed)
        idx = torch.randint(len(top), (size - n_sobol,), generator=gen)
        noise = 0.05 * torch.randn(len(idx), d, generator=gen, dtype=torch.float64)
        pool.append((top.cpu()[idx] + noise).clamp(lo, hi))
    return space.snap_to_levels(torch.cat(pool))


def optimize(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    q: int,
    config: OptimizerConfig,
    seed: int,
) -> torch.Tensor:
    """Maximize ``acqf`` over ``bounds`` (``2 x d``); returns ``q x d`` candidates.
    Discrete columns are always searched over all their levels. The continuous optimizer's
    raw samples are seeded by ``seed``; the mixed one draws from the global RNG (see the
    module docstring). On a space with parameter constraints, each infeasible row is then
    repaired (:func:`bbo.acquisition.feasible.feasible_rows`). On a space with conditional
    parameters ``acqf`` is evaluated at imputed points (:mod:`bbo.acquisition.conditional`)."""
    acqf = imputed(acqf, space)
    if space.constraints:
        from bbo.acquisition.feasible import feasible_rows

        return feasible_rows(space, _optimize(acqf, space, bounds, q, config, seed), seed)
    return _optimize(acqf, space, bounds, q, config, seed)


def on_device(tensor: torch.Tensor, force: bool | None = None) -> bool:
    """Whether searches over ``tensor``'s device take torch gradient steps on it (an
    accelerator; ``force`` overrides, e.g. to run that path on the CPU)."""
    return tensor.device.type != "cpu" if force is None else force


def _torch_steps(
    initial_conditions: torch.Tensor,
    acquisition_function: AcquisitionFunction,
    options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """botorch's ``gen_candidates_torch`` with ``options["maxiter"]`` (what
    ``optimize_acqf`` passes on) as its stopping criterion's step limit."""
    maxiter = int((options or {}).get("maxiter", OptimizerConfig.maxiter))
    steps: dict[str, Any] = {"stopping_criterion_options": {"maxiter": maxiter}}
    return gen_candidates_torch(initial_conditions, acquisition_function, options=steps, **kwargs)


def _optimize(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    q: int,
    config: OptimizerConfig,
    seed: int,
) -> torch.Tensor:
    """:func:`optimize` without the parameter constraints."""
    discrete, cats = space.levels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # restarts that stop early are expected
        if discrete or cats:
            bounds = bounds.clone()
            for j, vals in {**discrete, **cats}.items():  # the optimizer wants exact level ends
                bounds[0, j], bounds[1, j] = vals[0], vals[-1]
            X, _ = optimize_acqf_mixed_alternating(
                acqf,
                bounds,
                discrete_dims=discrete,
                cat_dims=cats,
                q=q,
                num_restarts=config.num_restarts,
                raw_samples=config.raw_samples,
                options={"maxiter_alternating": config.maxiter_alternating},
            )
        else:
            X, _ = optimize_acqf(
                acqf,
                bounds,
                q=q,
                num_restarts=config.num_restarts,
                raw_samples=config.raw_samples,
                options=_options(config, seed),
                sequential=q > 4,
                gen_candidates=_torch_steps if on_device(bounds, config.device_steps) else None,
            )
    return X.detach().reshape(q, -1)


def _options(config: OptimizerConfig, seed: int) -> dict[str, Any]:
    """botorch's options for the continuous optimizer: every restart in one batch."""
    return {
        "batch_limit": config.num_restarts,
        "init_batch_limit": config.raw_samples,
        "maxiter": config.maxiter,
        "seed": seed,
    }


class Maximum(NamedTuple):
    """What :func:`optimize_one` found: the point ``X`` (``1 x d``), the pool it came from
    (None: the optimizer's restarts) and the distinct end points of the other restarts, best
    first (``k x d``; empty on spaces with discrete columns): the warm starts of a next
    search of a nearby acquisition."""

    X: torch.Tensor
    winner: str | None
    ends: torch.Tensor


def optimize_one(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    config: OptimizerConfig,
    seed: int,
    pools: dict[str, torch.Tensor],
    polish: int = 4,
    warm: torch.Tensor | None = None,
) -> Maximum:
    """One point (``1 x d``) maximizing ``acqf``, where candidate pools (if any) compete
    with the optimizer's restarts.

    ``pools`` maps a source name to its ``k x d`` candidates in the encoded cube (clipped
    to ``bounds``, discrete columns snapped to their levels), all scored by ``acqf``. On a
    continuous space the ``polish`` best candidates join the optimizer's restarts (chosen
    from its raw samples as :func:`optimize` chooses them) as starting points of the same
    batched L-BFGS-B run; on a space with discrete columns :func:`optimize` runs first and
    the candidates are scored as they are. ``warm`` (``w x d``, continuous spaces): the end
    points of a search of a nearby acquisition (the previous point of a Kriging-believer
    batch); up to ``num_restarts / 2`` of them join half the fresh restarts, drawn from a
    quarter of the raw samples, all run for a quarter of ``maxiter``: they start at or near
    a local maximum. Returns the point of highest acquisition value, the name of the pool it
    came from (None: the optimizer's own restarts or raw samples) and the distinct end
    points of the other restarts (:class:`Maximum`). On a space with parameter constraints,
    :func:`bbo.acquisition.feasible.optimize_one_feasible` (feasible starts and result). On a
    space with conditional parameters, ``acqf`` of imputed points (as :func:`optimize`)."""
    acqf = imputed(acqf, space)
    if space.constraints:
        from bbo.acquisition.feasible import optimize_one_feasible

        return optimize_one_feasible(acqf, space, bounds, config, seed, pools, warm)
    names = [n for n, P in pools.items() if len(P)]
    discrete, cats = space.levels()
    d = bounds.shape[-1]
    if discrete or cats:
        X = optimize(acqf, space, bounds, 1, config, seed)
        X, winner = _best_of(acqf, space, bounds, X, pools) if names else (X, None)
        return Maximum(X, winner, X.new_zeros(0, d))
    extra, origin = bounds.new_zeros(0, 1, d), list[str]()
    if names:
        C, origin = _candidates(space, bounds, pools)
        with torch.no_grad():
            values = acqf(C.unsqueeze(-2)).reshape(-1)
        top = values.argsort(descending=True)[:polish]
        extra, origin = C[top].unsqueeze(-2), [origin[int(i)] for i in top]
    warm = bounds.new_zeros(0, d) if warm is None else warm.reshape(-1, d).to(bounds)
    warm = warm[: config.num_restarts // 2]
    if len(warm):  # half the restarts, from a quarter of the raw samples, shorter runs
        config = replace(
            config,
            num_restarts=max(1, config.num_restarts // 2),
            raw_samples=max(1, config.raw_samples // 4),
            maxiter=max(1, config.maxiter // 4),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        starts = gen_batch_initial_conditions(
            acqf,
            bounds,
            q=1,
            num_restarts=config.num_restarts,
            raw_samples=config.raw_samples,
            options=_options(config, seed),
        )
        starts = torch.cat([starts, warm.unsqueeze(-2)])
        Xs, vs = refine(
            acqf, torch.cat([starts, extra]), bounds, config.maxiter, config.device_steps
        )
    i = int(vs.argmax())
    winner = None if i < len(starts) else origin[i - len(starts)]
    others = _distinct(Xs[vs.argsort(descending=True)])[1:]  # the first is X
    return Maximum(Xs[i : i + 1], winner, others)


def _distinct(X: torch.Tensor, tol: float = 1e-6) -> torch.Tensor:
    """The rows of ``X`` (``k x d``) not within ``tol`` (max-norm) of an earlier row, in
    order."""
    close = (X[:, None] - X[None]).abs().amax(-1) <= tol
    return X[~torch.tril(close, diagonal=-1).any(1)]


NumpyAcquisition = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def refine(
    acqf: AcquisitionFunction,
    starts: torch.Tensor,
    bounds: torch.Tensor,
    maxiter: int,
    device_steps: bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched L-BFGS-B ascent of ``acqf`` from each of ``starts`` (``k x 1 x d``) within
    ``bounds`` (``2 x d``); returns the ``k x d`` end points and their ``k`` values. Each
    start is its own problem (:func:`bbo.lbfgsb.minimize_batched`, the iterates
    of botorch's ``fmin_l_bfgs_b_batched`` at a fraction of its cost). An acquisition with a
    ``numpy_value_and_grad`` (``b x d`` -> values ``b``, gradients ``b x d``; see
    ``_CachedLogEI`` in :mod:`bbo.acquisition.registry`) is evaluated through
    it, without torch; the others through botorch's ``gen_candidates_scipy``, and on an
    accelerator (``device_steps``: :func:`on_device`) by torch steps on the device."""
    if on_device(starts, device_steps):
        Xs, vs = _torch_steps(
            starts,
            acqf,
            options={"maxiter": maxiter},
            lower_bounds=bounds[0],
            upper_bounds=bounds[1],
        )
        return Xs.detach().reshape(len(starts), -1), vs.detach().reshape(-1)
    fast: NumpyAcquisition | None = getattr(acqf, "numpy_value_and_grad", None)
    if fast is None:
        Xs, vs = gen_candidates_scipy(
            starts,
            acqf,
            lower_bounds=bounds[0],
            upper_bounds=bounds[1],
            options={"maxiter": maxiter},
        )
        return Xs.detach().reshape(len(starts), -1), vs.detach().reshape(-1)

    def negated(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value, grad = fast(x)
        return -value, -grad

    lo, hi = bounds.cpu().numpy()
    x0 = starts.detach().reshape(len(starts), -1).cpu().numpy()
    xs, fs = minimize_batched(negated, x0, lo, hi, maxiter=maxiter)
    out = torch.as_tensor(xs, dtype=starts.dtype, device=starts.device)
    return out.reshape(len(starts), -1), -torch.as_tensor(fs, dtype=starts.dtype)


def _candidates(
    space: Space, bounds: torch.Tensor, pools: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, list[str]]:
    """The pools' candidates stacked (``k x d``, clipped to ``bounds``, snapped to the
    discrete levels) and the pool each row came from."""
    names = [n for n, P in pools.items() if len(P)]
    d = bounds.shape[-1]
    C = torch.cat([pools[n].to(bounds).reshape(-1, d) for n in names])
    origin = [n for n in names for _ in range(len(pools[n]))]
    return space.snap_to_levels(torch.maximum(torch.minimum(C, bounds[1]), bounds[0])), origin


def _best_of(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    X_opt: torch.Tensor,
    pools: dict[str, torch.Tensor],
) -> tuple[torch.Tensor, str | None]:
    """The optimizer's ``1 x d`` point ``X_opt`` or the pools' candidate of highest
    acquisition value, whichever is higher, and the winning pool's name (None: the
    optimizer's point)."""
    C, origin = _candidates(space, bounds, pools)
    with torch.no_grad():
        best = acqf(X_opt.reshape(1, 1, -1)).reshape(())
        values = acqf(C.unsqueeze(-2)).reshape(-1)
    i = int(values.argmax())
    if not bool(values[i] > best):
        return X_opt, None
    return C[i : i + 1], origin[i]
