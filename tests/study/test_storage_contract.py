"""The storage contract, run against every backend (tests/conftest.py: BACKENDS)."""

from __future__ import annotations

import pytest

from bbo.exceptions import (
    ConcurrentUpdateError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.study.storage import NewTrial, Storage, TrialResult, open_storage
from bbo.trial import TrialState

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}


@pytest.fixture
def st(storage_url) -> Storage:
    return storage_url


def _new(x: float, **kw) -> NewTrial:
    return NewTrial(params={"x": x}, attrs={"source": "test"}, **kw)


def test_get_or_create_study(st):
    rec, created = st.get_or_create_study("a", SPEC)
    assert created and rec.name == "a" and rec.spec == SPEC
    again, created2 = st.get_or_create_study("a", {"other": 1})
    assert not created2 and again.id == rec.id and again.spec == SPEC
    assert st.get_study("a") == again
    st.get_or_create_study("b", SPEC)
    assert [r.name for r in st.list_studies()] == ["a", "b"]


def test_missing_and_deleted_studies(st):
    with pytest.raises(StudyNotFoundError, match="no study named 'nope'"):
        st.get_study("nope")
    with pytest.raises(StudyNotFoundError):
        st.delete_study("nope")
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [_new(0.1)])
    st.delete_study("a")
    with pytest.raises(StudyNotFoundError):
        st.get_study("a")
    rec2, created = st.get_or_create_study("a", SPEC)
    assert created and st.count_trials(rec2.id) == 0


