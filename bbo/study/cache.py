"""What an ask reads of a study's trials: only new ones and those not yet final.

COMPLETED, FAILED and INFEASIBLE trials never change, so they are cached by id; RUNNING and
ABANDONED ones (an abandoned trial may still get a late tell) are re-read at each ask,
with the trials created since the last one. An early ABANDONED or long-RUNNING trial thus
costs one row per ask, never a re-read of every later trial.
"""

from __future__ import annotations

from bbo.study.storage import Storage
from bbo.trial import Trial, TrialState

_GAP = 16  # ids of finished trials closer than this are read as one range


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
        seen = len(cache)
        fresh = storage.get_trials(study_id, since=seen - 1)
        if open_:
            now_open = storage.get_trials(
                study_id, states=[TrialState.RUNNING, TrialState.ABANDONED], since=min(open_) - 1
            )
            still = {t.id: t for t in now_open if t.id < seen}
            done = sorted(i for i in open_ if i not in still)  # finished since the last read
            for t in [*still.values(), *_read_ids(storage, study_id, done)]:
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


def _read_ids(storage: Storage, study_id: int, ids: list[int]) -> list[Trial]:
    """The trials ``ids`` (sorted), read as a few id ranges rather than one by one."""
    out: list[Trial] = []
    start = 0
    for k in range(1, len(ids) + 1):
        if k == len(ids) or ids[k] - ids[k - 1] > _GAP:  # a gap: the end of a range
            lo, hi = ids[start], ids[k - 1]
            wanted = set(ids[start:k])
            got = storage.get_trials(study_id, since=lo - 1, limit=hi - lo + 1)
            out += [t for t in got if t.id in wanted]
            start = k
    return out
