"""The surrogate contour of a study page: a GP's posterior mean and standard deviation over two
parameters, the others held at the best trial (the numbers of ``bbo plot --kind contour``:
:func:`bbo.viz.contour.surrogate_grid`).

Fitting a GP costs far more than the other plots, so it has its own endpoint, computed once
per version of the study and asked for by the page at most every
:data:`REFRESH_S` seconds. A large study is fitted on at most :data:`MAX_FIT` trials (the
best third, and evenly spaced others). A categorical or ordinal axis is drawn as cells (a
heat map over its choices), never interpolated between two choices.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from bbo.exceptions import BboError
from bbo.space.params import Categorical, Float, Int, Ordinal, Param
from bbo.viz.data import PlotData

from .figures import BEST, _axis, _layout, plot_data
from .live import StudyView

JSON = dict[str, Any]
MAX_FIT = 300
"""Trials the GP is fitted on at most."""
REFRESH_S = 10
"""Seconds between two refits while the study changes (the page's pace)."""


def subsample(d: PlotData, cap: int = MAX_FIT) -> PlotData:
    """``d`` with at most ``cap`` rows: the best third by the first objective (feasible
    first) and evenly spaced others, in id order."""
    if d.n <= cap:
        return d
    s = np.where(d.feasible, d.objectives[0].sign * d.Y[:, 0], np.inf)
    best = np.argsort(s, kind="stable")[: cap // 3]
    spaced = np.linspace(0, d.n - 1, cap - len(best)).round().astype(int)
    rows = np.union1d(best, spaced)
    return replace(
        d,
        trials=tuple(d.trials[i] for i in rows),
        ids=d.ids[rows],
        Y=d.Y[rows],
        X=d.X[rows],
        feasible=d.feasible[rows],
    )


def _coords(p: Param, u: np.ndarray) -> list[Any]:
    """Plot coordinates of encoded values ``u``: real values, or the choices' labels."""
    if isinstance(p, (Categorical, Ordinal)):
        k = len(p.options)
        return [str(p.options[min(int(x * k), k - 1)]) for x in u]
    assert isinstance(p, (Float, Int))
    return [p.decode(float(x)) for x in u]


def contour(view: StudyView) -> tuple[JSON | None, str | None]:
    """``(figure, None)``, or ``(None, why not)`` when the study cannot have one."""
    from bbo.torch_utils import thread_policy
    from bbo.viz.contour import contour_params, surrogate_grid

    d = plot_data(view)
    if d.n < 3:
        return None, f"needs 3 completed trials, the study has {d.n}"
    try:
        a, b = contour_params(d)
        fit = subsample(d)
        with thread_policy(fit.n):  # one thread: the fit must not starve the other requests
            ua, ub, mean, std = surrogate_grid(fit, a, b, n=40)
    except BboError as e:
        return None, str(e)
    pa, pb = d.space[a], d.space[b]
    xs, ys = _coords(pa, ua[0]), _coords(pb, ub[:, 0])
    cells = isinstance(pa, (Categorical, Ordinal)) or isinstance(pb, (Categorical, Ordinal))
    names = list(d.space)
    px = _coords(pa, fit.X[:, names.index(a)])
    py = _coords(pb, fit.X[:, names.index(b)])
    k = fit.best_index()
    data: list[JSON] = []
    for i, (z, what, scale) in enumerate(
        [(mean, "posterior mean", "Viridis"), (std, "posterior std. dev.", "Magma")]
    ):
        ax = "" if i == 0 else "2"
        data.append({
            "type": "heatmap" if cells else "contour", "x": xs, "y": ys, "z": z.tolist(),
            "colorscale": scale, "xaxis": f"x{ax}", "yaxis": f"y{ax}", "ncontours": 14,
            "colorbar": {"x": 0.45 if i == 0 else 1.0, "thickness": 12,
                         "title": {"text": what}},
            "hovertemplate": f"{a}=%{{x}}<br>{b}=%{{y}}<br>{what}: %{{z:.4g}}<extra></extra>",
        })  # fmt: skip
        data.append({
            "type": "scatter", "mode": "markers", "x": px, "y": py, "showlegend": i == 0,
            "name": "evaluations", "xaxis": f"x{ax}", "yaxis": f"y{ax}",
            "customdata": fit.ids.tolist(),
            "marker": {"color": "white", "size": 6, "line": {"color": "black", "width": 0.6}},
        })  # fmt: skip
        if k is not None:
            data.append({
                "type": "scatter", "mode": "markers", "x": [px[k]], "y": [py[k]],
                "name": "best", "showlegend": i == 0, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                "customdata": [int(fit.ids[k])],
                "marker": {"symbol": "star", "size": 15, "color": BEST},
            })  # fmt: skip
    others = [n for n in names if n not in (a, b)]
    sub = f"GP fitted to {fit.n} of {d.n} completed trial(s)"
    if others and k is not None:
        sub += "; " + ", ".join(
            f"{n}={fit.trials[k].params[n]!s:.6}" for n in others if n in fit.trials[k].params
        )
        sub += " (best trial)"
    layout = _layout(f"Surrogate of {d.label()} over {a}, {b}: {d.name}", sub, height=430)
    layout["grid"] = {"rows": 1, "columns": 2, "pattern": "independent"}
    for ax, p, name in (("xaxis", pa, a), ("xaxis2", pa, a), ("yaxis", pb, b), ("yaxis2", pb, b)):
        log = isinstance(p, (Float, Int)) and p.log
        layout[ax] = _axis(name, **({"type": "log"} if log else {}))
    layout["xaxis"]["domain"], layout["xaxis2"]["domain"] = [0.0, 0.4], [0.55, 0.95]
    return {"data": data, "layout": layout}, None


__all__ = ["MAX_FIT", "REFRESH_S", "contour", "subsample"]