def test_update_spec(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    st.update_study_spec(rec.id, {**SPEC, "seed": 2})
    assert st.get_study("a").spec["seed"] == 2


def test_trials_are_numbered_in_order(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    first = st.create_trials(rec.id, [_new(0.1), _new(0.2)])
    second = st.create_trials(rec.id, [_new(0.3)], expected_count=2)
    assert [t.id for t in first + second] == [0, 1, 2]
    assert [t.params["x"] for t in st.get_trials(rec.id)] == [0.1, 0.2, 0.3]
    assert all(t.state == TrialState.RUNNING and t.created_at > 0 for t in first)
    assert st.create_trials(rec.id, []) == []
    assert st.count_trials(rec.id) == 3


def test_expected_count_detects_concurrent_writers(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [_new(0.1)])
    with pytest.raises(ConcurrentUpdateError, match="expected 0 trials, found 1"):
        st.create_trials(rec.id, [_new(0.2)], expected_count=0)
    assert st.count_trials(rec.id) == 1


def test_studies_do_not_share_trials(st):
    a, _ = st.get_or_create_study("a", SPEC)
    b, _ = st.get_or_create_study("b", SPEC)
    st.create_trials(a.id, [_new(0.1)])
    (tb,) = st.create_trials(b.id, [_new(0.9)])
    assert tb.id == 0 and st.get_trial(b.id, 0).params == {"x": 0.9}
    assert st.count_trials(a.id) == 1


def test_finish_is_compare_and_set_and_idempotent(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    (t,) = st.create_trials(rec.id, [_new(0.1)])
    res = TrialResult(TrialState.COMPLETED, values={"value": 1.5}, value=1.5, attrs={"note": "x"})
    done = st.finish_trial(rec.id, t.id, res)
    assert done.state == TrialState.COMPLETED and done.value == 1.5
    assert done.values == {"value": 1.5} and done.finished_at is not None
    assert done.attrs == {"source": "test", "note": "x"}  # merged
    again = st.finish_trial(rec.id, t.id, res)  # a retried identical tell
    assert again == done
    with pytest.raises(TrialFinishedError, match="already COMPLETED with a different result"):
        st.finish_trial(rec.id, t.id, TrialResult(TrialState.COMPLETED, {"value": 2.0}, 2.0))
    with pytest.raises(TrialFinishedError):
        st.finish_trial(rec.id, t.id, TrialResult(TrialState.FAILED, reason="boom"))
    assert st.get_trial(rec.id, t.id) == done


def test_finish_trials_is_one_group_where_each_item_stands_alone(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    ts = st.create_trials(rec.id, [_new(0.1), _new(0.2), _new(0.3)])
    one = TrialResult(TrialState.COMPLETED, {"value": 1.0}, 1.0)
    two = TrialResult(TrialState.COMPLETED, {"value": 2.0}, 2.0, samples=(1.5, 2.5))
    st.finish_trial(rec.id, ts[2].id, one)  # already finished before the group
    out = st.finish_trials(
        rec.id,
        [
            (ts[0].id, one),
            (99, one),  # unknown
            (ts[1].id, two),
            (ts[0].id, one),  # told twice in the group, same result: idempotent
            (ts[1].id, one),  # told twice, another result: refused
            (ts[2].id, two),  # finished earlier with another result: refused
        ],
    )
    assert [type(o).__name__ for o in out] == [
        "Trial",
        "TrialNotFoundError",
        "Trial",
        "Trial",
        "TrialFinishedError",
        "TrialFinishedError",
    ]
    assert out[0] == out[3] == st.get_trial(rec.id, ts[0].id)
    assert out[0].value == 1.0 and out[0].state == TrialState.COMPLETED
    assert out[2].samples == (1.5, 2.5) and st.get_trial(rec.id, ts[1].id).value == 2.0
    assert st.get_trial(rec.id, ts[2].id).value == 1.0  # the refusal wrote nothing
    assert st.finish_trials(rec.id, []) == []


def test_samples_round_trip(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    (t,) = st.create_trials(rec.id, [_new(0.1)])
    res = TrialResult(TrialState.COMPLETED, {"value": 2.0}, 2.0, samples=(1.0, 2.0, 3.0))
    assert st.finish_trial(rec.id, t.id, res).samples == (1.0, 2.0, 3.0)
    assert st.get_trial(rec.id, t.id).samples == (1.0, 2.0, 3.0)


def test_unknown_trial(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    with pytest.raises(TrialNotFoundError, match="no trial 7"):
        st.get_trial(rec.id, 7)
    with pytest.raises(TrialNotFoundError):
        st.finish_trial(rec.id, 7, TrialResult(TrialState.FAILED))


def test_get_trials_filters(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [_new(i / 10) for i in range(6)])
    st.finish_trial(rec.id, 1, TrialResult(TrialState.FAILED, reason="x"))
    st.finish_trial(rec.id, 4, TrialResult(TrialState.COMPLETED, {"value": 0.0}, 0.0))
    assert [t.id for t in st.get_trials(rec.id, states=[TrialState.RUNNING])] == [0, 2, 3, 5]
    assert [t.id for t in st.get_trials(rec.id, since=2)] == [3, 4, 5]
    assert [t.id for t in st.get_trials(rec.id, since=0, limit=2)] == [1, 2]
    got = st.get_trials(rec.id, states=[TrialState.FAILED, TrialState.COMPLETED])
    assert [(t.id, t.state) for t in got] == [(1, TrialState.FAILED), (4, TrialState.COMPLETED)]
    running = [TrialState.RUNNING]
    assert [t.id for t in st.get_trials(rec.id, states=running, since=2, limit=1)] == [3]
    assert [t.id for t in st.get_trials(rec.id, states=running, limit=3)] == [0, 2, 3]
    assert st.get_trials(rec.id, since=5) == [] and st.get_trials(rec.id, since=-7)[0].id == 0
    everything = st.get_trials(rec.id)
    everything.clear()  # the caller's list: the storage is not changed through it
    assert len(st.get_trials(rec.id)) == 6


def test_leases_and_abandon(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    st.create_trials(rec.id, [_new(0.1, lease_expires_at=10.0), _new(0.2), _new(0.3)])
    st.finish_trial(rec.id, 2, TrialResult(TrialState.FAILED))
    assert st.heartbeat(rec.id, [0, 2, 9], 99.0) == 1  # only RUNNING trials
    assert st.get_trial(rec.id, 0).lease_expires_at == 99.0
    gone = st.abandon_trials(rec.id, [0, 2], "lease expired")
    assert [(t.id, t.state, t.reason) for t in gone] == [(0, TrialState.ABANDONED, "lease expired")]
    assert st.abandon_trials(rec.id, [0], "again") == []
    # a late result for an abandoned trial is still recorded
    late = st.finish_trial(rec.id, 0, TrialResult(TrialState.COMPLETED, {"value": 1.0}, 1.0))
    assert late.state == TrialState.COMPLETED


def test_sqlite_persists_across_connections(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    a = open_storage(url)
    rec, _ = a.get_or_create_study("a", SPEC)
    a.create_trials(rec.id, [_new(0.5, retry_of=None, client_id="c1")])
    a.finish_trial(rec.id, 0, TrialResult(TrialState.COMPLETED, {"value": 3.0, "m": 1.0}, 3.0))
    a.close()
    b = open_storage(url)
    (t,) = b.get_trials(b.get_study("a").id)
    assert (t.params, t.values, t.value, t.client_id) == (
        {"x": 0.5},
        {"value": 3.0, "m": 1.0},
        3.0,
        "c1",
    )


def test_sqlite_uses_wal(tmp_path):
    import sqlite3

    open_storage(f"sqlite:///{tmp_path / 'w.db'}").get_or_create_study("a", SPEC)
    mode = sqlite3.connect(tmp_path / "w.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("nosuchscheme://x", "unsupported scheme 'nosuchscheme'"),
        ("study.db", "is malformed"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        (42, "is malformed"),
    ],
)
def test_bad_urls(url, needle):
    from bbo.exceptions import StorageError

    with pytest.raises(StorageError) as e:
        open_storage(url)
    assert needle in str(e.value)


def test_strategy_state_is_written_with_the_trials(st):
    rec, _ = st.get_or_create_study("a", SPEC)
    assert st.get_study_by_id(rec.id).strategy_state is None
    st.create_trials(rec.id, [_new(0.1)], strategy_state={"gen": 1, "mean": [0.5]})
    assert st.get_study("a").strategy_state == {"gen": 1, "mean": [0.5]}
    with pytest.raises(ConcurrentUpdateError):
        st.create_trials(rec.id, [_new(0.2)], expected_count=0, strategy_state={"gen": 2})
    assert st.get_study_by_id(rec.id).strategy_state == {"gen": 1, "mean": [0.5]}
    st.create_trials(rec.id, [_new(0.3)])  # no state given: kept
    assert st.get_study("a").strategy_state["gen"] == 1
    with pytest.raises(StudyNotFoundError):
        st.get_study_by_id(999)
