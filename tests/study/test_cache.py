"""The trial cache of an ask (bbo.study.cache): what it re-reads, and its count of PRUNED
trials, which spares every ask a scan of the whole study."""

from __future__ import annotations

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
