"""Which RUNNING trials to abandon: their lease expired, or their process on this host died.

A trial asked with a ``client_id`` belongs to a remote worker and is governed by its lease
alone; a trial asked by a local process carries ``attrs["worker"]`` (``host:pid:start``)
and is reclaimed at once when that process is gone (:mod:`bbo.study.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bbo.study.workers import worker_alive
from bbo.trial import Trial, TrialState


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
