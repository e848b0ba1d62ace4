"""The surrogate contour: a GP (:func:`bbo.surrogates.gp.fit_gp`) posterior mean and standard
deviation over two parameters, the others held at the best trial.

A numeric axis is a grid of ``n`` points of the encoded ``[0, 1]`` interval; a categorical or
ordinal axis is its choices only (the bin centres ``(i + 1/2) / k``): the GP is never asked
about a point between two categories, which is no configuration and drew flat, misleading
bands. Such an axis is drawn as discrete rows or columns of cells, one per choice.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from bbo.exceptions import InvalidArgumentError
from bbo.space.params import Categorical, Float, Int, Ordinal, Param, bin_centre
from bbo.viz.data import PlotData
from bbo.viz.theme import BEST, CMAP, readable_log, style, title


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


def _discrete(p: Param) -> bool:
    return isinstance(p, (Categorical, Ordinal))


def grid_axis(p: Param, n: int) -> np.ndarray:
    """Encoded values the GP is evaluated at along ``p``: its ``k`` choices (bin centres) for
    a categorical or ordinal parameter, else ``n`` points from 0 to 1."""
    if isinstance(p, (Categorical, Ordinal)):
        k = len(p.options)
        return np.asarray(bin_centre(np.arange(k), k), dtype=float)
    return np.linspace(0.0, 1.0, n)


def _axis(p: Param, u: np.ndarray) -> np.ndarray:
    """Plot coordinates of encoded values ``u`` (real values; indices for choices)."""
    if isinstance(p, (Categorical, Ordinal)):
        return u * len(p.options) - 0.5
    assert isinstance(p, (Float, Int))
    lo, hi = p.edges()
    if p.log:
        return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    return lo + u * (hi - lo)


def _cell_edges(p: Param, u: np.ndarray) -> np.ndarray:
    """Plot coordinates of the ``len(u) + 1`` cell edges around grid values ``u``."""
    if _discrete(p):
        return np.arange(len(u) + 1) - 0.5
    mid = (u[1:] + u[:-1]) / 2
    return _axis(p, np.concatenate([[0.0], mid, [1.0]]))


def surrogate_grid(
    d: PlotData, a: str, b: str, n: int = 60, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GP posterior over a grid of parameters ``a``, ``b`` (encoded ``[0, 1]``; see
    :func:`grid_axis`), the other columns at the best trial. Returns ``(U_a, U_b, mean,
    std)``, each ``n_b x n_a`` (``n``, or the number of choices of a categorical axis), mean
    and std in the units of the first objective."""
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
    ua, ub = np.meshgrid(grid_axis(d.space[a], n), grid_axis(d.space[b], n))
    G = np.tile(base, (ua.size, 1))
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
            mean = post.mean.squeeze(-1).numpy().reshape(ua.shape)
            std = post.variance.clamp_min(0).sqrt().squeeze(-1).numpy().reshape(ua.shape)
    return ua, ub, mean, std


def contour(d: PlotData, pair: Sequence[str] | None = None) -> Figure:
    """GP posterior mean and standard deviation over two parameters, with the evaluations:
    filled contours over two numeric axes, cells when an axis is categorical or ordinal."""
    a, b = contour_params(d, pair)
    pa, pb = d.space[a], d.space[b]
    ua, ub, mean, std = surrogate_grid(d, a, b)
    cells = _discrete(pa) or _discrete(pb)
    xa, xb = _axis(pa, ua), _axis(pb, ub)
    ea, eb = _cell_edges(pa, ua[0]), _cell_edges(pb, ub[:, 0])
    names = list(d.space)
    pts_a = _axis(pa, d.X[:, names.index(a)])
    pts_b = _axis(pb, d.X[:, names.index(b)])
    k = d.best_index()
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4), sharey=True)
        panels = [(mean, "posterior mean", CMAP), (std, "posterior std. dev.", "magma")]
        for ax, (z, what, cmap) in zip(axes, panels):
            if cells:
                cs = ax.pcolormesh(ea, eb, z, cmap=cmap)
                for p, line, e in ((pa, ax.axvline, ea), (pb, ax.axhline, eb)):
                    for edge in e[1:-1] if _discrete(p) else []:
                        line(edge, color="white", lw=1.5)  # between two choices
            else:
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
            for p, axis, e in ((pa, ax.xaxis, ea), (pb, ax.yaxis, eb)):
                if isinstance(p, (Float, Int)) and p.log:
                    readable_log(axis, float(e[0]), float(e[-1]), isinstance(p, Int))
                if isinstance(p, (Categorical, Ordinal)):
                    axis.set_ticks(range(len(p.options)), [str(o) for o in p.options])
            ax.set_xlim(ea[0], ea[-1])
            ax.set_ylim(eb[0], eb[-1])
        axes[0].set_ylabel(b)
        axes[0].legend(loc="upper right", fontsize=7.5, frameon=True, framealpha=0.85)
        others = [n for n in names if n not in (a, b)]
        sub = f"GP fitted to {d.n} completed trial(s)"
        if others and k is not None:
            sub += "; " + ", ".join(
                f"{n}={_short(d.trials[k].params[n])}" for n in others if n in d.trials[k].params
            )
            sub += " (best trial)"
        title(fig, f"Surrogate of {d.label()} over {a}, {b}: {d.name}", sub)
    return fig


def _short(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


__all__ = ["contour", "contour_params", "grid_axis", "surrogate_grid"]
