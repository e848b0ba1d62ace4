"""Batched acquisition optimization over the encoded space, on any device.

All restarts are optimized as one batched tensor problem: botorch's ``optimize_acqf``
evaluates ``num_restarts x q x d`` candidates in one call per L-BFGS step
(``batch_limit = num_restarts``), which is what makes a GPU pay off. Spaces with discrete
columns (Int, Ordinal, Categorical) use ``optimize_acqf_mixed_alternating``, which
alternates continuous L-BFGS steps with discrete neighbourhood moves over the exact
encoded levels; an Int with more than ``MAX_LEVELS`` values is optimized as a continuous
relaxation and rounded by the decoder.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.optim import optimize_acqf, optimize_acqf_mixed_alternating
from torch.quasirandom import SobolEngine

from bbo.space import Categorical, Space

MAX_LEVELS = 256  # discrete columns with more levels are relaxed to continuous


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"``/``None``: CUDA when available, else CPU; otherwise ``torch.device(device)``."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass(frozen=True)
class OptimizerConfig:
    """``num_restarts`` starting points refined jointly, chosen from ``raw_samples`` Sobol
    points by their acquisition value; ``maxiter`` L-BFGS iterations; for mixed spaces at most
    ``maxiter_alternating`` rounds of (discrete moves, continuous steps) per restart."""

    num_restarts: int = 10
    raw_samples: int = 512
    maxiter: int = 200
    maxiter_alternating: int = 16


def levels(space: Space) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Encoded levels of the discrete columns: ``(discrete_dims, cat_dims)``, each mapping a
    column of the index view to its sorted list of allowed values."""
    discrete: dict[int, list[float]] = {}
    cats: dict[int, list[float]] = {}
    for j, name in enumerate(space.names):
        p = space[name]
        k = p.cardinality
        if k is None or (k > MAX_LEVELS and not isinstance(p, Categorical)):
            continue
        if isinstance(p, Categorical):
            cats[j] = [(i + 0.5) / k for i in range(k)]
        else:
            discrete[j] = sorted({p.encode(p.decode((i + 0.5) / k)) for i in range(k)})
    return discrete, cats


def snap_to_levels(X: torch.Tensor, space: Space) -> torch.Tensor:
    """``X`` (``n x d``, encoded) with every discrete and categorical column moved to its
    nearest level (:func:`levels`), in place; returns ``X``."""
    discrete, cats = levels(space)
    for j, vals in {**discrete, **cats}.items():
        grid = torch.tensor(vals, dtype=X.dtype, device=X.device)
        X[:, j] = grid[(X[:, j, None] - grid).abs().argmin(-1)]
    return X


def candidate_pool(
    space: Space, bounds: torch.Tensor, top: torch.Tensor, size: int, n_sobol: int, seed: int
) -> torch.Tensor:
    """``size x d`` candidates (float64, CPU): ``n_sobol`` scrambled Sobol' points in
    ``bounds`` (``2 x d``) and ``size - n_sobol`` Gaussian perturbations (sd 0.05, clipped to
    ``bounds``) of random rows of ``top`` (``k x d``, the best points; none when ``k = 0``);
    discrete columns snapped to their levels. Deterministic in ``seed``."""
    d = bounds.shape[1]
    lo, hi = bounds[0].cpu(), bounds[1].cpu()
    sobol = SobolEngine(d, scramble=True, seed=seed).draw(n_sobol, dtype=torch.float64)
    pool = [lo + (hi - lo) * sobol]
    if len(top):
        gen = torch.Generator().manual_seed(seed)
        idx = torch.randint(len(top), (size - n_sobol,), generator=gen)
        noise = 0.05 * torch.randn(len(idx), d, generator=gen, dtype=torch.float64)
        pool.append((top.cpu()[idx] + noise).clamp(lo, hi))
    return snap_to_levels(torch.cat(pool), space)


def optimize(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    q: int,
    config: OptimizerConfig,
    seed: int,
) -> torch.Tensor:
    """Maximize ``acqf`` over ``bounds`` (``2 x d``); returns ``q x d`` candidates.
    Discrete columns are always searched over all their levels."""
    discrete, cats = levels(space)
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
    C = snap_to_levels(torch.maximum(torch.minimum(C, bounds[1]), bounds[0]), space)
    discrete, cats = levels(space)
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
