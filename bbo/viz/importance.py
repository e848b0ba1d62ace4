"""Parameter importance by PED-ANOVA (no matplotlib here).

PED-ANOVA (Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter
Importance in Arbitrary Subspaces", IJCAI 2023; Optuna's ``PedAnovaImportanceEvaluator``)
asks, for each parameter, how much the trials that reached the best ``gamma`` quantile of
the objective differ, in that parameter alone, from the trials at large:

* sort the completed trials by the objective (better first; trials that violate an outcome
  constraint after every feasible one) and keep the top ``n_top = max(2, ceil(gamma * n))``;
* for parameter ``j``, estimate two 1-D distributions on its encoded ``[0, 1]`` axis: ``p_j``
  from the top trials and ``q_j`` from all of them (the "local" space the study explored);
* its importance is the Pearson divergence of the two,

      D_j = ∫ q_j(x) (p_j(x) / q_j(x) - 1)² dx   ≈   Σ_g q_j(g) (p_j(g) / q_j(g) - 1)²,

  a sum over a grid ``g`` of :data:`N_STEPS` bin centres (continuous parameters) or over
  the levels (categorical, ordinal, an integer with at most :data:`N_STEPS` values);
* the importances are normalized to sum to 1 (all equal when every ``D_j`` is 0).

A parameter whose good values are spread like all its values has ``D_j = 0``; one whose good
values gather in a corner has a large ``D_j``. The paper shows ``D_j`` equals the fANOVA
variance contribution of ``j`` to the indicator "the trial is in the top quantile".

Estimators, from ``m`` encoded values: an ordered axis (float, int, ordinal) uses a Parzen
(Gaussian-kernel) density on the grid with Scott's bandwidth ``h = 1.06 · std · m^(-1/5)``
(clipped to ``[1/N_STEPS, 1]``), each kernel normalized over the grid; a categorical axis
uses the frequencies ``c_l`` of its ``k`` choices. Both add one pseudo-observation spread
evenly (``(Σ kernels + 1/G) / (m + 1)``, ``(c_l + 1/k) / (m + 1)``), so ``q > 0``.
Nothing is random: the same trials give the same importances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space.params import Categorical, Int, Ordinal, Param, bin_centre
from bbo.viz.data import PlotData

GAMMA = 0.1
"""The top quantile whose marginals are compared with all trials'."""
N_STEPS = 50
"""Grid points of a continuous axis (and the most levels an Int is counted by)."""
MIN_TRIALS = 5
"""Fewer completed trials give no importance (a top quantile of one or two is noise)."""


def _grid(p: Param) -> np.ndarray:
    """Where the distributions of ``p`` are compared: its levels (a choice, an Int with at most
    :data:`N_STEPS` values), else :data:`N_STEPS` bin centres of ``[0, 1]``."""
    if isinstance(p, (Categorical, Ordinal)):
        k = len(p.options)
        return np.asarray(bin_centre(np.arange(k), k), dtype=float)
    if isinstance(p, Int) and (p.cardinality or 0) <= N_STEPS:
        return np.asarray(p.levels(), dtype=float)
    return np.asarray(bin_centre(np.arange(N_STEPS), N_STEPS), dtype=float)


def _pmf(x: np.ndarray, grid: np.ndarray, categorical: bool) -> np.ndarray:
    """The estimated distribution of encoded values ``x`` (``m``) on ``grid`` (``G``): level
    frequencies for a categorical axis, a Parzen density for an ordered one."""
    m, G = len(x), len(grid)
    prior = np.full(G, 1.0 / G)  # one pseudo-observation spread evenly
    if categorical:
        idx = np.argmin(np.abs(x[:, None] - grid[None, :]), axis=1)
        return (np.bincount(idx, minlength=G) + prior) / (m + 1.0)
    std = float(np.std(x)) if m > 1 else 0.0
    h = min(max(1.06 * std * m ** (-0.2), 1.0 / N_STEPS), 1.0)  # Scott's rule
    k = np.exp(-0.5 * ((grid[None, :] - x[:, None]) / h) ** 2)  # m x G kernels
    k /= k.sum(axis=1, keepdims=True)  # each kernel truncated to the grid
    return (k.sum(axis=0) + prior) / (m + 1.0)


