"""Matplotlib figures of a study (imported only by ``bbo plot`` / ``bbo report``).

Every function takes :class:`~bbo.viz.data.PlotData` and returns a ``Figure`` (Agg backend,
no display needed):

* :func:`history`: every evaluation and the best-so-far curve, one panel per objective;
* :func:`parallel`: parallel coordinates, one line per trial, coloured by the objective;
* :func:`slices`: the objective against each parameter;
* :func:`pareto`: the first two objectives, the non-dominated front highlighted;
* :func:`contour`: a GP (:func:`bbo.surrogates.gp.fit_gp`) posterior mean and standard
  deviation over two parameters, the others held at the best trial (:mod:`bbo.viz.contour`);
* :func:`importance`: PED-ANOVA parameter importance as bars (:mod:`bbo.viz.importance`).
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from bbo.exceptions import InvalidArgumentError
from bbo.space.params import Categorical, Float, Int, Ordinal, Param, bin_centre
from bbo.study.pareto import pareto_front
from bbo.viz.contour import contour, contour_params, surrogate_grid
from bbo.viz.data import PlotData
from bbo.viz.importance_plot import importance
from bbo.viz.theme import (
    BEST,
    BLUE,
    CMAP,
    GREY,
    ORANGE,
    integer_axis,
    label_best,
    readable_log,
    style,
)
from bbo.viz.theme import log_axis as _log_axis
from bbo.viz.theme import title as _title


# -- history ---------------------------------------------------------------------------------
def history(d: PlotData) -> Figure:
    """Each evaluation (dots), best-so-far (step line), failed trials (ticks on the axis)."""
    m = min(len(d.objectives), 3)
    with style():
        fig, axes = plt.subplots(1, m, figsize=(7.2 if m == 1 else 4.2 * m, 3.8), squeeze=False)
        for j, ax in enumerate(axes[0]):
            y = d.Y[:, j]
            ok = d.feasible
            ax.scatter(d.ids[ok], y[ok], s=18, color=BLUE, alpha=0.55, lw=0, label="evaluation")
            if (~ok).any():
                ax.scatter(
                    d.ids[~ok], y[~ok], s=22, marker="x", color=GREY, lw=1, label="infeasible"
                )
            best = d.best_so_far(j)
            ax.step(d.ids, best, where="post", color=BEST, lw=2, label="best so far")
            k = d.best_index(j)
            if k is not None:
                ax.scatter([d.ids[k]], [y[k]], s=70, marker="*", color=BEST, zorder=5, lw=0)
                below = d.objectives[j].direction == "minimize"
                label_best(ax, float(d.ids[k]), float(y[k]), f"{y[k]:.4g}", below)
            if len(d.failed_ids):
                ax.plot(
                    d.failed_ids,
                    np.zeros(len(d.failed_ids)),
                    "|",
                    color=ORANGE,
                    ms=8,
                    mew=1.5,
                    transform=ax.get_xaxis_transform(),
                    clip_on=False,
                    label=f"failed ({len(d.failed_ids)})",
                )
            if _log_axis(y):
                ax.set_yscale("log")  # > 2 decades: no minor labels
            integer_axis(ax.xaxis)
            ax.set_xlabel("trial")
            ax.set_ylabel(d.label(j))
            ax.legend(loc="best")
        sub = f"{d.n} completed trial(s)"
        if len(d.failed_ids):
            sub += f", {len(d.failed_ids)} failed or infeasible"
        _title(fig, f"Optimization history: {d.name}", sub)
    return fig


# -- parameters on [0, 1] axes -----------------------------------------------------------------
def _ticks(p: Param) -> tuple[list[float], list[str]]:
    """Tick positions on the encoded ``[0, 1]`` axis of ``p`` and their labels."""
    if isinstance(p, (Categorical, Ordinal)):
        k = len(p.options)
        step = max(1, math.ceil(k / 8))
        idx = list(range(0, k, step))
        return [bin_centre(i, k) for i in idx], [str(p.options[i]) for i in idx]
    assert isinstance(p, (Float, Int))
    us = [0.0, 0.5, 1.0]
    return us, [f"{p.decode(u):.3g}" for u in us]


_LABEL: dict[str, Any] = {
    "fontsize": 7.5,
    "color": "#222222",
    "zorder": 10,
    "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
}


def _color_order(d: PlotData, j: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per trial, a colour value in [0, 1] (1 = best) and a draw order (best last)."""
    s = d.objectives[j].sign * d.Y[:, j]
    r = np.argsort(np.argsort(-s)) / max(d.n - 1, 1)  # rank: 1 for the best
    return r, np.argsort(r)


