"""The trial cache of an ask (bbo.study.cache): what it re-reads, and its count of PRUNED
trials, which spares every ask a scan of the whole study."""

from __future__ import annotations

import pytest

import bbo
from bbo.study.cache import TrialCache
from bbo.trial import TrialState


def test_the_cache_counts_pruned_trials_when_they_are_created_or_finish() -> None:
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, strategy="random", seed=0, pruner="median")
    first, second, third = study.ask(3)
    study.report(first, 1.0, 0)
    study.tell(first, pruned=True)
    study.tell(second, 0.5)
    storage, sid = study.storage, study.storage.get_study(study.name).id
    cache = TrialCache()
    trials, open_ = cache.read(storage, sid)
    assert [t.state for t in trials] == [
        TrialState.PRUNED,
        TrialState.COMPLETED,
        TrialState.RUNNING,
    ]
    assert cache.pruned == 1 and [t.id for t in open_] == [third.id]
    study.report(third, 2.0, 0)
    study.tell(third, pruned=True)  # an open trial that becomes PRUNED
    cache.read(storage, sid)
    assert cache.pruned == 2
    cache.read(storage, sid)  # nothing new: counted once
    assert cache.pruned == 2


class _Counting:
    """A storage whose get_trials counts the trials it returns (decoded rows)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.rows = inner, 0

    def get_trials(self, study_id, **kw):  # type: ignore[no-untyped-def]
        got = self.inner.get_trials(study_id, **kw)
        self.rows += len(got)
        return got


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_abandoned_trials_are_not_read_again_until_a_late_tell(tmp_path, storage) -> None:
    from bbo.study.storage import TrialResult, open_storage

    url = None if storage == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, strategy="random", seed=0, storage=url and open_storage(url))
    trials = study.ask(60)
    st, sid = study.storage, study.storage.get_study(study.name).id
    st.abandon_trials(sid, [t.id for t in trials[:50]], "worker gone")
    study.tell(trials[55], 1.0)
    counting = _Counting(st)
    cache = TrialCache()
    _, open_ = cache.read(counting, sid)  # type: ignore[arg-type]
    assert len(open_) == 59 and counting.rows == 60
    counting.rows = 0
    _, open_ = cache.read(counting, sid)  # type: ignore[arg-type]
    assert counting.rows == 9  # the 9 RUNNING trials, not the 50 ABANDONED ones
    # a late tell of an ABANDONED trial and a RUNNING trial abandoned: both seen
    st.finish_trials(sid, [(trials[3].id, TrialResult(TrialState.COMPLETED, {"y": 2.0}, 2.0))])
    st.abandon_trials(sid, [trials[50].id], "worker gone")
    counting.rows = 0
    every, open_ = cache.read(counting, sid)  # type: ignore[arg-type]
    assert counting.rows == 9 + 1  # the RUNNING ones as they are now, and the told one
    assert every[trials[3].id].state == TrialState.COMPLETED and every[trials[3].id].value == 2.0
    assert every[trials[50].id].state == TrialState.ABANDONED
    assert trials[3].id not in {t.id for t in open_} and len(open_) == 58
    assert every == st.get_trials(sid)  # the cache holds what the storage holds
