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