def parallel_columns(d: PlotData) -> list[str]:
    """The axes of the parallel coordinates: every parameter, then the first objective.
    Outcome-constraint metrics are not drawn (they are no coordinate a trial chose, nor what
    it is ranked by); trials that violate one are greyed out instead."""
    return [*d.space, d.objectives[0].name]


def parallel(d: PlotData) -> Figure:
    """Parallel coordinates: one axis per parameter plus the objective, one line a trial
    (see :func:`parallel_columns`)."""
    names = parallel_columns(d)[:-1]
    with style():
        fig, ax = plt.subplots(figsize=(max(6.5, 1.5 * (len(names) + 1) + 1.5), 4.4))
        y = d.Y[:, 0]
        lo, hi = float(np.min(y)), float(np.max(y))
        yn = (y - lo) / (hi - lo) if hi > lo else np.full_like(y, 0.5)
        cols = np.column_stack([d.X, yn]) if d.n else np.zeros((0, len(names) + 1))
        c, order = _color_order(d)
        cmap = plt.get_cmap(CMAP)
        xs = np.arange(len(names) + 1)
        for i in order:
            if d.feasible[i]:
                ax.plot(xs, cols[i], color=cmap(c[i]), alpha=0.35 + 0.45 * c[i],
                        lw=0.9 + 0.8 * c[i])  # fmt: skip
            else:
                ax.plot(xs, cols[i], color=GREY, alpha=0.5, lw=0.8, ls=":")
        k = d.best_index()
        if k is not None:
            ax.plot(xs, cols[k], color=BEST, lw=2.4, label=f"best (trial {d.ids[k]})", zorder=5)
            ax.legend(loc="upper right", bbox_to_anchor=(1.0, 1.13), ncols=1)
        ax.set_xlim(-0.15, len(names) + 0.15)
        ax.set_ylim(-0.04, 1.04)
        ax.set_xticks(xs, parallel_columns(d), fontweight="bold")
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", length=0, pad=8)
        for i, n in enumerate(names):
            ax.axvline(i, color="#444444", lw=0.8, zorder=1)
            pos, labels = _ticks(d.space[n])
            for u, text in zip(pos, labels):
                ax.text(i - 0.04, u, text, ha="right", va="center", **_LABEL)
        ax.axvline(len(names), color="#444444", lw=0.8, zorder=1)
        for u in (0.0, 0.5, 1.0):
            ax.text(len(names) + 0.04, u, f"{lo + u * (hi - lo):.3g}", ha="left", va="center",
                    **_LABEL)  # fmt: skip
        sm = plt.cm.ScalarMappable(cmap=CMAP, norm=plt.Normalize(0, 1))
        cb = fig.colorbar(sm, ax=ax, pad=0.05, fraction=0.02, aspect=30, ticks=[0, 1])
        cb.ax.set_yticklabels(["worst", "best"])
        cb.set_label(f"rank by {d.label()}", fontsize=8.5)
        sub = f"{d.n} completed trial(s)"
        if (~d.feasible).any():
            sub += f"; {int((~d.feasible).sum())} violate a constraint (grey, dotted)"
        _title(fig, f"Parallel coordinates: {d.name}", sub)
    return fig


