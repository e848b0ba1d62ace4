"""What an ask reads of a study's trials: only new ones and those not yet final.

COMPLETED, FAILED, INFEASIBLE and PRUNED trials never change, so they are cached by id.
RUNNING ones (their leases, their workers) are re-read at each ask, with the trials created
since the last one. An ABANDONED trial changes only by a late tell, which makes it final:
an ask asks the storage for those of its ABANDONED ids that are final now (an index probe
per id, nothing decoded unless one was told). An early ABANDONED or long-RUNNING trial thus
never makes an ask re-read every later trial, and a study with many ABANDONED trials does
not decode them all at every ask.
"""

from __future__ import annotations

from collections.abc import Sequence

from bbo.study.storage import Storage
from bbo.trial import Trial, TrialState

_CHUNK = 500  # ids per query (SQLite's limit on a statement's parameters is 32,766)
_FINAL = [s for s in TrialState if s.finished]


class TrialCache:
    """The trials of one study as last read, for :meth:`Study.ask_many`."""

    def __init__(self) -> None:
        self._trials: list[Trial] = []  # trials 0..k-1, as last read
        self._open: set[int] = set()  # ids among them not yet final: re-read at each ask
        self.retried: set[int] = set()  # ids that a trial's ``retry_of`` names
        self.pruned = 0  # PRUNED trials among them (final: the count only grows)

    def read(self, storage: Storage, study_id: int) -> tuple[list[Trial], list[Trial]]:
        """Every trial of the study in id order, and the RUNNING or ABANDONED ones (every
        retry of an ABANDONED trial that is not final is among them)."""
        cache, open_ = self._trials, self._open
        fresh = storage.get_trials(study_id, since=len(cache) - 1)
        if open_:
            running = sorted(i for i in open_ if cache[i].state == TrialState.RUNNING)
            abandoned = sorted(open_.difference(running))
            changed = [  # RUNNING ones as they are now; ABANDONED ones only once final
                *_by_ids(storage, study_id, running),
                *_by_ids(storage, study_id, abandoned, _FINAL),
            ]
            for t in changed:
                cache[t.id] = t
                if t.state.finished:
                    open_.discard(t.id)
                    self.pruned += t.state == TrialState.PRUNED
        for t in fresh:
            if t.id == len(cache):
                cache.append(t)
                if not t.state.finished:
                    open_.add(t.id)
                self.pruned += t.state == TrialState.PRUNED
                if t.retry_of is not None:
                    self.retried.add(t.retry_of)
        return list(cache), [cache[i] for i in sorted(open_)]


def _by_ids(
    storage: Storage, study_id: int, ids: list[int], states: Sequence[TrialState] | None = None
) -> list[Trial]:
    """The trials ``ids`` (in any state, or only those now in ``states``), a few hundred ids
    per query."""
    out: list[Trial] = []
    for k in range(0, len(ids), _CHUNK):
        out += storage.get_trials(study_id, numbers=ids[k : k + _CHUNK], states=states)
    return out
