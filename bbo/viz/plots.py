"""Matplotlib figures of a study (imported only by ``bbo plot`` / ``bbo report``).

Every function takes :class:`~bbo.viz.data.PlotData` and returns a ``Figure`` (Agg backend,
no display needed):

* :func:`history`: every evaluation and the best-so-far curve, one panel per objective;
* :func:`parallel`: parallel coordinates, one line per trial, coloured by the objective;
* :func:`slices`: the objective against each parameter;
* :func:`pareto`: the first two objectives, the non-dominated front highlighted;
* :func:`contour`: a GP (:func:`bbo.surrogates.gp.fit_gp`) posterior mean and standard
  deviation over two parameters, the others held at the best trial.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from bbo.exceptions import InvalidArgumentError
from bbo.space.params import Categorical, Float, Int, Ordinal, Param, bin_centre
from bbo.study.pareto import pareto_front
from bbo.viz.data import PlotData

# Okabe-Ito: distinguishable with colour-vision deficiencies, and in greyscale print
BLUE, ORANGE, GREEN, RED, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#8c8c8c"
BEST = RED
CMAP = "viridis"
STYLE: dict[str, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "figure.constrained_layout.use": True,
}


@contextmanager
def style() -> Iterator[None]:
    """The house style for every figure."""
    with plt.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def _title(fig: Figure, text: str, sub: str | None = None) -> None:
    """A bold title and a grey subtitle under it, left-aligned in a band at the top that the
    constrained layout leaves free (``rect``), so that nothing overlaps them."""
    h_pt = fig.get_figheight() * 72
    band = (24 + (14 if sub else 0)) / h_pt
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0, 0, 1, 1 - band))  # type: ignore[call-arg]
    fig.text(0.01, 1 - 6 / h_pt, text, ha="left", va="top", fontsize=12, fontweight="bold")
    if sub:
        fig.text(0.01, 1 - 24 / h_pt, sub, ha="left", va="top", fontsize=8.5, color="#555555")


def _log_axis(y: np.ndarray) -> bool:
    """Log scale when the values are positive and span more than two decades."""
    y = y[np.isfinite(y)]
    return bool(len(y) > 2 and y.min() > 0 and y.max() / y.min() > 100)


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
                ax.annotate(
                    f"{y[k]:.4g}",
                    (d.ids[k], y[k]),
                    xytext=(6, -12 if d.objectives[j].direction == "minimize" else 6),
                    textcoords="offset points",
                    color=BEST,
                    fontsize=8.5,
                )
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
                ax.set_yscale("log")
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


def parallel(d: PlotData) -> Figure:
    """Parallel coordinates: one axis per parameter plus the objective, one line a trial."""
    names = list(d.space)
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
            ax.plot(xs, cols[i], color=cmap(c[i]), alpha=0.35 + 0.45 * c[i], lw=0.9 + 0.8 * c[i])
        k = d.best_index()
        if k is not None:
            ax.plot(xs, cols[k], color=BEST, lw=2.4, label=f"best (trial {d.ids[k]})", zorder=5)
            ax.legend(loc="upper right", bbox_to_anchor=(1.0, 1.13), ncols=1)
        ax.set_xlim(-0.15, len(names) + 0.15)
        ax.set_ylim(-0.04, 1.04)
        ax.set_xticks(xs, [*names, d.objectives[0].name], fontweight="bold")
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
        _title(fig, f"Parallel coordinates: {d.name}", f"{d.n} completed trial(s)")
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
                x = np.array([p.options.index(v) for v in vals], dtype=float)
                x = x + rng.uniform(-0.12, 0.12, len(x))
                ax.set_xticks(range(len(p.options)), [str(o) for o in p.options])
                ax.set_xlim(-0.5, len(p.options) - 0.5)
            else:
                x = np.array(vals, dtype=float)
                if isinstance(p, (Float, Int)) and p.log:
                    ax.set_xscale("log")
            sc = ax.scatter(x, y, c=d.ids, cmap="cividis", s=20, alpha=0.85, lw=0)
            if k is not None:
                ax.scatter([x[k]], [y[k]], s=110, marker="*", color=BEST, zorder=5, lw=0)
            ax.set_xlabel(n)
            if _log_axis(y):
                ax.set_yscale("log")
        for ax in axes[:, 0]:
            ax.set_ylabel(d.label())
        for ax in list(axes.flat)[len(names) :]:
            ax.set_visible(False)
        if sc is not None:
            cb = fig.colorbar(sc, ax=axes, fraction=0.03, pad=0.02)
            cb.set_label("trial", fontsize=8.5)
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


# -- surrogate -------------------------------------------------------------------------------
def contour_params(d: PlotData, pair: Sequence[str] | None = None) -> tuple[str, str]:
    """The two parameters of the contour: ``pair`` (checked), else the first two numeric."""
    if pair is not None:
        a, b = pair
        for n in (a, b):
            if n not in d.space:
                raise InvalidArgumentError(
                    f"contour parameter {n!r} is not in the space; parameters are {list(d.space)}"
                )
        if a == b:
            raise InvalidArgumentError(
                f"the contour needs two different parameters, got {a!r} twice"
            )
        return a, b
    numeric = [n for n, p in d.space.items() if isinstance(p, (Float, Int, Ordinal))]
    if len(numeric) < 2:
        raise InvalidArgumentError(
            "the surrogate contour needs two numeric (float, int, ordinal) parameters; "
            f"the space has {numeric}"
        )
    return numeric[0], numeric[1]


def _axis(p: Param, u: np.ndarray) -> np.ndarray:
    """Plot coordinates of encoded values ``u`` (real values; indices for choices)."""
    if isinstance(p, (Categorical, Ordinal)):
        return u * len(p.options) - 0.5
    assert isinstance(p, (Float, Int))
    lo, hi = p.edges()
    if p.log:
        return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    return lo + u * (hi - lo)


def surrogate_grid(
    d: PlotData, a: str, b: str, n: int = 60, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GP posterior over an ``n x n`` grid of parameters ``a``, ``b`` (encoded ``[0, 1]``),
    the other columns at the best trial. Returns ``(U_a, U_b, mean, std)``, each ``n x n``,
    mean and std in the units of the first objective."""
    import torch

    from bbo.surrogates.gp import GPData, fit_gp
    from bbo.torch_utils import seeded

    if d.n < 3:
        raise InvalidArgumentError(
            f"the surrogate contour needs at least 3 completed trials, the study has {d.n}"
        )
    names = list(d.space)
    ia, ib = names.index(a), names.index(b)
    k = d.best_index()
    base = d.X[k if k is not None else 0]
    ua, ub = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n))
    G = np.tile(base, (n * n, 1))
    G[:, ia], G[:, ib] = ua.ravel(), ub.ravel()
    cpu = torch.device("cpu")
    with seeded(seed, cpu):
        model, _ = fit_gp(
            GPData(d.X, d.Y[:, :1]),
            cat_dims=sorted(d.space.categorical_dims),
            device=cpu,
            state=None,
        )
        with torch.no_grad():
            post = model.posterior(torch.as_tensor(G, dtype=torch.float64))
            mean = post.mean.squeeze(-1).numpy().reshape(n, n)
            std = post.variance.clamp_min(0).sqrt().squeeze(-1).numpy().reshape(n, n)
    return ua, ub, mean, std