def slices(d: PlotData) -> Figure:
    """The first objective against each parameter (colour: trial number)."""
    names = list(d.space)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    with style():
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(3.4 * ncols + 0.8, 2.9 * nrows + 0.5), squeeze=False,
            sharey=True,
        )  # fmt: skip
        y = d.Y[:, 0]
        k = d.best_index()
        sc = None
        rng = np.random.default_rng(0)
        for ax, n in zip(axes.flat, names):
            p = d.space[n]
            vals = d.values_of(n)
            if isinstance(p, (Categorical, Ordinal)):
                x = np.array(  # an inactive conditional parameter: not drawn
                    [np.nan if v is None else p.options.index(v) for v in vals], dtype=float
                )
                x = x + rng.uniform(-0.12, 0.12, len(x))
                ax.set_xticks(range(len(p.options)), [str(o) for o in p.options])
                ax.set_xlim(-0.5, len(p.options) - 0.5)
            else:
                x = np.array([np.nan if v is None else v for v in vals], dtype=float)
                if isinstance(p, (Float, Int)) and p.log:
                    readable_log(ax.xaxis, p.low, p.high, isinstance(p, Int))
            sc = ax.scatter(x, y, c=d.ids, cmap="cividis", s=20, alpha=0.85, lw=0)
            if k is not None:
                ax.scatter([x[k]], [y[k]], s=110, marker="*", color=BEST, zorder=5, lw=0)
            ax.set_xlabel(n)
            if _log_axis(y):
                ax.set_yscale("log")  # > 2 decades: no minor labels
        for ax in axes[:, 0]:
            ax.set_ylabel(d.label())
        for ax in list(axes.flat)[len(names) :]:
            ax.set_visible(False)
        if sc is not None:
            cb = fig.colorbar(sc, ax=axes, fraction=0.03, pad=0.02)
            cb.set_label("trial", fontsize=8.5)
            integer_axis(cb.ax.yaxis)
        _title(fig, f"Slices: {d.name}", "objective against each parameter; ★ best trial")
    return fig


def pareto(d: PlotData) -> Figure:
    """The first two objectives; the feasible non-dominated trials joined as a front."""
    if len(d.objectives) < 2:
        raise InvalidArgumentError("a Pareto front needs a study with at least two objectives")
    o1, o2 = d.objectives[:2]
    with style():
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
        Y = d.Y[:, :2]
        signs = np.array([o1.sign, o2.sign])
        feas = np.flatnonzero(d.feasible)
        front = feas[pareto_front(Y[feas] * signs)] if len(feas) else np.array([], dtype=int)
        others = np.setdiff1d(np.arange(d.n), front)
        ax.scatter(Y[others, 0], Y[others, 1], s=20, color=GREY, alpha=0.6, lw=0, label="dominated")
        f = front[np.argsort(Y[front, 0] * o1.sign)]
        ax.step(Y[f, 0], Y[f, 1], where="post", color=BLUE, lw=1.5, alpha=0.8)
        ax.scatter(
            Y[f, 0], Y[f, 1], s=42, color=BLUE, edgecolor="white", lw=0.8, zorder=5,
            label=f"Pareto front ({len(f)})",
        )  # fmt: skip
        ax.set_xlabel(d.label(0))
        ax.set_ylabel(d.label(1))
        ax.legend(loc="best")
        better = ("lower" if o1.sign > 0 else "higher", "lower" if o2.sign > 0 else "higher")
        _title(
            fig,
            f"Pareto front: {d.name}",
            f"{d.n} completed trial(s); better is {better[0]} {o1.name}, {better[1]} {o2.name}",
        )
    return fig


__all__ = [
    "contour",
    "contour_params",
    "history",
    "importance",
    "parallel",
    "parallel_columns",
    "pareto",
    "slices",
    "style",
    "surrogate_grid",
]
