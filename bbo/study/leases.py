"""Which RUNNING trials to abandon: their lease expired, or their process on this host died.

A trial asked with a ``client_id`` belongs to a remote worker and is governed by its lease
alone; a trial asked by a local process carries ``attrs["worker"]`` (``host:pid:start``)
and is reclaimed at once when that process is gone (:mod:`bbo.study.workers`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bbo.study.tells import trial_id
from bbo.study.workers import worker_alive
from bbo.trial import Trial, TrialState

if TYPE_CHECKING:
    from bbo.study.storage import Storage


def stale(trials: Sequence[Trial], me: str, now: float) -> dict[int, str]:
    """``trial id -> reason`` for the RUNNING ``trials`` to abandon (``me``: this process's
    worker, alive by definition). One liveness check per distinct worker."""
    out: dict[int, str] = {}
    alive: dict[str, bool | None] = {me: True}
    for t in trials:
        if t.state != TrialState.RUNNING:
            continue
        if t.lease_expires_at is not None and t.lease_expires_at < now:
            out[t.id] = "lease expired"
        elif "worker" in t.attrs:
            worker = str(t.attrs["worker"])
            if worker not in alive:
                alive[worker] = worker_alive(worker)
            if alive[worker] is False:
                out[t.id] = f"worker {worker} is gone"
    return out


class Leasing:
    """The lease methods of :class:`bbo.Study` (a mixin over its storage and worker)."""

    _storage: Storage
    _study_id: int
    worker: str

    def heartbeat(self, trials: Sequence[Trial | int], lease: float) -> int:
        """Extend the lease of RUNNING ``trials`` to ``lease`` seconds from now."""
        ids = [trial_id(t) for t in trials]
        return self._storage.heartbeat(self._study_id, ids, time.time() + lease)

    def abandon(self, trials: Sequence[Trial | int], reason: str = "abandoned") -> list[Trial]:
        """Give RUNNING trials up; their points are offered again by the next ask."""
        ids = [trial_id(t) for t in trials]
        return self._storage.abandon_trials(self._study_id, ids, reason)

    def abandon_stale(self) -> list[Trial]:
        """Abandon RUNNING trials whose lease expired or whose process on this host died."""
        running = self._storage.get_trials(self._study_id, states=[TrialState.RUNNING])
        return self._abandon(self._stale(running))

    def _stale(self, trials: Sequence[Trial]) -> dict[int, str]:
        """RUNNING ``trials`` to abandon, with the reason: lease expired, or worker gone."""
        return stale(trials, self.worker, time.time())

    def _abandon(self, stale: dict[int, str]) -> list[Trial]:
        out: list[Trial] = []
        for reason in sorted(set(stale.values())):
            ids = [i for i, r in stale.items() if r == reason]
            out += self._storage.abandon_trials(self._study_id, ids, reason)
        return out
