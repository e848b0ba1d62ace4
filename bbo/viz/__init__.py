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

PLOTS = ("history", "parallel", "slices", "pareto", "contour", "importance")
"""Plot kinds, in the order they are written (``<kind>.png``)."""


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InvalidArgumentError("plots need matplotlib: pip install 'bbo[plot]'") from None


def figures(
    study: Study, contour_params: Sequence[str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """``({kind: Figure}, {kind: why it was skipped})`` for every kind of :data:`PLOTS`.

    A study with no completed trial has no plot; the Pareto front needs two objectives; the
    contour needs two numeric parameters and three completed trials; the parameter
    importance (of the first objective) needs :data:`bbo.viz.importance.MIN_TRIALS`.
    """
    _require_matplotlib()
    from bbo.viz import plots
    from bbo.viz.data import PlotData

    d = PlotData.of(study)
    if d.n == 0:
        return {}, {k: "no completed trial yet" for k in PLOTS}
    figs: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    figs["history"] = plots.history(d)
    figs["parallel"] = plots.parallel(d)
    figs["slices"] = plots.slices(d)
    if len(d.objectives) >= 2:
        figs["pareto"] = plots.pareto(d)
    else:
        skipped["pareto"] = "single-objective study"
    try:
        figs["contour"] = plots.contour(d, contour_params)
    except BboError as e:
        if contour_params is not None:
            raise
        skipped["contour"] = str(e)
    try:
        figs["importance"] = plots.importance(d)
    except BboError as e:
        skipped["importance"] = str(e)
    return figs, skipped


def write_plots(
    study: Study, out: Path, contour_params: Sequence[str] | None = None
) -> tuple[dict[str, Path], dict[str, str]]:
    """Write ``<out>/<kind>.png`` for each plot; returns the files and the skipped kinds."""
    import matplotlib.pyplot as plt

    figs, skipped = figures(study, contour_params)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for kind, fig in figs.items():
        path = out / f"{kind}.png"
        fig.savefig(path, facecolor="white", dpi=150)
        plt.close(fig)
        files[kind] = path
    return files, skipped


__all__ = ["PLOTS", "figures", "write_plots"]
