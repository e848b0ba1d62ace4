"""The plots of a study page as plotly figure specs (``{"data": [...], "layout": {...}}``).

The numbers come from :class:`bbo.viz.data.PlotData` (the same as ``bbo plot``'s) and
:func:`bbo.viz.importance.importances`; plotly.js draws them in the browser. A plot stays
readable and quick for a study of many trials: the scatter plots draw at most
:data:`MAX_POINTS` evaluations (the best, every improvement and evenly spaced others) with
WebGL past :data:`GL_FROM`, the parallel coordinates at most :data:`MAX_LINES` lines; the
subtitle says what was left out. Every point carries its trial id (``customdata``), so a
click opens the trial.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from bbo.space.params import Categorical, Float, Int, Ordinal, Param, bin_centre
from bbo.study.pareto import pareto_front
from bbo.viz.data import PlotData
from bbo.viz.importance import MIN_TRIALS, importances

from .live import StudyView

JSON = dict[str, Any]
BLUE, ORANGE, GREY, BEST = "#0072B2", "#E69F00", "#8c8c8c", "#D55E00"
MAX_POINTS = 4000
"""Evaluations drawn at most in a scatter plot."""
MAX_LINES = 300
"""Trials drawn at most in the parallel coordinates."""
GL_FROM = 1500
"""From this many points on, scatter plots draw with WebGL."""
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def plot_data(view: StudyView) -> PlotData:
    """The completed trials of ``view`` as arrays (``PlotData.of`` reads what a Study has)."""
    return PlotData.of(cast(Any, view))


def keep_rows(d: PlotData, cap: int, j: int = 0) -> np.ndarray:
    """Rows of ``d`` to draw (sorted): all when ``d.n <= cap``, else every improvement of
    the best-so-far of objective ``j`` (the best included) and evenly spaced others."""
    if d.n <= cap:
        return np.arange(d.n)
    run = d.best_so_far(j)
    improved = np.flatnonzero(np.r_[True, run[1:] != run[:-1]] & ~np.isnan(run))
    improved = improved[-cap // 4 :]
    rest = np.unique(np.linspace(0, d.n - 1, cap - len(improved)).round().astype(int))
    return np.union1d(improved, rest)


def _note(d: PlotData, shown: int, what: str = "evaluations") -> str:
    return f" ({shown} of {d.n} {what} drawn)" if shown < d.n else ""


def _layout(title: str, sub: str = "", **extra: Any) -> JSON:
    text = f"<b>{title}</b>" + (
        f"<br><span style='font-size:11px;color:#555'>{sub}</span>" if sub else ""
    )
    base: JSON = {
        "title": {"text": text, "x": 0.01, "xanchor": "left"},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 64, "b": 48},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.18},
    }
    base.update(extra)
    return base


def _axis(title: str, **extra: Any) -> JSON:
    return {"title": {"text": title}, "gridcolor": "#e6e6e6", "zeroline": False, **extra}


def _log_y(y: np.ndarray) -> bool:
    """A log axis when every value is positive and they span more than two decades."""
    return bool(len(y)) and bool((y > 0).all()) and float(y.max() / y.min()) > 100.0


def _log_axis(y: np.ndarray) -> JSON:
    """A log axis with a label a decade (see :func:`_log_y`), else a linear one."""
    return {"type": "log", "dtick": 1} if _log_y(y) else {"type": "linear"}


def _scatter(n: int) -> str:
    return "scattergl" if n >= GL_FROM else "scatter"


# -- history -----------------------------------------------------------------------------
def history(d: PlotData) -> JSON:
    """Each evaluation, the best so far, failed trials as ticks; one panel an objective."""
    m = min(len(d.objectives), 3)
    rows = keep_rows(d, MAX_POINTS)
    data: list[JSON] = []
    layout = _layout(
        f"Optimization history: {d.name}",
        f"{d.n} completed trial(s), {len(d.failed_ids)} failed or infeasible" + _note(d, len(rows)),
        height=320 + 200 * (m - 1),
    )
    gap = 0.08
    for j in range(m):
        ya = "y" if j == 0 else f"y{j + 1}"
        top = 1 - j * (1 + gap) / m
        y = d.Y[rows, j]
        ok = d.feasible[rows]
        ids = d.ids[rows]
        kind = _scatter(len(rows))
        data.append({
            "type": kind, "mode": "markers", "name": "evaluation", "yaxis": ya,
            "x": ids[ok].tolist(), "y": y[ok].tolist(), "customdata": ids[ok].tolist(),
            "marker": {"color": BLUE, "size": 6, "opacity": 0.55},
            "showlegend": j == 0,
        })  # fmt: skip
        if (~ok).any():
            data.append({
                "type": kind, "mode": "markers", "name": "infeasible", "yaxis": ya,
                "x": ids[~ok].tolist(), "y": y[~ok].tolist(), "customdata": ids[~ok].tolist(),
                "marker": {"color": GREY, "symbol": "x", "size": 7}, "showlegend": j == 0,
            })  # fmt: skip
        best = d.best_so_far(j)
        step = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])  # where it changes
        xs = np.r_[d.ids[step], d.ids[-1:]] if d.n else d.ids
        ys = np.r_[best[step], best[-1:]] if d.n else best
        finite = ~np.isnan(ys)
        data.append({
            "type": "scatter", "mode": "lines", "name": "best so far", "yaxis": ya,
            "x": xs[finite].tolist(), "y": ys[finite].tolist(),
            "line": {"color": BEST, "width": 2, "shape": "hv"}, "showlegend": j == 0,
            "hoverinfo": "skip",
        })  # fmt: skip
        if len(d.failed_ids) and d.n:
            lo = float(np.min(d.Y[:, j]))
            data.append({
                "type": "scatter", "mode": "markers", "name": f"failed ({len(d.failed_ids)})",
                "yaxis": ya, "x": d.failed_ids.tolist(), "y": [lo] * len(d.failed_ids),
                "customdata": d.failed_ids.tolist(), "showlegend": j == 0,
                "marker": {"color": ORANGE, "symbol": "line-ns-open", "size": 10,
                           "line": {"width": 2}},
            })  # fmt: skip
        key = "yaxis" if j == 0 else f"yaxis{j + 1}"
        layout[key] = _axis(
            d.label(j),
            domain=[max(0.0, top - (1 - gap * (m - 1)) / m), top],
            **_log_axis(d.Y[:, j]),
        )
    layout["xaxis"] = _axis("trial", anchor="y" if m == 1 else f"y{m}")
    return {"data": data, "layout": layout}


# -- parameters ----------------------------------------------------------------------------
def _ticks(p: Param) -> tuple[list[float], list[str]]:
    """Tick positions on the encoded ``[0, 1]`` axis of ``p`` and their labels."""
    if isinstance(p, (Categorical, Ordinal)):
        k = len(p.options)
        step = max(1, math.ceil(k / 8))
        idx = list(range(0, k, step))
        return [float(bin_centre(i, k)) for i in idx], [str(p.options[i]) for i in idx]
    assert isinstance(p, (Float, Int))
    us = [0.0, 0.25, 0.5, 0.75, 1.0]
    return us, [f"{p.decode(u):.3g}" for u in us]


def parallel(d: PlotData) -> JSON:
    """Parallel coordinates: an axis a parameter (encoded, labelled in real values) and the
    first objective; a line a trial, coloured by the objective (the best ones on top)."""
    s = d.objectives[0].sign * d.Y[:, 0]
    order = np.argsort(-s)  # worst first: plotly draws later lines on top
    if d.n > MAX_LINES:
        # positions in worst-to-best order: the best half of the lines, the rest evenly spaced
        spaced = np.linspace(0, d.n - 1, MAX_LINES // 2).round().astype(int)
        order = order[np.union1d(np.arange(d.n - MAX_LINES // 2, d.n), spaced)]
    dims: list[JSON] = []
    for j, (name, p) in enumerate(d.space.items()):
        vals, text = _ticks(p)
        dims.append({"label": name, "values": d.X[order, j].tolist(), "range": [0, 1],
                     "tickvals": vals, "ticktext": text})  # fmt: skip
    y = d.Y[order, 0]
    dims.append({"label": d.objectives[0].name, "values": y.tolist()})
    trace = {
        "type": "parcoords",
        "dimensions": dims,
        "line": {
            "color": y.tolist(),
            "colorscale": "Viridis",
            "reversescale": d.objectives[0].direction == "minimize",
            "showscale": True,
            "colorbar": {"title": {"text": d.objectives[0].name}},
        },
    }
    sub = f"{d.n} completed trial(s); colour: {d.label()}" + _note(d, len(order), "trials")
    layout = _layout(f"Parallel coordinates: {d.name}", sub, height=420)
    layout["margin"] = {"l": 70, "r": 70, "t": 90, "b": 30}
    return {"data": [trace], "layout": layout}


def slices(d: PlotData) -> JSON:
    """The first objective against each parameter (colour: trial id); ★ the best."""
    names = list(d.space)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    rows = keep_rows(d, MAX_POINTS)
    y = d.Y[rows, 0]
    k = d.best_index()
    data: list[JSON] = []
    layout = _layout(
        f"Slices: {d.name}",
        "objective against each parameter; colour: trial; ★ best" + _note(d, len(rows)),
        height=110 + 240 * nrows,
    )
    layout["grid"] = {"rows": nrows, "columns": ncols, "pattern": "independent"}
    kind = _scatter(len(rows))
    for i, n in enumerate(names):
        p = d.space[n]
        ax = "" if i == 0 else str(i + 1)
        vals = d.values_of(n)
        x = [vals[r] for r in rows]
        if isinstance(p, (Categorical, Ordinal)):
            x = [str(v) for v in x]
        data.append({
            "type": kind, "mode": "markers", "xaxis": f"x{ax}", "yaxis": f"y{ax}",
            "x": x, "y": y.tolist(), "customdata": d.ids[rows].tolist(), "showlegend": False,
            "marker": {"color": d.ids[rows].tolist(), "colorscale": "Cividis", "size": 6,
                       "opacity": 0.85, "showscale": i == 0,
                       "colorbar": {"title": {"text": "trial"}, "thickness": 12}},
            "hovertemplate": f"trial %{{customdata}}<br>{n}=%{{x}}<br>value=%{{y}}<extra></extra>",
        })  # fmt: skip
        if k is not None:
            bx = str(vals[k]) if isinstance(p, (Categorical, Ordinal)) else vals[k]
            data.append({
                "type": "scatter", "mode": "markers", "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                "x": [bx], "y": [float(d.Y[k, 0])], "customdata": [int(d.ids[k])],
                "marker": {"symbol": "star", "size": 14, "color": BEST}, "showlegend": False,
            })  # fmt: skip
        log = isinstance(p, (Float, Int)) and p.log
        layout[f"xaxis{ax}"] = _axis(n, **({"type": "log", "dtick": 1} if log else {}))
        layout[f"yaxis{ax}"] = _axis(d.label() if i % ncols == 0 else "", **_log_axis(d.Y[:, 0]))
    return {"data": data, "layout": layout}


def importance(d: PlotData) -> JSON:
    """PED-ANOVA importance of each parameter for the first objective (horizontal bars)."""
    imp = importances(d)
    names = list(imp)[::-1]  # most important on top
    trace = {
        "type": "bar", "orientation": "h", "x": [imp[n] for n in names], "y": names,
        "marker": {"color": BLUE}, "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
    }  # fmt: skip
    layout = _layout(
        f"Parameter importance: {d.name}",
        f"PED-ANOVA on {d.label()}, {d.n} completed trial(s)",
        height=140 + 34 * len(names),
    )
    layout["xaxis"] = _axis("importance (sums to 1)", range=[0, 1])
    layout["yaxis"] = {"automargin": True}
    return {"data": [trace], "layout": layout}


def pareto(d: PlotData) -> JSON:
    """The first two objectives; the feasible non-dominated trials joined as a front."""
    o1, o2 = d.objectives[:2]
    Y = d.Y[:, :2]
    feas = np.flatnonzero(d.feasible)
    signs = np.array([o1.sign, o2.sign])
    front = feas[pareto_front(Y[feas] * signs)] if len(feas) else np.array([], dtype=int)
    rest = np.setdiff1d(keep_rows(d, MAX_POINTS), front)
    f = front[np.argsort(Y[front, 0] * o1.sign)]
    kind = _scatter(len(rest))
    data = [
        {"type": kind, "mode": "markers", "name": "dominated", "x": Y[rest, 0].tolist(),
         "y": Y[rest, 1].tolist(), "customdata": d.ids[rest].tolist(),
         "marker": {"color": GREY, "size": 6, "opacity": 0.6}},
        {"type": "scatter", "mode": "lines+markers", "name": f"Pareto front ({len(f)})",
         "x": Y[f, 0].tolist(), "y": Y[f, 1].tolist(), "customdata": d.ids[f].tolist(),
         "line": {"color": BLUE, "shape": "hv"}, "marker": {"color": BLUE, "size": 9}},
    ]  # fmt: skip
    better = ("lower" if o1.sign > 0 else "higher", "lower" if o2.sign > 0 else "higher")
    layout = _layout(
        f"Pareto front: {d.name}",
        f"{d.n} completed trial(s); better is {better[0]} {o1.name}, {better[1]} {o2.name}"
        + _note(d, len(rest) + len(f)),
        height=420,
    )
    layout["xaxis"], layout["yaxis"] = _axis(d.label(0)), _axis(d.label(1))
    return {"data": data, "layout": layout}


def figures(view: StudyView) -> tuple[dict[str, JSON], dict[str, str]]:
    """``({kind: figure}, {kind: why it is not drawn})`` for the plots of the study page
    (the learning curves: :func:`bbo.dashboard.curves.learning_curves`)."""
    d = plot_data(view)
    figs: dict[str, JSON] = {}
    skipped: dict[str, str] = {}
    if d.n == 0:
        for kind in ("history", "parallel", "slices", "importance"):
            skipped[kind] = "no completed trial yet"
        return figs, skipped
    figs["history"] = history(d)
    figs["parallel"] = parallel(d)
    figs["slices"] = slices(d)
    if d.n >= MIN_TRIALS:
        figs["importance"] = importance(d)
    else:
        skipped["importance"] = f"needs {MIN_TRIALS} completed trials, the study has {d.n}"
    if len(d.objectives) >= 2:
        figs["pareto"] = pareto(d)
    return figs, skipped


__all__ = [
    "GL_FROM",
    "MAX_LINES",
    "MAX_POINTS",
    "figures",
    "history",
    "importance",
    "keep_rows",
    "parallel",
    "pareto",
    "plot_data",
    "slices",
]
