"""Batched acquisition optimization over the encoded space, on any device.

All restarts are optimized as one batched tensor problem: botorch's ``optimize_acqf``
evaluates ``num_restarts x q x d`` candidates in one call per L-BFGS step
(``batch_limit = num_restarts``), which is what makes a GPU pay off. Spaces with discrete
columns (Int, Ordinal, Categorical) use ``optimize_acqf_mixed_alternating``, which
alternates continuous L-BFGS steps with discrete neighbourhood moves over the exact
encoded levels (:meth:`bbo.space.Space.levels`); an Int with more than ``MAX_LEVELS`` values
is optimized as a continuous relaxation and rounded by the decoder.

Randomness: the Sobol' pools and their perturbations draw from engines and generators seeded
by the ask's seed; ``optimize_acqf`` gets the seed for its raw samples. The mixed-space
optimizer takes no seed (its starting points and spray points come from torch's global
RNG), so callers run it under :func:`bbo.torch_utils.seeded`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.optim import optimize_acqf, optimize_acqf_mixed_alternating
from torch.quasirandom import SobolEngine

from bbo.space import Space
from bbo.torch_utils import generator


@dataclass(frozen=True)
class OptimizerConfig:
    """``num_restarts`` starting points refined jointly, chosen from ``raw_samples`` Sobol
    points by their acquisition value; ``maxiter`` L-BFGS iterations; for mixed spaces at most
    ``maxiter_alternating`` rounds of (discrete moves, continuous steps) per restart."""

    num_restarts: int = 10
    raw_samples: int = 512
    maxiter: int = 200
    maxiter_alternating: int = 16


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
    module docstring)."""
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
                options={
                    "batch_limit": config.num_restarts,
                    "init_batch_limit": config.raw_samples,
                    "maxiter": config.maxiter,
                    "seed": seed,
                },
                sequential=q > 4,
            )
    return X.detach().reshape(q, -1)


def compete(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    X_opt: torch.Tensor,
    pools: dict[str, torch.Tensor],
    polish: int = 4,
) -> tuple[torch.Tensor, str | None]:
    """Score candidate pools against the optimizer's point for a single-point ask.

    ``X_opt`` is the optimizer's ``1 x d`` result; ``pools`` maps a source name to its
    ``k x d`` candidates in the encoded cube (clipped to ``bounds``, discrete columns
    snapped to their levels). On continuous spaces the ``polish`` best candidates are
    refined by L-BFGS from where they stand. Returns the ``1 x d`` point of highest
    acquisition value and the name of the pool it came from (None: the optimizer's point).
    """
    names = [n for n, P in pools.items() if len(P)]
    if not names:
        return X_opt, None
    C = torch.cat([pools[n].to(X_opt).reshape(-1, X_opt.shape[-1]) for n in names])
    origin = [n for n in names for _ in range(len(pools[n]))]
    C = space.snap_to_levels(torch.maximum(torch.minimum(C, bounds[1]), bounds[0]))
    discrete, cats = space.levels()
    with torch.no_grad():
        best = acqf(X_opt.reshape(1, 1, -1)).reshape(())
        values = acqf(C.unsqueeze(-2)).reshape(-1)
    if not (discrete or cats) and polish > 0:
        top = values.argsort(descending=True)[:polish]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xp, vp = optimize_acqf(
                acqf,
                bounds,
                q=1,
                num_restarts=len(top),
                batch_initial_conditions=C[top].unsqueeze(-2),
                return_best_only=False,
                options={"maxiter": 50},
            )
        if vp is not None:
            C[top] = Xp.detach().reshape(len(top), -1)
            values[top] = vp.detach().reshape(-1)
    i = int(values.argmax())
    if not bool(values[i] > best):
        return X_opt, None
    return C[i : i + 1], origin[i]
