"""Intermediate values: the storage contract on every backend, the schema migration of an
existing SQLite study file, and ``Study.report`` / ``should_prune`` / ``tell(pruned=True)``."""

from __future__ import annotations

import math
import sqlite3

import pytest

import bbo
from bbo.exceptions import (
    FailedPreconditionError,
    InvalidArgumentError,
    InvalidValueError,
    StorageError,
    TrialNotFoundError,
)
from bbo.pruners import MedianPruner, ThresholdPruner
from bbo.study.storage import NewTrial, TrialResult, open_storage
from bbo.study.storage.sql_schema import SCHEMA_VERSION
from bbo.trial import TrialState

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}


def _study(st, n: int = 2):
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [NewTrial(params={"x": i / 10}) for i in range(n)])
    return rec.id


# -- storage contract (memory, SQLite, PostgreSQL) ------------------------------------------
def test_reports_are_stored_in_step_order_per_trial(storage_url):
    st = storage_url
    sid = _study(st)
    st.add_report(sid, 1, 0, 0.9)
    st.add_report(sid, 0, 2, 0.5)
    st.add_report(sid, 0, 5, 0.25)
    mine = st.get_reports(sid, trial_id=0)
    assert [(r.trial, r.step, r.value) for r in mine] == [(0, 2, 0.5), (0, 5, 0.25)]
    every = st.get_reports(sid)
    assert [(r.trial, r.step) for r in every] == [(0, 2), (0, 5), (1, 0)]
    assert all(r.reported_at > 0 for r in every)
    # since: only reports stored after the given seq (trial 1's came first)
    first = st.get_reports(sid, trial_id=1)[0]
    assert [(r.trial, r.step) for r in st.get_reports(sid, since=first.seq)] == [(0, 2), (0, 5)]
    second = st.get_reports(sid, trial_id=0)[0]
    assert [(r.trial, r.step) for r in st.get_reports(sid, since=second.seq)] == [(0, 5)]
    assert st.get_reports(sid, since=max(r.seq for r in every)) == []


def test_a_repeated_report_is_idempotent_and_a_conflicting_one_refused(storage_url):
    st = storage_url
    sid = _study(st)
    a = st.add_report(sid, 0, 3, 0.5)
    assert st.add_report(sid, 0, 3, 0.5) == a  # a retried report: the stored one
    with pytest.raises(FailedPreconditionError, match=r"already reported 0\.5 at step 3"):
        st.add_report(sid, 0, 3, 0.6)
    with pytest.raises(FailedPreconditionError, match=r"must not go backwards.*got step=2"):
        st.add_report(sid, 0, 2, 0.4)
    assert [(r.step, r.value) for r in st.get_reports(sid)] == [(3, 0.5)]  # nothing lost


def test_reports_after_a_trial_finished_are_refused(storage_url):
    st = storage_url
    sid = _study(st)
    st.add_report(sid, 0, 1, 0.5)
    st.finish_trial(sid, 0, TrialResult(TrialState.COMPLETED, {"value": 0.4}, 0.4))
    with pytest.raises(FailedPreconditionError, match="already COMPLETED"):
        st.add_report(sid, 0, 2, 0.3)
    assert st.add_report(sid, 0, 1, 0.5).value == 0.5  # a retry of a stored report still is
    with pytest.raises(TrialNotFoundError):
        st.add_report(sid, 7, 0, 0.1)
    assert len(st.get_reports(sid)) == 1


def test_pruned_trials_are_finished_and_deleting_a_study_drops_its_reports(storage_url):
    st = storage_url
    sid = _study(st)
    st.add_report(sid, 0, 1, 0.7)
    done = st.finish_trial(sid, 0, TrialResult(TrialState.PRUNED, {"value": 0.7}, 0.7))
    assert done.state == TrialState.PRUNED and done.state.finished and done.value == 0.7
    assert st.get_trials(sid, states=[TrialState.PRUNED]) == [done]
    st.delete_study("a")
    rec, created = st.get_or_create_study("a", SPEC)
    assert created and st.get_reports(rec.id) == []


