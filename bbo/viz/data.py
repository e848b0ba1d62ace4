"""The numbers behind the plots, taken from a study once (no matplotlib here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bbo.space import Space
from bbo.space.outside import encode_stored
from bbo.study import Objective, Study, Trial, TrialState


@dataclass(frozen=True)
class PlotData:
    """Completed trials of a study as arrays.

    ``ids``: ``n`` trial ids (ask order); ``Y``: ``n x m`` objective values as told (not
    sign-flipped); ``X``: ``n x d`` index-view encoding in ``[0, 1]``; ``feasible``: ``n``
    booleans (every outcome constraint holds); ``failed_ids``: ids of FAILED and INFEASIBLE
    trials, drawn as marks on the history.
    """

    name: str
    space: Space
    objectives: tuple[Objective, ...]
    trials: tuple[Trial, ...]
    ids: np.ndarray
    Y: np.ndarray
    X: np.ndarray
    feasible: np.ndarray
    failed_ids: np.ndarray

    @classmethod
    def of(cls, study: Study) -> PlotData:
        done = [t for t in study.trials if t.state == TrialState.COMPLETED]
        done = study.as_current(done)  # params under the current space (an edited one)
        objs = study.objectives
        Y = np.array([[t.values[o.name] for o in objs] for t in done], dtype=float)
        X = encode_stored(study.space, [t.params for t in done]) if done else np.zeros((0, 0))
        failed = [
            t.id for t in study.trials if t.state in (TrialState.FAILED, TrialState.INFEASIBLE)
        ]
        return cls(
            name=study.name,
            space=study.space,
            objectives=objs,
            trials=tuple(done),
            ids=np.array([t.id for t in done], dtype=int),
            Y=Y.reshape(len(done), len(objs)),
            X=X,
            feasible=np.array([t.feasible(study.constraints) for t in done], dtype=bool),
            failed_ids=np.array(failed, dtype=int),
        )

    @property
    def n(self) -> int:
        return len(self.ids)

    def label(self, j: int = 0) -> str:
        o = self.objectives[j]
        return f"{o.name} ({o.direction})"

    def best_so_far(self, j: int = 0) -> np.ndarray:
        """Running best of objective ``j`` over feasible trials in id order (NaN before the
        first feasible one): ``n`` values."""
        s = self.objectives[j].sign
        y = np.where(self.feasible, s * self.Y[:, j], np.inf)
        run = np.minimum.accumulate(y) if len(y) else y
        return np.where(np.isfinite(run), s * run, np.nan)

    def best_index(self, j: int = 0) -> int | None:
        """Row of the best feasible trial for objective ``j``."""
        if not self.feasible.any():
            return None
        s = self.objectives[j].sign
        y = np.where(self.feasible, s * self.Y[:, j], np.inf)
        return int(np.argmin(y))

    def values_of(self, name: str) -> list[object]:
        """The ``name`` parameter of every completed trial (None where it is inactive)."""
        return [t.params.get(name) for t in self.trials]


__all__ = ["PlotData"]
