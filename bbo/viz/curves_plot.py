"""The learning-curve figure: each trial's reported values against the step
(:class:`bbo.viz.curves.CurveData`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from bbo.study import TrialState
from bbo.viz.curves import CurveData
from bbo.viz.theme import (
    BEST,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    integer_axis,
    label_best,
    log_axis,
    style,
    title,
)

# state -> (legend name, colour, line style); PRUNED dashed in orange with a cross where it
# stopped, so it reads apart from COMPLETED in colour and in greyscale print
LOOK: dict[TrialState, tuple[str, str, str]] = {
    TrialState.COMPLETED: ("completed", BLUE, "-"),
    TrialState.PRUNED: ("pruned", ORANGE, "--"),
    TrialState.RUNNING: ("running", GREEN, ":"),
    TrialState.FAILED: ("failed", GREY, ":"),
    TrialState.INFEASIBLE: ("infeasible", GREY, ":"),
    TrialState.ABANDONED: ("abandoned", GREY, ":"),
}


def learning_curves(c: CurveData) -> Figure:
    """One line per trial (value against step), pruned trials dashed with a cross at their
    last report, the best COMPLETED trial in bold red with a star at its last report."""
    alpha = 0.7 if len(c.curves) <= 30 else 0.35
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        seen: set[TrialState] = set()
        for cv in c.curves:
            if cv.trial == c.best:
                continue
            name, colour, ls = LOOK[cv.state]
            label = f"{name} ({c.states.get(cv.state, 0)})" if cv.state not in seen else None
            seen.add(cv.state)
            ax.plot(cv.steps, cv.values, color=colour, ls=ls, lw=1.0, alpha=alpha, label=label,
                    gid=f"trial-{cv.trial}")  # fmt: skip
            if cv.state == TrialState.PRUNED:
                ax.plot(cv.steps[-1:], cv.values[-1:], "x", color=colour, ms=4, mew=1.1,
                        alpha=min(1.0, alpha + 0.2), label=None)  # fmt: skip
        best = c.curve(c.best) if c.best is not None else None
        if best is not None:
            ax.plot(best.steps, best.values, color=BEST, lw=2.4, zorder=5,
                    label=f"best (trial {best.trial})", gid=f"trial-{best.trial}")  # fmt: skip
            x, y = float(best.steps[-1]), float(best.values[-1])
            ax.scatter([x], [y], s=70, marker="*", color=BEST, zorder=6, lw=0)
            label_best(ax, x, y, f"{y:.4g}", c.objective.direction == "minimize")
        values = np.concatenate([cv.values for cv in c.curves]) if c.curves else np.zeros(0)
        if log_axis(values):
            ax.set_yscale("log")
        integer_axis(ax.xaxis)
        ax.set_xlabel("step")
        ax.set_ylabel(c.label)
        ax.legend(loc="best")
        # the subtitle: the counts, or (the legend has them) what was left out
        counts = ", ".join(f"{c.states[s]} {LOOK[s][0]}" for s in LOOK if c.states.get(s))
        sub = c.note or f"{c.n_trials} trial(s), {c.n_reports} report(s): {counts}"
        title(fig, f"Learning curves: {c.name}", sub)
    return fig


__all__ = ["LOOK", "learning_curves"]