# -- migration of an existing SQLite file ------------------------------------------------------
def _downgrade_to_v1(path) -> None:
    """Make ``path`` what bbo wrote before reports existed: no ``reports`` table, version 1."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE reports")
        db.execute("UPDATE bbo_meta SET value = '1' WHERE key = 'schema_version'")


def test_a_version_1_study_file_opens_migrated_with_nothing_lost(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=3, storage=url, name="s")
    for _ in range(3):
        t = study.ask()
        study.tell(t, t.params["x"] ** 2)
    running = study.ask()
    before = study.trials
    study.storage.close()
    _downgrade_to_v1(path)
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "reports" not in tables

    again = bbo.Study.load("s", url)
    assert again.trials == before  # every trial as it was
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM bbo_meta WHERE key = 'schema_version'").fetchone()
        version = row[0]
    assert int(version) == SCHEMA_VERSION
    assert again.report(running, 0.5, 1) is False  # the new table works
    assert [(r.trial, r.step, r.value) for r in again.reports()] == [(running.id, 1, 0.5)]
    again.tell(running, 0.25)
    assert again.trial(running.id).state == TrialState.COMPLETED


def test_a_newer_schema_is_still_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_storage(url).close()
    with sqlite3.connect(tmp_path / "new.db") as db:
        db.execute("UPDATE bbo_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError, match="schema version 99, newer than this bbo"):
        open_storage(url)


# -- Study.report / should_prune / tell(pruned=True) ------------------------------------------
def _space():
    return {"x": bbo.Float(0.0, 1.0)}


def test_trial_report_and_should_prune_through_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = bbo.Study(
        _space(), strategy="random", seed=0, storage=url, pruner=ThresholdPruner(upper=1.0)
    )
    t = study.ask()
    assert t.study is study
    assert t.report(0.8, 0) is False and t.should_prune() is False
    assert t.report(1.5, 1) is True and t.should_prune() is True
    assert study.should_prune(t.id) is True
    told = study.tell(t, pruned=True)
    assert told.state == TrialState.PRUNED and told.value == 1.5
    assert told.values == {"value": 1.5}
    assert study.tell(t, pruned=True) == told  # idempotent, like any tell
    # a trial read back from storage is not bound: report through the study
    stored = study.trial(t.id)
    assert stored.study is None and stored == told
    with pytest.raises(InvalidArgumentError, match="not bound to a study"):
        stored.report(0.1, 5)


def test_pruned_without_reports_has_no_value_and_is_not_best():
    study = bbo.Study(_space(), strategy="random", seed=0)
    a, b = study.ask(2)
    told = study.tell(a, pruned=True, reason="too slow")
    assert told.state == TrialState.PRUNED and told.value is None and told.values == {}
    assert told.reason == "too slow"
    assert study.best is None  # PRUNED is no COMPLETED result
    study.tell(b, 0.3)
    assert study.best.id == b.id


def test_report_bad_input_names_the_rule_and_stores_nothing():
    study = bbo.Study(_space(), strategy="random", seed=0, pruner="median")
    t = study.ask()
    t.report(0.5, 2)
    for value, step, err, msg in [
        (math.nan, 3, InvalidValueError, "must be finite, got nan"),
        (math.inf, 3, InvalidValueError, "must be finite"),
        ("0.1", 3, InvalidValueError, "must be a number"),
        (0.1, -1, InvalidArgumentError, "`step` must be an integer >= 0, got -1"),
        (0.1, 2.5, InvalidArgumentError, "`step` must be an integer >= 0"),
        (0.1, 1, FailedPreconditionError, "must not go backwards"),
        (0.4, 2, FailedPreconditionError, "different value"),
    ]:
        with pytest.raises(err, match=msg):
            study.report(t, value, step)
    with pytest.raises(TrialNotFoundError):
        study.report(99, 0.1, 0)
    with pytest.raises(TrialNotFoundError):
        study.should_prune(99)
    study.tell(t, 0.2)
    with pytest.raises(FailedPreconditionError, match="already COMPLETED"):
        t.report(0.1, 3)
    with pytest.raises(InvalidArgumentError, match="exactly one of"):
        study.tell(study.ask(), 0.1, pruned=True)
    assert [(r.step, r.value) for r in study.reports(t)] == [(2, 0.5)]


def test_median_pruning_through_the_study_and_numpy_values():
    np = pytest.importorskip("numpy")
    study = bbo.Study(
        _space(), strategy="random", seed=1, pruner={"name": "median", "n_startup_trials": 2}
    )
    for v in (0.2, 0.4):
        t = study.ask()
        t.report(np.float64(v), 0)
        study.tell(t, v)
    t = study.ask()
    # median at step 0 of the completed trials: 0.3
    assert t.report(np.float32(0.35), 0) is True
    study.tell(t, pruned=True)
    t = study.ask()
    assert t.report(0.25, 0) is False
    assert sum(tr.state.finished for tr in study.trials) == 3


def test_the_pruner_is_stored_and_a_reopened_study_prunes_the_same_way(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = {"name": "asha", "reduction_factor": 3}
    study = bbo.Study(_space(), strategy="random", seed=0, storage=url, name="n", pruner=spec)
    stored = study.storage.get_study("n").spec["pruner"]
    assert stored["name"] == "asha" and stored["reduction_factor"] == 3
    assert bbo.Study.load("n", url).pruner == study.pruner
    # reopening without a pruner keeps it; with another one replaces it
    assert bbo.Study(_space(), strategy="random", storage=url, name="n").pruner == study.pruner
    other = bbo.Study(_space(), strategy="random", storage=url, name="n", pruner="median")
    assert other.pruner == MedianPruner()
    assert bbo.Study.load("n", url).pruner == MedianPruner()


def test_a_study_without_pruner_stores_reports_and_never_prunes():
    study = bbo.Study(_space(), strategy="random", seed=0)
    assert study.pruner is None and "pruner" not in study.spec.to_dict()
    t = study.ask()
    assert t.report(1e9, 0) is False and t.should_prune() is False
    assert len(study.reports()) == 1


def test_bad_pruner_arguments():
    with pytest.raises(InvalidArgumentError, match=r"`pruner\.name` must be one of"):
        bbo.Study(_space(), pruner="sha")
    with pytest.raises(InvalidArgumentError, match="has no option"):
        bbo.Study(_space(), pruner={"name": "median", "warmup": 3})


def test_a_bound_trial_pickles_and_compares_without_its_study():
    import pickle

    study = bbo.Study(_space(), strategy="random", seed=0)
    t = study.ask()
    back = pickle.loads(pickle.dumps(t))
    assert back == t == study.trial(t.id) and back.study is None
    assert "study" not in repr(t)


def test_model_use_predicted_reads_the_reports_for_the_strategy():
    """Under ``pruned="predicted"`` the study passes every trial's reports, and the model
    sees a pruned trial at its curve's predicted final value: the completed curve fell by
    1 from step 1 to step 3, so the one pruned at step 1 (no drop yet) gets that offset."""
    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0)
    study._pruned_use = "predicted"
    done, cut = study.ask(), study.ask()
    done.report(2.0, step=1)
    done.report(1.0, step=3)
    study.tell(done, 1.0)
    cut.report(5.0, step=1)
    study.tell(cut, pruned=True)
    seen = []
    suggest = study._strategy.suggest
    study._strategy.suggest = lambda n, h: seen.append(h) or suggest(n, h)
    study.ask()
    (h,) = seen
    assert h.pruned == "predicted" and h.reports == {0: {1: 2.0, 3: 1.0}, 1: {1: 5.0}}
    assert [(t.id, t.value) for t in h.completed] == [(0, 1.0), (1, 4.0)]
