"""Plots and the HTML report of a study.

matplotlib is imported when a plot is made, not with this package (``import bbo`` never
loads it). ``pip install 'bbo[plot]'`` installs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bbo.exceptions import BboError, InvalidArgumentError

if TYPE_CHECKING:
    from bbo.study import Study

PLOTS = ("history", "parallel", "slices", "pareto", "contour", "importance", "learning-curves")
"""Plot kinds, in the order they are written (``<kind>.png``)."""
NO_REPORTS = "no intermediate values reported (trial.report or progress lines; docs/pruning.md)"


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InvalidArgumentError("plots need matplotlib: pip install 'bbo[plot]'") from None


def check_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    """The kinds of :data:`PLOTS` to draw, in its order (all for None);
    InvalidArgumentError names an unknown one and lists the kinds."""
    if kinds is None:
        return PLOTS
    bad = [k for k in kinds if k not in PLOTS]
    if bad or not kinds:
        raise InvalidArgumentError(
            f"plot kind(s) {bad} unknown; kinds are {', '.join(PLOTS)}"
            if bad
            else f"name at least one plot kind of {', '.join(PLOTS)}"
        )
    return tuple(k for k in PLOTS if k in kinds)


def figures(
    study: Study,
    contour_params: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """``({kind: Figure}, {kind: why it was skipped})`` for the ``kinds`` of :data:`PLOTS`
    (default all).

    A study with no completed trial has no plot but its learning curves; the Pareto front
    needs two objectives; the contour needs two numeric parameters and three completed
    trials; the parameter importance (of the first objective) needs
    :data:`bbo.viz.importance.MIN_TRIALS`. The learning curves need reports: without any
    they are left out silently, or skipped (:data:`NO_REPORTS`) when ``kinds`` names them.
    """
    _require_matplotlib()
    wanted = check_kinds(kinds)
    figs: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    standard = [k for k in wanted if k != "learning-curves"]
    if standard:
        _standard(study, standard, contour_params, figs, skipped)
    if "learning-curves" in wanted:
        from bbo.viz.curves import CurveData
        from bbo.viz.curves_plot import learning_curves

        c = CurveData.of(study)
        if c.n_trials:
            figs["learning-curves"] = learning_curves(c)
        elif kinds is not None:
            skipped["learning-curves"] = NO_REPORTS
    return figs, skipped


def _standard(
    study: Study,
    kinds: Sequence[str],
    contour_params: Sequence[str] | None,
    figs: dict[str, Any],
    skipped: dict[str, str],
) -> None:
    """The plots of the completed trials (every kind but the learning curves) into
    ``figs`` / ``skipped``."""
    from bbo.viz import plots
    from bbo.viz.data import PlotData

    d = PlotData.of(study)
    if d.n == 0:
        skipped.update({k: "no completed trial yet" for k in kinds})
        return
    for kind in kinds:
        if kind == "pareto" and len(d.objectives) < 2:
            skipped["pareto"] = "single-objective study"
        elif kind in ("contour", "importance"):
            try:
                figs[kind] = (
                    plots.contour(d, contour_params) if kind == "contour" else plots.importance(d)
                )
            except BboError as e:
                if kind == "contour" and contour_params is not None:
                    raise
                skipped[kind] = str(e)
        else:
            figs[kind] = getattr(plots, kind)(d)


def write_plots(
    study: Study,
    out: Path,
    contour_params: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
) -> tuple[dict[str, Path], dict[str, str]]:
    """Write ``<out>/<kind>.png`` for each plot of ``kinds`` (default all); returns the
    files and the skipped kinds."""
    import matplotlib.pyplot as plt

    figs, skipped = figures(study, contour_params, kinds)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for kind, fig in figs.items():
        path = out / f"{kind}.png"
        fig.savefig(path, facecolor="white", dpi=150)
        plt.close(fig)
        files[kind] = path
    return files, skipped


__all__ = ["NO_REPORTS", "PLOTS", "check_kinds", "figures", "write_plots"]