def pearson_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``Σ q (p / q - 1)²`` of two distributions on the same grid (``q > 0``)."""
    return float(np.sum(q * (p / q - 1.0) ** 2))


def ped_anova(
    X: np.ndarray,
    y: np.ndarray,
    params: Sequence[Param],
    feasible: np.ndarray | None = None,
    gamma: float = GAMMA,
) -> np.ndarray:
    """Importance of each column of ``X`` for minimizing ``y`` (``d`` values summing to 1).

    ``X``: ``n x d`` index-view encoding in ``[0, 1]``; ``y``: ``n`` values, lower is better
    (flip the sign of a maximized objective first); ``params``: the ``d`` parameters (to tell
    discrete axes); ``feasible``: ``n`` booleans, infeasible trials ranked after every feasible
    one (default: all feasible); ``gamma``: the top quantile, in ``(0, 1)``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape if X.ndim == 2 else (len(y), 0)
    if not 0.0 < gamma < 1.0:
        raise InvalidArgumentError(f"`0 < gamma < 1` must hold, got gamma={gamma}")
    if len(params) != d or len(y) != n:
        raise InvalidArgumentError(
            f"X has {n} rows and {d} columns; y has {len(y)} values and there are "
            f"{len(params)} parameters"
        )
    if n < MIN_TRIALS:
        raise InvalidArgumentError(
            f"parameter importance needs at least {MIN_TRIALS} completed trials, the study has {n}"
        )
    if d == 0:
        return np.zeros(0)
    ok = np.ones(n, dtype=bool) if feasible is None else np.asarray(feasible, dtype=bool)
    order = np.lexsort((np.arange(n), np.where(np.isfinite(y), y, np.inf), ~ok))
    n_top = max(2, math.ceil(gamma * n))
    top = order[:n_top]
    D = np.empty(d)
    for j, p in enumerate(params):
        g, cat = _grid(p), isinstance(p, Categorical)
        D[j] = pearson_divergence(_pmf(X[top, j], g, cat), _pmf(X[:, j], g, cat))
    total = D.sum()
    return D / total if total > 0 else np.full(d, 1.0 / d)


def objective_index(d: PlotData, objective: int | str = 0) -> int:
    """The column of ``objective`` (an index or a name) in ``d.Y``."""
    names = [o.name for o in d.objectives]
    if isinstance(objective, str):
        if objective not in names:
            raise InvalidArgumentError(
                f"objective {objective!r} is not in the study; objectives are {names}"
            )
        return names.index(objective)
    if not 0 <= objective < len(names):
        raise InvalidArgumentError(
            f"objective index must be in [0, {len(names)}), got {objective}; objectives are {names}"
        )
    return objective


def importances(d: PlotData, objective: int | str = 0, gamma: float = GAMMA) -> dict[str, float]:
    """``{parameter: importance}`` by :func:`ped_anova` for one objective of the study (the
    first by default; an index or a name), most important first (ties: space order)."""
    j = objective_index(d, objective)
    y = d.objectives[j].sign * d.Y[:, j] if d.n else np.zeros(0)
    names = list(d.space)
    X = d.X if d.n else np.zeros((0, len(names)))
    imp = ped_anova(X, y, [d.space[n] for n in names], d.feasible, gamma)
    order = sorted(range(len(names)), key=lambda i: (-imp[i], i))
    return {names[i]: float(imp[i]) for i in order}


__all__ = [
    "GAMMA",
    "MIN_TRIALS",
    "N_STEPS",
    "importances",
    "objective_index",
    "pearson_divergence",
    "ped_anova",
]