def contour(d: PlotData, pair: Sequence[str] | None = None) -> Figure:
    """GP posterior mean and standard deviation over two parameters, with the evaluations."""
    a, b = contour_params(d, pair)
    pa, pb = d.space[a], d.space[b]
    ua, ub, mean, std = surrogate_grid(d, a, b)
    xa, xb = _axis(pa, ua), _axis(pb, ub)
    names = list(d.space)
    pts_a = _axis(pa, d.X[:, names.index(a)])
    pts_b = _axis(pb, d.X[:, names.index(b)])
    k = d.best_index()
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4), sharey=True)
        panels = [(mean, "posterior mean", CMAP), (std, "posterior std. dev.", "magma")]
        for ax, (z, what, cmap) in zip(axes, panels):
            cs = ax.contourf(xa, xb, z, levels=14, cmap=cmap)
            ax.contour(xa, xb, z, levels=14, colors="white", linewidths=0.3, alpha=0.5)
            ax.scatter(pts_a, pts_b, s=14, color="white", edgecolor="black", lw=0.6, clip_on=False,
                       label="evaluations")  # fmt: skip
            if k is not None:
                ax.scatter([pts_a[k]], [pts_b[k]], s=150, marker="*", color=BEST,
                           edgecolor="white", lw=0.8, label="best", zorder=5)  # fmt: skip
            cb = fig.colorbar(cs, ax=ax, fraction=0.05, pad=0.02)
            cb.set_label(f"{d.objectives[0].name}: {what}", fontsize=8.5)
            ax.set_title(what, loc="left")
            ax.set_xlabel(a)
            ax.grid(False)
            if isinstance(pa, (Float, Int)) and pa.log:
                ax.set_xscale("log")
            if isinstance(pb, (Float, Int)) and pb.log:
                ax.set_yscale("log")
            if isinstance(pa, (Categorical, Ordinal)):
                ax.set_xticks(range(len(pa.options)), [str(o) for o in pa.options])
            if isinstance(pb, (Categorical, Ordinal)):
                ax.set_yticks(range(len(pb.options)), [str(o) for o in pb.options])
        axes[0].set_ylabel(b)
        axes[0].legend(loc="upper right", fontsize=7.5, frameon=True, framealpha=0.85)
        others = [n for n in names if n not in (a, b)]
        sub = f"GP fitted to {d.n} completed trial(s)"
        if others and k is not None:
            sub += "; " + ", ".join(f"{n}={_short(d.trials[k].params[n])}" for n in others)
            sub += " (best trial)"
        _title(fig, f"Surrogate of {d.label()} over {a}, {b}: {d.name}", sub)
    return fig


def _short(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


__all__ = [
    "contour",
    "contour_params",
    "history",
    "parallel",
    "pareto",
    "slices",
    "style",
    "surrogate_grid",
]
