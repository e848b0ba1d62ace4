"""Acquisition optimization under linear parameter constraints (:mod:`bbo.space.linear`).

The constraints are linear in the parameters' user values, not in the unit cube of a
``log=True`` parameter, so the optimizer keeps its box-bounded L-BFGS-B and enforces them
by filtering and repair in user units (:meth:`bbo.space.Space.repair`):

1. candidates: ``raw_samples`` scrambled Sobol' points in ``bounds`` (``2 x d``, a trust
   region or the cube), the pools' candidates and the warm starts, discrete columns
   snapped; the infeasible ones are dropped (:func:`bbo.space.feasible.feasible_mask`).
   When fewer than ``num_restarts`` remain (a region that barely meets the feasible set),
   infeasible ones are repaired, and feasible points drawn from the whole space added;
2. the ``num_restarts`` best feasible candidates by acquisition value start one batched
   L-BFGS-B run (:func:`bbo.acquisition.optimize.refine`) in ``bounds`` widened to hold
   them;
3. the end points are snapped and repaired; the point of highest acquisition value among
   the feasible starts and repaired ends wins.

So every start and the result are feasible, in ``bounds`` where the region allows it.
Spaces without parameter constraints never come here.
"""

from __future__ import annotations

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction
from torch.quasirandom import SobolEngine

from bbo.acquisition.optimize import Maximum, OptimizerConfig, _candidates, refine
from bbo.space import Space
from bbo.space.feasible import feasible_mask, sample_feasible


def repair_rows(space: Space, X: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """The rows of ``X`` (``k x d``, encoded) moved to the nearest feasible points
    (:meth:`Space.repair` in user units, re-encoded), and the indices of the rows kept
    (a row that cannot be repaired is dropped)."""
    rows, kept = [], []
    for i, x in enumerate(X.detach().cpu().numpy()):
        fixed = space.repair(space.decode(x))
        if fixed is not None:
            rows.append(space.encode(fixed))
            kept.append(i)
    out = torch.as_tensor(np.array(rows).reshape(-1, space.dim), dtype=X.dtype, device=X.device)
    return out, kept


def feasible_rows(space: Space, X: torch.Tensor, seed: int) -> torch.Tensor:
    """``X`` (``q x d``) with each infeasible row repaired, or replaced by a feasible point
    drawn uniformly (seeded by ``seed``) when it cannot be."""
    mask = feasible_mask(space, X.detach().cpu().numpy())
    if mask.all():
        return X
    out = X.clone()
    for i in np.flatnonzero(~mask):
        fixed, kept = repair_rows(space, X[i : i + 1])
        if not kept:
            draw = sample_feasible(space, 1, np.random.default_rng([seed, int(i)]))
            fixed = torch.as_tensor(draw, dtype=X.dtype, device=X.device)
        out[i] = fixed[0]
    return out


def optimize_one_feasible(
    acqf: AcquisitionFunction,
    space: Space,
    bounds: torch.Tensor,
    config: OptimizerConfig,
    seed: int,
    pools: dict[str, torch.Tensor],
    warm: torch.Tensor | None = None,
) -> Maximum:
    """One feasible point (``1 x d``) maximizing ``acqf``, as the module docstring says;
    the :class:`Maximum` of :func:`bbo.acquisition.optimize.optimize_one` (its ``ends``
    empty)."""
    d = bounds.shape[-1]
    lo, hi = bounds[0], bounds[1]
    raw = SobolEngine(d, scramble=True, seed=seed).draw(config.raw_samples, dtype=torch.float64)
    C = space.snap_to_levels(lo + (hi - lo) * raw.to(bounds))
    origin: list[str | None] = [None] * len(C)
    if any(len(P) for P in pools.values()):
        P, names = _candidates(space, bounds, pools)
        C, origin = torch.cat([C, P]), origin + list(names)
    if warm is not None and len(warm):
        W = warm.reshape(-1, d).to(bounds)
        C, origin = torch.cat([C, W]), origin + [None] * len(W)
    mask = torch.as_tensor(feasible_mask(space, C.cpu().numpy()), device=C.device)
    F, f_origin = C[mask], [o for o, m in zip(origin, mask.tolist()) if m]
    if len(F) < config.num_restarts:  # the region barely meets the feasible set
        out = C[~mask][: config.num_restarts]
        fixed, kept = repair_rows(space, out)
        draws = sample_feasible(space, config.num_restarts, np.random.default_rng([seed, 7]))
        drawn = torch.as_tensor(draws, dtype=C.dtype, device=C.device)
        F = torch.cat([F, fixed, drawn])
        out_idx = torch.nonzero(~mask).flatten()[kept].tolist()
        f_origin += [origin[i] for i in out_idx] + [None] * len(drawn)
    with torch.no_grad():
        values = acqf(F.unsqueeze(-2)).reshape(-1)
    top = values.argsort(descending=True)[: config.num_restarts]
    starts = F[top]
    box = torch.stack([torch.minimum(lo, starts.amin(0)), torch.maximum(hi, starts.amax(0))])
    ends, _ = refine(acqf, starts.unsqueeze(-2), box, config.maxiter, config.device_steps)
    ends, kept = repair_rows(space, space.snap_to_levels(ends))
    with torch.no_grad():
        end_values = acqf(ends.unsqueeze(-2)).reshape(-1) if len(ends) else values[:0]
    X = torch.cat([starts, ends])
    v = torch.cat([values[top], end_values])
    src = [f_origin[int(i)] for i in top]
    src += [src[i] for i in kept]
    i = int(v.argmax())
    return Maximum(X[i : i + 1], src[i], X.new_zeros(0, d))
