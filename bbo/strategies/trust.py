"""A trust region for ``auto``'s acquisition (TuRBO's rule, computed from the history).

Eriksson et al. (2019, "Scalable global optimization via local Bayesian optimization")
maximize the acquisition in a box around the incumbent whose side ``L`` doubles after
``tau_s`` consecutive improvements and halves after ``tau_f`` consecutive failures. A GP
with one lengthscale per column, asked for expected improvement over the whole box, keeps
spending evaluations far from the incumbent on smooth ill-conditioned problems
(Rosenbrock's valley, BBOB's attractive sector) where a local method converges; the box
hands the model's own judgement a locality that shrinks only while the search fails.

The rule here is a pure function of the completed trials in id order, so a resumed study
computes the same box: a trial *succeeds* when it improves the best value so far by more
than ``IMPROVEMENT_TOL`` of the observed range. ``L`` starts at :data:`L_INIT` after the
initial design; when it falls below :data:`L_MIN` the region is reset to :data:`L_INIT`
(TuRBO restarts with a new design; here the model keeps its data). The box is centred at
the observed point of best posterior mean (:func:`center`), not at the best observation,
which with noise is often a lucky draw. ``auto`` searches the whole box every third trial
(:mod:`bbo.strategies.portfolio`, ``global_every``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from bbo.space import Space
from bbo.surrogates.cached import CachedGP

if TYPE_CHECKING:
    from botorch.models.model import Model

    from bbo.strategies.pipeline import TrainData

L_INIT = 0.8
L_MIN = 0.5**7
L_MAX = 1.6
SUCCESS_TOL = 3
IMPROVEMENT_TOL = 1e-3


def region_length(y: np.ndarray, n_design: int, d: int) -> float:
    """TuRBO's side length after the values ``y`` (``N``, id order, lower is better) of
    which the first ``n_design`` are the initial design: ``L`` doubles (up to
    :data:`L_MAX`) after :data:`SUCCESS_TOL` consecutive successes and halves after
    ``max(4, d)`` consecutive failures (back to :data:`L_INIT` below :data:`L_MIN`)."""
    if len(y) <= n_design:
        return L_INIT
    tol = IMPROVEMENT_TOL * float(np.ptp(y)) if len(y) else 0.0
    fail_tol = max(4, d)
    best = float(np.min(y[:n_design])) if n_design else np.inf
    length, succ, fail = L_INIT, 0, 0
    for v in y[n_design:]:
        if v < best - tol:
            succ, fail = succ + 1, 0
        else:
            succ, fail = 0, fail + 1
        best = min(best, float(v))
        if succ == SUCCESS_TOL:
            length, succ = min(2.0 * length, L_MAX), 0
        elif fail == fail_tol:
            length, fail = length / 2.0, 0
            if length < L_MIN:
                length = L_INIT
    return length


def region_bounds(center: np.ndarray, length: float, space: Space) -> np.ndarray:
    """The ``2 x d`` box ``center +- length / 2`` clipped to the unit cube (``center``: ``d``,
    the incumbent in the encoded cube). Discrete and categorical columns keep their whole
    range. (TuRBO stretches the sides by the GP's lengthscales; on the benchmark of
    docs/benchmarks.md that was no better than a cube.)"""
    half = 0.5 * length
    bounds = np.stack([np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)])
    for j in [*space.discrete_dims, *space.categorical_dims]:
        bounds[:, j] = (0.0, 1.0)
    return bounds


def center(model: Model, data: TrainData) -> np.ndarray:
    """The centre of the region (``d``): the observed row of ``data.X`` (``n x d``) with the
    highest posterior mean of the first objective's utility under ``model``, among the rows
    that satisfy every constraint's posterior mean (all rows when none does). Without noise
    this is the incumbent; with noise, the best observed value is often a lucky draw, and the
    posterior mean pools the neighbours' evidence (Ax and Vizier recommend the same way)."""
    X = torch.as_tensor(data.X, dtype=torch.float64)
    with torch.no_grad():
        cache = CachedGP.from_model(model)  # a one-output GP: its mean without gpytorch
        if cache is not None:
            mean = cache.mean(X.to(cache.X)).cpu().numpy().reshape(len(X), 1)
        else:
            posterior: Any = model.posterior(X)
            mean = posterior.mean.cpu().numpy().reshape(len(X), -1)
    m = data.n_objectives
    feasible = np.all(mean[:, m:] <= 0.0, axis=1)
    u = np.where(feasible, mean[:, 0], -np.inf) if feasible.any() else mean[:, 0]
    return data.X[int(np.argmax(u))]
