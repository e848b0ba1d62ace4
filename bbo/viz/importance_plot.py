"""The parameter-importance figure: :func:`bbo.viz.importance.importances` as bars."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bbo.viz.data import PlotData
from bbo.viz.importance import GAMMA, importances, objective_index
from bbo.viz.theme import BLUE, style, title


def importance(d: PlotData, objective: int | str = 0, gamma: float = GAMMA) -> Figure:
    """Horizontal bars, the most important parameter on top, each labelled with its share.
    InvalidArgumentError (from :func:`~bbo.viz.importance.ped_anova`) with too few trials."""
    j = objective_index(d, objective)
    imp = importances(d, j, gamma)
    names, shares = list(imp), list(imp.values())
    with style():
        fig, ax = plt.subplots(figsize=(6.8, max(3.2, 0.42 * len(names) + 1.4)))
        ys = list(range(len(names)))[::-1]  # the first (most important) on top
        ax.barh(ys, shares, height=0.62, color=BLUE, alpha=0.85)
        for y, v in zip(ys, shares):
            ax.text(v, y, f" {v:.2f}", ha="left", va="center", fontsize=8.5)
        ax.set_yticks(ys, names)
        ax.set_xlim(0, max(shares, default=1.0) * 1.18 or 1.0)
        ax.set_xlabel("importance (share, sums to 1)")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        n_top = max(2, math.ceil(gamma * d.n))
        sub = f"PED-ANOVA: top {n_top} of {d.n} completed trial(s) by {d.label(j)} against all"
        title(fig, f"Parameter importance: {d.name}", sub)
    return fig


__all__ = ["importance"]
