"""Issue 14, item 10: readable log ticks, whole trial numbers, the best label inside its axes,
a categorical contour evaluated at its choices, parallel coordinates without constraint
metrics, and the parameter-importance figure."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.text import Annotation

import bbo
from bbo.space.params import bin_centre
from bbo.viz import figures, plots
from bbo.viz.contour import grid_axis
from bbo.viz.data import PlotData
from bbo.viz.importance import importances


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _study(space, values, constraints=None, direction="minimize", seed=0):
    """A study whose trial ``i`` has ``values[i]`` (a number or a dict)."""
    study = bbo.Study(space, direction, strategy="sobol", seed=0, constraints=constraints)
    for p, v in zip(space.sample(len(values), np.random.default_rng(seed)), values):
        study.add(p, v)
    return study


def _labels(axis) -> tuple[list[str], list[str]]:
    """The texts of the major and minor tick labels that are drawn (inside the view)."""
    lo, hi = sorted(axis.get_view_interval())

    def shown(ticks):
        return [t.label1.get_text() for t in ticks if lo <= t.get_loc() <= hi]

    return shown(axis.get_major_ticks()), shown(axis.get_minor_ticks())


@pytest.mark.parametrize(("low", "high"), [(16, 256), (1, 1000), (20, 60)])
def test_a_log_int_axis_reads_in_plain_integers(low, high):
    space = bbo.Space({"n": bbo.Int(low, high, log=True), "x": bbo.Float(0.0, 1.0)})
    study = _study(space, [float(i % 7) for i in range(20)])
    fig = plots.slices(PlotData.of(study))
    fig.canvas.draw()
    ax = next(a for a in fig.axes if a.get_xlabel() == "n")
    assert ax.get_xscale() == "log"
    major, minor = _labels(ax.xaxis)
    assert [s for s in major if s], major  # some labels ...
    assert all(re.fullmatch(r"\d*", s) for s in major), major  # ... each a plain integer
    assert all(s == "" for s in minor), minor  # no `2×10¹3×10¹` run-together minor labels
    # the contour's log Int axis too
    fig = plots.contour(PlotData.of(study), ("n", "x"))
    fig.canvas.draw()
    major, minor = _labels(fig.axes[0].xaxis)
    assert all(re.fullmatch(r"\d*", s) for s in major) and not any(minor), (major, minor)


def test_trial_axes_have_integer_ticks_only():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    d = PlotData.of(_study(space, [3.0, 2.0, 2.5, 1.0]))  # 4 trials: matplotlib would say 0.5
    fig = plots.history(d)
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
    fig = plots.slices(d)
    fig.canvas.draw()
    cbar = next(a for a in fig.axes if a.get_ylabel() == "trial")
    lo, hi = cbar.get_ylim()
    ticks = [t for t in cbar.get_yticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("best_at", ["first", "last"])
def test_the_best_value_label_lies_inside_its_axes(direction, best_at):
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    values = [float(v) for v in np.linspace(10.0, 1.234567, 12)]  # decreasing
    if (direction == "minimize") == (best_at == "first"):
        values = values[::-1]
    fig = plots.history(PlotData.of(_study(space, values, direction=direction)))
    fig.canvas.draw()
    ax = fig.axes[0]
    (ann,) = [t for t in ax.texts if isinstance(t, Annotation)]
    box, frame = ann.get_window_extent(), ax.get_window_extent()
    assert ann.get_text() == ("1.235" if direction == "minimize" else "10")
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1, (box, frame)
    assert frame.y0 <= box.y0 and box.y1 <= frame.y1, (box, frame)


def test_a_categorical_contour_is_evaluated_at_the_categories(stored):
    _, study, _ = stored
    d = PlotData.of(study)
    act = study.space["act"]
    centres = [bin_centre(i, 3) for i in range(3)]
    np.testing.assert_allclose(grid_axis(act, 25), centres)
    np.testing.assert_allclose(grid_axis(study.space["x1"], 25), np.linspace(0, 1, 25))
    ua, ub, mean, std = plots.surrogate_grid(d, "x1", "act", n=25)
    assert ua.shape == ub.shape == mean.shape == std.shape == (3, 25)  # a row per category
    np.testing.assert_allclose(np.unique(ub), centres)  # never between two categories
    ua, ub, mean, _ = plots.surrogate_grid(d, "act", "x2", n=20)
    assert mean.shape == (20, 3)
    np.testing.assert_allclose(np.unique(ua), centres)
    fig = plots.contour(d, ("x1", "act"))
    mean_ax = fig.axes[0]
    assert [t.get_text() for t in mean_ax.get_yticklabels()] == ["relu", "tanh", "gelu"]
    assert mean_ax.get_ylim() == (-0.5, 2.5)  # one row per category


def test_parallel_coordinates_show_parameters_and_the_objective_only():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    values = [{"value": float(i), "mem": float(i % 3)} for i in range(9)]
    study = _study(space, values, constraints=["mem <= 1"])
    d = PlotData.of(study)
    assert plots.parallel_columns(d) == ["x", "y", "value"]
    fig = plots.parallel(d)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "value"]
    trial_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    assert len(trial_lines) == d.n + 1  # one a trial, and the best again in red
    assert all(list(ln.get_xdata()) == [0, 1, 2] for ln in trial_lines)
    dotted = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(dotted) == int((~d.feasible).sum()) == 3  # mem = 2 violates the constraint


def test_importance_figure_and_its_place_in_the_plots(stored):
    _, study, multi = stored
    d = PlotData.of(study)
    fig = plots.importance(d)
    (ax,) = fig.axes
    imp = importances(d)
    # most important on top
    top_down = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda t: -t[0])
    assert [label.get_text() for _, label in top_down] == list(imp)
    widths = sorted((p.get_y(), p.get_width()) for p in ax.patches)
    np.testing.assert_allclose([w for _, w in widths][::-1], list(imp.values()))
    figs, skipped = figures(multi)
    assert "importance" in figs and "importance" not in skipped
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    figs, skipped = figures(_study(space, [1.0, 2.0, 3.0, 4.0]))
    assert skipped["importance"] == (
        "parameter importance needs at least 5 completed trials, the study has 4"
    )
