"""The learning curves of a study page: each trial's reported values against the step.

Readable for many trials as ``bbo plot``'s (:mod:`bbo.viz.curves`): at most
:data:`~bbo.viz.curves.MAX_CURVES` curves (the best trial's always, the others evenly
spaced by id) of at most :data:`~bbo.viz.curves.MAX_POINTS` points each. A pruned trial's
curve is dashed; the best completed trial's is red.
"""

from __future__ import annotations

from typing import Any

from bbo.trial import TrialState
from bbo.viz.curves import MAX_CURVES, MAX_POINTS, select, thin

from .figures import BEST, BLUE, GREY, _axis, _layout
from .live import StudyView
from .rows import best_rows

JSON = dict[str, Any]


def learning_curves(view: StudyView) -> JSON | None:
    """The figure, or None when no trial reported."""
    by_trial: dict[int, list[tuple[int, float]]] = {}
    for r in view.reports:
        by_trial.setdefault(r.trial, []).append((r.step, r.value))
    if not by_trial:
        return None
    trials = view.trials
    best_ids = best_rows(view, trials) if len(view.objectives) == 1 else []
    best = best_ids[0] if best_ids and best_ids[0] in by_trial else None
    ids = sorted(by_trial)
    keep = select(ids, best, MAX_CURVES)
    data: list[JSON] = []
    pruned = 0
    for tid in keep:
        pts = sorted(by_trial[tid])
        idx = thin(len(pts), MAX_POINTS)
        state = trials[tid].state if tid < len(trials) else TrialState.RUNNING
        pruned += state == TrialState.PRUNED
        colour = BEST if tid == best else (GREY if state == TrialState.PRUNED else BLUE)
        data.append({
            "type": "scatter", "mode": "lines", "name": f"trial {tid}",
            "x": [pts[i][0] for i in idx], "y": [pts[i][1] for i in idx],
            "customdata": [tid] * len(idx), "showlegend": False,
            "line": {"color": colour, "width": 2.5 if tid == best else 1.2,
                     "dash": "dash" if state == TrialState.PRUNED else "solid"},
            "opacity": 1.0 if tid == best else 0.6,
            "hovertemplate": f"trial {tid} ({state.value})<br>step %{{x}}: %{{y}}<extra></extra>",
        })  # fmt: skip
    o = view.objectives[0]
    sub = f"{len(ids)} trial(s) reported {len(view.reports)} value(s); pruned: dashed"
    if best is not None:
        sub += f"; best (trial {best}): red"
    if len(keep) < len(ids):
        sub += f" ({len(keep)} of {len(ids)} trials drawn)"
    layout = _layout(f"Learning curves: {view.name}", sub, height=380)
    layout["xaxis"] = _axis("step")
    layout["yaxis"] = _axis(f"{o.name} ({o.direction})")
    return {"data": data, "layout": layout}


__all__ = ["learning_curves"]
