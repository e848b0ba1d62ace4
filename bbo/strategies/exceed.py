"""The model target of an ``exceed(t)`` objective: the probit score, not the frequency.

The empirical exceedance ``(1/n) #{j : y_j > t}`` of a point is exactly 0 or 1 wherever
all its replicates lie on one side of ``t``, with a bootstrap standard error of 0: on such
a plateau a GP of the frequency is flat and blind. The GP of :class:`ImputedData
<bbo.strategies.pipeline.ImputedData>` and the recommendation
(:func:`bbo.study.recommend.recommended`) model instead, for each trial ``i`` with
replicates ``y_i1 .. y_in``::

    z_i = Phi^-1( (1/n) sum_j Phi((y_ij - t) / h_i) )      (bbo.statistics.exceed_probit)
    u_i = -s * z_i                                          (utility: higher is better)
    Yvar_i = var*(z_i)                                      (its bootstrap variance)

with ``s`` the objective's sign. ``z_i`` increases with the exceedance and keeps a slope
on the plateau (``z_i ~ (min_j y_ij - t) / h_i``), so the model orders saturated points
by how far their replicates lie above the threshold.

The bootstrap costs a few milliseconds a point; a finished trial's replicates never
change, so each ``(replicates, threshold, seed)`` is computed once per process
(:func:`cached_target`, an LRU keyed by the replicate values themselves: trial ids
repeat across studies).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from bbo.statistics import exceed_target
from bbo.trial import Objective, Trial

CACHE_SIZE = 65536  # (replicates, threshold, seed) entries: ~2 MB at 20 replicates
MIN_VARIANCE = 1e-12  # a known noise of 0 makes the GP's covariance singular
REFUTE_LEVEL = 0.05  # one-sided Fisher exact test of :func:`refuted`


def is_exceed(objectives: Sequence[Objective]) -> bool:
    """Whether the study has one objective and it is an ``exceed(t)`` statistic."""
    return len(objectives) == 1 and objectives[0].statistic.name == "exceed"


def replicate_sets(trials: Sequence[Trial], objective: Objective) -> list[tuple[float, ...]] | None:
    """The replicates of ``objective`` of every trial, or None when a trial has fewer than
    two (no known noise: the score and the counts need them all)."""
    reps = [t.replicates(objective.name) for t in trials]
    if not all(r is not None and len(r) >= 2 for r in reps):
        return None
    return [r for r in reps if r is not None]


@lru_cache(maxsize=CACHE_SIZE)
def cached_target(
    replicates: tuple[float, ...], threshold: float, seed: int
) -> tuple[float, float]:
    """:func:`bbo.statistics.exceed_target` ``(z, var)`` of ``replicates``, memoized."""
    return exceed_target(replicates, threshold, seed=seed)


def exceed_targets(
    trials: Sequence[Trial], objectives: Sequence[Objective]
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(U, Yvar)``, both ``n x 1``: the utilities ``-s * z_i`` and variances
    ``max(var*(z_i), 1e-12)`` of the module docstring (the bootstrap seeded by the trial
    id); None unless ``objectives`` is one ``exceed(t)`` objective and every trial has at
    least two replicates (known noise)."""
    if not is_exceed(objectives):
        return None
    objective = objectives[0]
    threshold = objective.statistic.param
    assert threshold is not None  # an exceed statistic always has one (Statistic checks)
    reps = replicate_sets(trials, objective)
    if reps is None:
        return None
    zv = [
        cached_target(tuple(map(float, r)), float(threshold), int(t.id))
        for t, r in zip(trials, reps)
    ]
    U = np.array([[-objective.sign * z] for z, _ in zv])
    Yvar = np.array([[max(v, MIN_VARIANCE)] for _, v in zv])
    return U, Yvar


def refuted(
    trials: Sequence[Trial], objective: Objective, level: float = REFUTE_LEVEL
) -> np.ndarray:
    """``n`` booleans: whether the replicates of trial ``i`` show *significantly* more bad
    outcomes than those of the trial with the lowest bad frequency ``b``, a bad outcome
    being ``y > t`` when the exceedance is minimized (``y <= t`` when maximized)::

        refuted_i  <=>  p_i < level,   p_i = P(K >= k_i)  (one-sided Fisher exact test of
                                       the 2 x 2 table [[k_i, n_i - k_i], [k_b, n_b - k_b]])

    The probit score ranks points on a plateau (every replicate beyond ``t``), but there its
    bootstrap is ill-behaved (resamples that drop the replicates nearest ``t`` jump far up:
    a variance of 50 on a score of 1.6 was seen), and a known-noise GP can then predict such
    a point below a trial whose replicates show, say, 3 of 20 exceedances against its 20 of
    20. Such a ranking is refuted by the counts themselves. All False when ``objective`` is
    not ``exceed(t)`` or a trial lacks two replicates."""
    from scipy.stats import fisher_exact

    out = np.zeros(len(trials), dtype=bool)
    if not is_exceed([objective]) or not trials:
        return out
    t = float(objective.statistic.param)  # type: ignore[arg-type]
    reps = replicate_sets(trials, objective)
    if reps is None:
        return out
    n = np.array([len(r) for r in reps])
    k = np.array([int(np.sum(np.asarray(r) > t)) for r in reps])
    bad = k if objective.sign > 0 else n - k
    b = int(np.lexsort((np.arange(len(n)), bad / n))[0])
    for i in range(len(n)):
        if bad[i] * n[b] > bad[b] * n[i]:  # a higher bad frequency than the best: test it
            table = [[bad[i], n[i] - bad[i]], [bad[b], n[b] - bad[b]]]
            out[i] = fisher_exact(table, alternative="greater")[1] < level
    return out


__all__ = [
    "REFUTE_LEVEL",
    "cached_target",
    "exceed_targets",
    "is_exceed",
    "refuted",
    "replicate_sets",
]
