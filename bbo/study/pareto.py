"""Pareto dominance for several minimized objectives."""

from __future__ import annotations

import numpy as np


def pareto_front(Y: np.ndarray) -> list[int]:
    """Indices of the non-dominated rows of ``Y`` (``n x m``, every column minimized).

    Row ``i`` is dominated when some row ``j`` has ``Y[j] <= Y[i]`` everywhere and
    ``Y[j] < Y[i]`` somewhere. Duplicated rows are all kept. O(n^2 m), fine for the
    thousands of trials a study holds.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"Y must be n x m, got shape {Y.shape}")
    le = (Y[:, None, :] <= Y[None, :, :]).all(-1)  # le[j, i]: Y[j] <= Y[i]
    lt = (Y[:, None, :] < Y[None, :, :]).any(-1)
    dominated = (le & lt).any(0)
    return [int(i) for i in np.flatnonzero(~dominated)]
