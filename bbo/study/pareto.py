"""Pareto dominance for several minimized objectives."""

from __future__ import annotations

import numpy as np


def pareto_front(Y: np.ndarray, block: int = 256) -> list[int]:
    """Indices of the non-dominated rows of ``Y`` (``n x m``, every column minimized).

    Row ``i`` is dominated when some row ``j`` has ``Y[j] <= Y[i]`` everywhere and
    ``Y[j] < Y[i]`` somewhere. Duplicated rows are all kept. O(n^2 m) time, computed for
    ``block`` candidate rows at a time so that memory stays ``O(n * block * m)`` (10,000
    trials: megabytes, not the 200 MB of one ``n x n x m`` comparison); two objectives
    by one O(n log n) sweep (:func:`_front2`).
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"Y must be n x m, got shape {Y.shape}")
    if Y.shape[1] == 2:
        return _front2(Y)
    dominated = np.zeros(len(Y), dtype=bool)
    for lo in range(0, len(Y), block):
        cand = Y[lo : lo + block]
        le = (Y[:, None, :] <= cand[None, :, :]).all(-1)  # le[j, i]: Y[j] <= cand[i]
        lt = (Y[:, None, :] < cand[None, :, :]).any(-1)
        dominated[lo : lo + block] = (le & lt).any(0)
    return [int(i) for i in np.flatnonzero(~dominated)]


def _front2(Y: np.ndarray) -> list[int]:
    """:func:`pareto_front` of ``n x 2`` rows: in order of the first column (ties by the
    second), a row is non-dominated when its second value is below every earlier row's, or
    when it repeats the last non-dominated row exactly."""
    keep: list[int] = []
    best = np.inf
    for i in np.lexsort((Y[:, 1], Y[:, 0])):
        if Y[i, 1] < best or (keep and bool((Y[i] == Y[keep[-1]]).all())):
            keep.append(int(i))
            best = min(best, float(Y[i, 1]))
    return sorted(keep)
