"""The house style of the plots and the axis helpers every figure shares (matplotlib)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

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


def title(fig: Figure, text: str, sub: str | None = None) -> None:
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


def log_axis(y: np.ndarray) -> bool:
    """Log scale when the values are positive and span more than two decades."""
    y = y[np.isfinite(y)]
    return bool(len(y) > 2 and y.min() > 0 and y.max() / y.min() > 100)


def plain_number(v: float, integer: bool = False) -> str:
    """A tick label without mathtext: ``20``, ``0.003``, ``1e-05``; ``""`` for a value
    between integers on an integer axis."""
    if integer:
        r = round(v)
        return f"{r:d}" if abs(v - r) < 1e-6 * max(1.0, abs(v)) else ""
    return f"{v:.4g}"


def readable_log(axis: Axis, lo: float, hi: float, integer: bool = False) -> None:
    """Log scale on ``axis`` (covering ``[lo, hi]``, ``lo > 0``) with plain-number major ticks
    at 1, 2, 5 (or 1..9 within a decade; only powers of ten past two decades) and no labelled
    minor ticks: never the run-together ``2×10¹3×10¹4×10¹`` of matplotlib's minor labels."""
    if axis is axis.axes.xaxis:
        axis.axes.set_xscale("log")
    else:
        axis.axes.set_yscale("log")
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 1.0
    if decades < 0.7:
        subs: tuple[float, ...] = tuple(range(1, 10))
    elif decades <= 2.2:
        subs = (1.0, 2.0, 5.0)
    else:
        subs = (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: plain_number(v, integer)))
    axis.set_minor_formatter(NullFormatter())


def integer_axis(axis: Axis) -> None:
    """Integer tick locations only (trial numbers)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def label_best(ax: Axes, x: float, y: float, text: str, below: bool) -> Any:
    """Annotate the best point at ``(x, y)`` with ``text``, on the side of it that keeps the
    label inside the axes: left of the point in the right half of the x range, below it for a
    minimized objective (and room made under the lowest point), above for a maximized one."""
    x0, x1 = ax.get_xlim()
    scale = ax.get_xscale()
    pos = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0)) if scale == "log" else (
        (x - x0) / (x1 - x0) if x1 != x0 else 0.0
    )  # fmt: skip
    right = pos > 0.5
    ann = ax.annotate(
        text,
        (x, y),
        xytext=(-7 if right else 7, -7 if below else 7),
        textcoords="offset points",
        ha="right" if right else "left",
        va="top" if below else "bottom",
        color=BEST,
        fontsize=8.5,
        annotation_clip=False,
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        zorder=6,
    )
    ax.margins(y=0.14)  # room above and below the data for the label
    return ann


__all__ = [
    "BEST",
    "BLUE",
    "CMAP",
    "GREEN",
    "GREY",
    "ORANGE",
    "RED",
    "STYLE",
    "integer_axis",
    "label_best",
    "log_axis",
    "plain_number",
    "readable_log",
    "style",
    "title",
]
