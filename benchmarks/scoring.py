"""Regret bookkeeping and summary statistics.

A run is the list of ``(params, metrics)`` a method observed, in order. After ``n``
evaluations, the *incumbent* is the observed point with the lowest OBSERVED objective among
the points whose observed constraint metric is feasible; its simple regret is its TRUE
(noise-free) objective minus the known optimum. So on a noisy problem a method that is fooled
by a lucky noisy draw pays for it. Until a feasible point was observed, the regret is the
instance's ``regret_cap`` (the worst possible regret).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from benchmarks.problems import OBJECTIVE, Instance

Observation = tuple[dict[str, Any], dict[str, float]]


def regret_trace(instance: Instance, observations: Sequence[Observation]) -> list[float]:
    """Simple regret of the incumbent after each evaluation (length ``len(observations)``)."""
    trace: list[float] = []
    best_obs = math.inf
    best_regret = instance.regret_cap
    for params, metrics in observations:
        if instance.feasible(metrics) and metrics[OBJECTIVE] < best_obs:
            best_obs = metrics[OBJECTIVE]
            best_regret = max(instance.true(params) - instance.optimum, 0.0)
        trace.append(float(best_regret))
    return trace


def regret_scale(instance: Instance, seed: int, n: int = 64) -> float:
    """The median regret of ``n`` uniformly random points of the instance (seeded): the
    problem's scale, to which the ECDF's regret targets are relative (see
    :func:`benchmarks.report.ecdf_plot`). Constraints are ignored; 1 if the median is 0."""
    rng = np.random.default_rng([seed, 4242])
    gaps = [instance.true(p) - instance.optimum for p in instance.space.sample(n, rng)]
    scale = float(np.median(gaps))
    return scale if scale > 0 and math.isfinite(scale) else 1.0


def regret_at(trace: Sequence[float], n: int) -> float:
    """Regret after ``n`` evaluations (the last one if the run stopped earlier; NaN if empty)."""
    if not trace:
        return math.nan
    return float(trace[min(n, len(trace)) - 1])


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """``(median, q25, q75)`` of the finite values (NaNs when there are none)."""
    v = np.array([x for x in values if math.isfinite(x)], dtype=float)
    if v.size == 0:
        return (math.nan, math.nan, math.nan)
    q25, med, q75 = np.quantile(v, [0.25, 0.5, 0.75])
    return (float(med), float(q25), float(q75))


def count_wins(
    medians: Mapping[str, Mapping[str, float]], method: str, other: str
) -> tuple[int, int]:
    """``(K, N)``: on K of the N problems where both have a result, ``method``'s median regret
    is strictly lower than ``other``'s."""
    k = n = 0
    for row in medians.values():
        a, b = row.get(method, math.nan), row.get(other, math.nan)
        if math.isfinite(a) and math.isfinite(b):
            n += 1
            k += a < b
    return k, n


def mean_ranks(
    medians: Mapping[str, Mapping[str, float]], methods: Sequence[str]
) -> dict[str, float]:
    """Mean rank of each method over the problems of ``medians`` (problem -> method ->
    median regret): on each problem where at least one method has a finite median, methods
    are ranked by median regret (1 = best; ties get the average of their ranks; a missing
    or NaN median ranks after every finite one, tied with the other missing ones)."""
    totals = dict.fromkeys(methods, 0.0)
    n = 0
    for row in medians.values():
        vals = np.array([row.get(m, math.nan) for m in methods], dtype=float)
        if not np.isfinite(vals).any():
            continue
        vals[~np.isfinite(vals)] = np.inf
        ranks = _average_ranks(vals)
        for m, r in zip(methods, ranks):
            totals[m] += float(r)
        n += 1
    return {m: (totals[m] / n if n else math.nan) for m in methods}


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (ascending), ties averaged."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=float)
    sorted_vals = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks
