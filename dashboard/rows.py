"""Studies and trials as the JSON the front end reads.

A trial of the table is a compact row (:func:`trial_row`); the trial page gets everything
(:func:`trial_detail`): parameters, metrics, replicate samples, source, the tail of a
failed evaluation's stderr (or traceback), the LLM call that proposed it, its reports.
A study's summary (:func:`study_summary`) holds its counts by state, its best value (or
the size of its Pareto front), and its last activity.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from bbo.run.tables import error_tail
from bbo.study.pareto import pareto_front
from bbo.trial import Report, Trial, TrialState

from .live import StudyView

JSON = dict[str, Any]

# attrs shown in their own sections of the trial page, not in its "attributes" table
_SHOWN_APART = ("source", "stderr_tail", "traceback_tail", "llm", "llm_failed_calls")


def trial_row(t: Trial) -> JSON:
    """One line of the trials table (and one point of the plots drawn in the browser)."""
    return {
        "id": t.id,
        "state": t.state.value,
        "values": t.values,
        "params": t.params,
        "source": t.attrs.get("source"),
        "reason": t.reason,
        "created": t.created_at,
        "finished": t.finished_at,
        "n_samples": len(t.samples) if t.samples is not None else 0,
        "retry_of": t.retry_of,
    }


def report_row(r: Report) -> list[float]:
    """``[trial, step, value]``."""
    return [r.trial, r.step, r.value]


def trial_detail(view: StudyView, t: Trial) -> JSON:
    """The trial page: the row, its samples, stderr tail, LLM exchange, reports, attrs."""
    llm = t.attrs.get("llm")
    attrs = {k: v for k, v in t.attrs.items() if k not in _SHOWN_APART}
    return {
        **trial_row(t),
        "study": view.name,
        "objectives": [o.name for o in view.objectives],
        "samples": list(t.samples) if t.samples is not None else None,
        "error_tail": error_tail(t),
        "llm": llm if isinstance(llm, dict) else None,
        "llm_failed_calls": t.attrs.get("llm_failed_calls"),
        "attrs": attrs,
        "client_id": t.client_id,
        "reports": [[r.step, r.value] for r in view.reports if r.trial == t.id],
    }


def _param_info(view: StudyView) -> list[JSON]:
    out = []
    for name, p in view.space.items():
        d = p.to_dict()
        d["name"] = name
        out.append(d)
    return out


def best_rows(view: StudyView, trials: list[Trial]) -> list[int]:
    """Ids of the best feasible COMPLETED trial (one objective) or of the Pareto front."""
    done = [t for t in trials if t.state == TrialState.COMPLETED and t.feasible(view.constraints)]
    if not done:
        return []
    objs = view.objectives
    Y = np.array([[o.sign * t.values[o.name] for o in objs] for t in done], dtype=float)
    if len(objs) == 1:
        return [done[int(np.argmin(Y[:, 0]))].id]
    return [done[i].id for i in pareto_front(Y)]


def study_summary(view: StudyView) -> JSON:
    """A line of the study list: counts by state, the best, the last activity."""
    trials = view.trials
    counts = Counter(t.state.value for t in trials)
    last = max(
        (max(t.created_at, t.finished_at or 0.0) for t in trials), default=view.record.created_at
    )
    best = best_rows(view, trials)
    objs = view.objectives
    best_values = (
        {o.name: trials[best[0]].values[o.name] for o in objs} if len(objs) == 1 and best else None
    )
    return {
        "name": view.name,
        "state": "running" if counts.get("RUNNING") else ("empty" if not trials else "idle"),
        "n_trials": len(trials),
        "counts": dict(counts),
        "objectives": [{"name": o.name, "direction": o.direction} for o in objs],
        "constraints": [str(c) for c in view.constraints],
        "params": _param_info(view),
        "strategy": view.spec.strategy,
        "best": best if len(objs) == 1 else None,
        "best_values": best_values,
        "pareto_size": len(best) if len(objs) > 1 else None,
        "created": view.record.created_at,
        "last_activity": last,
        "version": view.version,
    }


STATES = [s.value for s in TrialState]
"""Every trial state, for the filters of the trials table."""

__all__ = [
    "STATES",
    "best_rows",
    "report_row",
    "study_summary",
    "trial_detail",
    "trial_row",
]
