"""The numbers behind the learning-curve plot: each trial's reported values by step (no
matplotlib here).

A study with many trials is drawn readably: at most :data:`MAX_CURVES` curves (the best
trial's always, the others evenly spaced by trial id) of at most :data:`MAX_POINTS` points
each (evenly spaced, the first and last kept); :attr:`CurveData.note` says what was left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from bbo.study import Objective, Study, TrialState

MAX_CURVES = 200
"""Curves drawn at most; a bigger study draws a deterministic, evenly spaced selection."""
MAX_POINTS = 400
"""Points drawn per curve at most."""


@dataclass(frozen=True)
class LearningCurve:
    """One trial's reports: ``steps`` and ``values`` (``k`` each, in step order)."""

    trial: int
    state: TrialState
    steps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class CurveData:
    """The learning curves of a study.

    ``curves``: the ones to draw, in trial order (capped and thinned); ``states``: how many
    of *all* the reporting trials are in each state; ``n_trials`` / ``n_reports``: trials
    that reported and their reports in all; ``best``: the best COMPLETED trial's id when it
    reported (single objective), always among ``curves``; ``thinned``: some curve drawn with
    fewer points than it has (at most ``max_points``).
    """

    name: str
    objective: Objective
    curves: tuple[LearningCurve, ...]
    states: dict[TrialState, int]
    n_trials: int
    n_reports: int
    best: int | None
    thinned: bool
    max_points: int = MAX_POINTS

    @classmethod
    def of(
        cls, study: Study, max_curves: int = MAX_CURVES, max_points: int = MAX_POINTS
    ) -> CurveData:
        by_trial: dict[int, list[tuple[int, float]]] = {}
        reports = study.reports()
        for r in reports:
            by_trial.setdefault(r.trial, []).append((r.step, r.value))
        state = {t.id: t.state for t in study.trials if t.id in by_trial}
        best = None
        if len(study.objectives) == 1:
            b = study.best_observed
            best = b.id if b is not None and b.id in by_trial else None
        ids = sorted(by_trial)
        keep = select(ids, best, max_curves)
        curves, thinned = [], False
        for tid in keep:
            pts = sorted(by_trial[tid])
            idx = thin(len(pts), max_points)
            thinned |= len(idx) < len(pts)
            steps = np.array([pts[i][0] for i in idx], dtype=float)
            values = np.array([pts[i][1] for i in idx], dtype=float)
            curves.append(LearningCurve(tid, state[tid], steps, values))
        return cls(
            name=study.name,
            objective=study.objectives[0],
            curves=tuple(curves),
            states=dict(Counter(state[t] for t in ids)),
            n_trials=len(ids),
            n_reports=len(reports),
            best=best,
            thinned=thinned,
            max_points=max_points,
        )

    @property
    def label(self) -> str:
        return f"{self.objective.name} ({self.objective.direction})"

    def curve(self, trial: int) -> LearningCurve | None:
        """The drawn curve of ``trial`` (None when it is not drawn)."""
        return next((c for c in self.curves if c.trial == trial), None)

    @property
    def note(self) -> str:
        """What the plot leaves out, for its subtitle ("" when nothing)."""
        parts = []
        if len(self.curves) < self.n_trials:
            parts.append(
                f"{len(self.curves)} of {self.n_trials} trials drawn (evenly spaced, and the best)"
            )
        if self.thinned:
            parts.append(f"at most {self.max_points} points a curve")
        return "; ".join(parts)


def select(ids: list[int], best: int | None, cap: int) -> list[int]:
    """At most ``cap`` of ``ids`` (sorted): all when they fit, else ``best`` and evenly
    spaced others (the first and last included), in order."""
    if len(ids) <= cap:
        return list(ids)
    rest = [i for i in ids if i != best]
    n = cap - (best is not None)
    picks = np.unique(np.linspace(0, len(rest) - 1, max(n, 1)).round().astype(int))
    chosen = {rest[i] for i in picks}
    if best is not None:
        chosen.add(best)
    return sorted(chosen)


def thin(k: int, cap: int) -> list[int]:
    """Indices of at most ``cap`` of ``k`` points, evenly spaced, first and last kept."""
    if k <= cap:
        return list(range(k))
    return [int(i) for i in np.unique(np.linspace(0, k - 1, cap).round().astype(int))]


__all__ = ["MAX_CURVES", "MAX_POINTS", "CurveData", "LearningCurve", "select", "thin"]
