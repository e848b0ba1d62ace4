"""How many trials the runner asks for at a time, so that parallel workers do not wait.

The runner asks in a background thread while evaluations run, one ask at a time (a GP ask
can take longer than an evaluation). Whenever no ask is in progress it asks, as one batch
(the strategy sees the others as pending points), for every free worker slot, plus, with
several workers, the slot of each running evaluation expected to end before that ask
returns: one that started at ``s`` is expected to end at ``s + E`` and the ask at
``now + A``, where ``E`` is the median of this run's last 5 evaluation durations and ``A``
the mean of its last 3 ask durations but the first (which builds the strategy); an ask's
time changes as the strategy moves from its initial design to a model. Asks quicker than
:data:`AHEAD_MIN_S` are not made ahead (a free slot waits less than that). Asked trials
wait in a queue for a free slot, so a slow ask overlaps the evaluations instead of
following them. With one worker nothing is asked ahead: each ask sees every result before
it, exactly as without a background thread.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Sequence

_ASKS, _EVALS = 3, 5  # durations that the estimates look at
AHEAD_MIN_S = 0.05
"""Seconds an ask must take (on average) before slots are asked for ahead of time."""


class Pace:
    """The estimates of one run. Times are ``time.time()`` seconds."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._asks: deque[float] = deque(maxlen=_ASKS)
        self._evals: deque[float] = deque(maxlen=_EVALS)
        self._first = True

    def asked(self, seconds: float) -> None:
        """Record the duration of one ask (whatever its batch size)."""
        if self._first:  # imports and builds the strategy: not a typical ask
            self._first = False
            return
        self._asks.append(max(0.0, seconds))

    def evaluated(self, seconds: float) -> None:
        """Record the duration of one evaluation."""
        self._evals.append(max(0.0, seconds))

    def _ends(self, starts: Sequence[float]) -> list[float] | None:
        """When the running evaluations (started at ``starts``) should end, shifted back
        by an ask's duration; None while nothing is asked ahead."""
        if self.workers < 2 or not self._asks or not self._evals:
            return None
        ask, run = statistics.fmean(self._asks), statistics.median(self._evals)
        if ask < AHEAD_MIN_S:
            return None
        return [s + run - ask for s in starts]

    def slots(self, now: float, starts: Sequence[float], queued: int) -> int:
        """Trials to ask for at ``now``: free slots (``workers`` minus the running
        evaluations, started at ``starts``) and the slots expected to free up before the
        ask returns, minus the ``queued`` trials already waiting for one."""
        free = self.workers - len(starts)
        ends = self._ends(starts)
        if ends is not None:
            free += sum(e <= now for e in ends)
        return max(0, free - queued)

    def due(self, now: float, starts: Sequence[float]) -> float | None:
        """Seconds from ``now`` until :meth:`slots` next grows (None: not before a
        running evaluation ends)."""
        ends = self._ends(starts)
        later = [e - now for e in ends or () if e > now]
        return min(later) if later else None


__all__ = ["AHEAD_MIN_S", "Pace"]
