"""Queued points (issue 18): ``Study.enqueue``, the storage's queue on every backend, asks
handing queued points out first and once, durability, and the schema migration."""

from __future__ import annotations

import sqlite3
import threading

import pytest

import bbo
from bbo.exceptions import (
    ConcurrentUpdateError,
    InvalidArgumentError,
    InvalidParamsError,
    StudyNotFoundError,
)
from bbo.study.storage import NewTrial, open_storage
from bbo.study.storage.sql_schema import SCHEMA_VERSION
from bbo.trial import TrialState

SPEC = {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0, "log": False}}, "seed": 1}


def _space():
    return {
        "x": bbo.Float(0.0, 1.0),
        "n": bbo.Int(1, 5),
        "act": bbo.Categorical(["relu", "tanh"]),
    }


# -- the storage contract, on memory, SQLite and PostgreSQL -------------------------------------
def test_the_queue_keeps_points_in_order_and_an_ask_takes_them_once(storage_url):
    st = storage_url
    rec, _ = st.get_or_create_study("a", SPEC)
    first = st.enqueue(rec.id, [({"x": 0.1}, {}), ({"x": 0.2}, {"who": "me"})])
    assert [q.params for q in first] == [{"x": 0.1}, {"x": 0.2}]
    assert first[0].id < first[1].id and first[1].attrs == {"who": "me"}
    (third,) = st.enqueue(rec.id, [({"x": 0.3}, {})])
    assert st.get_queue(rec.id) == [*first, third]

    (t,) = st.create_trials(rec.id, [NewTrial({"x": 0.1}, queued=first[0].id)])
    assert t.id == 0 and t.params == {"x": 0.1}
    assert [q.params["x"] for q in st.get_queue(rec.id)] == [0.2, 0.3]
    # the same point again (a racing ask took it): nothing is written
    with pytest.raises(ConcurrentUpdateError, match="taken by another ask"):
        st.create_trials(
            rec.id,
            [NewTrial({"x": 0.2}, queued=first[1].id), NewTrial({"x": 0.1}, queued=first[0].id)],
        )
    assert st.count_trials(rec.id) == 1
    assert [q.params["x"] for q in st.get_queue(rec.id)] == [0.2, 0.3]


def test_queues_belong_to_their_study_and_go_with_it(storage_url):
    st = storage_url
    a, _ = st.get_or_create_study("a", SPEC)
    b, _ = st.get_or_create_study("b", SPEC)
    st.enqueue(a.id, [({"x": 0.1}, {})])
    assert st.get_queue(b.id) == []
    st.delete_study("a")
    again, created = st.get_or_create_study("a", SPEC)
    assert created and st.get_queue(again.id) == []
    with pytest.raises(StudyNotFoundError):
        st.get_queue(10_000)


# -- Study.enqueue -------------------------------------------------------------------------------
def test_queued_points_are_asked_first_in_order_then_the_strategy(tmp_path):
    study = bbo.Study(_space(), strategy="random", seed=0, storage=f"sqlite:///{tmp_path}/q.db")
    points = [{"x": 0.5, "n": 2, "act": "tanh"}, {"x": 0.25, "n": 3, "act": "relu"}]
    assert study.enqueue(points) == 2
    assert study.enqueue({"x": 1.0, "n": 5, "act": "relu"}, attrs={"why": "default"}) == 1
    assert study.queued_count == 3 and study.queued[0] == points[0]

    two = study.ask(2)
    assert [t.params for t in two] == points
    assert [t.attrs["source"] for t in two] == ["enqueued", "enqueued"]
    assert [t.state for t in two] == [TrialState.RUNNING] * 2
    nxt = study.ask(2)  # the last queued point, then a suggestion
    assert nxt[0].params == {"x": 1.0, "n": 5, "act": "relu"}
    assert nxt[0].attrs["why"] == "default" and nxt[0].attrs["source"] == "enqueued"
    assert nxt[1].attrs["source"] == "random"
    assert study.queued_count == 0 and study.queued == []
    study.tell(two[0], 0.3)
    assert study.trial(two[0].id).state == TrialState.COMPLETED


def test_values_are_stored_canonical_and_equal_points_are_skipped_on_request():
    study = bbo.Study(_space(), strategy="random", seed=0)
    assert study.enqueue({"x": 1, "n": 2.0, "act": "relu"}) == 1  # int x, integral n
    assert study.queued == [{"x": 1.0, "n": 2, "act": "relu"}]
    assert study.enqueue({"x": 1.0, "n": 2, "act": "relu"}, skip_if_exists=True) == 0
    t = study.ask()
    assert study.enqueue({"x": 1.0, "n": 2, "act": "relu"}, skip_if_exists=True) == 0  # a trial
    same = {"x": 0.5, "n": 1, "act": "tanh"}
    assert study.enqueue([same, same], skip_if_exists=True) == 1  # a repeat within the call
    assert study.enqueue(same) == 1  # without skip_if_exists a point may be queued again
    assert study.queued_count == 2
    assert t.params == {"x": 1.0, "n": 2, "act": "relu"}


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ({"x": 1.5, "n": 2, "act": "relu"}, "parameter 'x': value 1.5 is outside [0.0, 1.0]"),
        ({"x": 0.5, "n": 2.5, "act": "relu"}, "parameter 'n': value 2.5 must be an integer"),
        ({"x": 0.5, "n": 2, "act": "gelu"}, "parameter 'act': value 'gelu' is not one of"),
        ({"x": 0.5, "n": 2}, "missing parameter(s) ['act']"),
        ({"x": 0.5, "n": 2, "act": "relu", "y": 1}, "unknown parameter(s) ['y']"),
        ({"x": "a", "n": 2, "act": "relu"}, "parameter 'x': value 'a' must be a finite number"),
        (
            [{"x": 0.5, "n": 2, "act": "relu"}, {"x": 0.5, "n": 9, "act": "relu"}],
            "point 1: parameter 'n': value 9 is outside [1, 5]",
        ),
        ("x=1", "params must be a mapping name -> value or a list of them"),
    ],
)
def test_a_bad_point_is_refused_naming_the_parameter_and_nothing_is_queued(points, words):
    study = bbo.Study(_space(), strategy="random", seed=0)
    study.enqueue({"x": 0.1, "n": 1, "act": "relu"})
    with pytest.raises(InvalidParamsError) as err:
        study.enqueue(points)
    assert words in str(err.value) and str(err.value).startswith("enqueue: ")
    assert study.queued == [{"x": 0.1, "n": 1, "act": "relu"}]  # nothing lost, nothing added


def test_bad_options_of_enqueue_are_refused():
    study = bbo.Study(_space(), strategy="random", seed=0)
    point = {"x": 0.1, "n": 1, "act": "relu"}
    with pytest.raises(InvalidArgumentError, match="`skip_if_exists` must be true or false"):
        study.enqueue(point, skip_if_exists="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="`attrs` must hold only strings"):
        study.enqueue(point, attrs={"v": float("nan")})
    with pytest.raises(InvalidArgumentError, match="`request_id` must be a non-empty string"):
        study.enqueue(point, request_id="")
    assert study.queued_count == 0


def test_a_request_id_applies_an_enqueue_once_across_asks_and_reopening(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    study = bbo.Study(_space(), strategy="random", seed=0, storage=url, name="s")
    points = [{"x": 0.5, "n": 2, "act": "tanh"}, {"x": 0.75, "n": 4, "act": "relu"}]
    assert study.enqueue(points, request_id="a", attrs={"k": 1}) == 2
    assert study.enqueue(points, request_id="a") == 2 and study.queued_count == 2
    t = study.ask()
    assert (t.attrs["enqueue_request_id"], t.attrs["k"], t.attrs["source"]) == ("a", 1, "enqueued")
    study.abandon([t])  # its retry is a new trial of the same point: not counted twice
    study.storage.close()
    again = bbo.Study.load("s", url)
    assert again.ask().attrs["source"] == "retry"
    assert again.enqueue(points, request_id="a") == 2 and again.queued_count == 1
    assert again.enqueue(points[:1], request_id="b") == 1 and again.queued_count == 2


def test_the_queue_survives_reopening_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    study = bbo.Study(_space(), strategy="random", seed=0, storage=url, name="s")
    study.enqueue([{"x": 0.5, "n": 2, "act": "tanh"}, {"x": 0.75, "n": 4, "act": "relu"}])
    study.ask()
    study.storage.close()
    again = bbo.Study.load("s", url)
    assert again.queued == [{"x": 0.75, "n": 4, "act": "relu"}]
    t = again.ask()
    assert t.params == {"x": 0.75, "n": 4, "act": "relu"} and t.attrs["source"] == "enqueued"


def test_a_queued_point_after_a_suggestion_changes_the_next_ask(tmp_path):
    study = bbo.Study(_space(), strategy="sobol", seed=0, storage=f"sqlite:///{tmp_path}/q.db")
    study.ask()
    study.enqueue({"x": 0.125, "n": 1, "act": "relu"})
    assert study.ask().params == {"x": 0.125, "n": 1, "act": "relu"}


def test_two_workers_asking_at_once_never_get_the_same_queued_point(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    owner = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0, storage=url, name="s")
    points = [{"x": i / 40} for i in range(40)]
    owner.enqueue(points)
    studies = [bbo.Study.load("s", url) for _ in range(4)]  # four workers, own connections
    got: list[list[dict]] = [[] for _ in studies]
    barrier = threading.Barrier(len(studies))

    def work(i: int) -> None:
        barrier.wait()
        for _ in range(10):
            got[i] += [t.params for t in studies[i].ask(1)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(studies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handed = [p["x"] for ps in got for p in ps]
    assert sorted(handed) == sorted(p["x"] for p in points)  # each point once, none lost
    assert owner.queued_count == 0
    assert {t.attrs["source"] for t in owner.trials} == {"enqueued"}


def test_a_race_that_takes_the_point_first_makes_the_ask_propose_again():
    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0)
    study.enqueue([{"x": 0.25}, {"x": 0.5}])
    st, sid = study.storage, study._study_id
    real = st.get_queue
    raced = []

    def stale_queue(study_id: int):  # the ask reads the queue, another ask takes point 0
        out = real(study_id)
        if not raced:
            raced.append(st.create_trials(sid, [NewTrial({"x": 0.25}, queued=out[0].id)]))
        return out

    st.get_queue = stale_queue  # type: ignore[method-assign]
    t = study.ask()
    assert t.params == {"x": 0.5} and t.attrs["source"] == "enqueued"
    assert [x.params["x"] for x in study.trials] == [0.25, 0.5]


# -- an older database file ----------------------------------------------------------------------
def test_a_version_2_file_opens_migrated_with_its_trials_and_gets_a_queue(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    study = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=3, storage=url, name="s")
    for _ in range(3):
        t = study.ask()
        study.tell(t, t.params["x"] ** 2)
    before = study.trials
    study.storage.close()
    with sqlite3.connect(path) as db:  # what bbo wrote before queued points existed
        db.execute("DROP TABLE queue")
        db.execute("UPDATE bbo_meta SET value = '2' WHERE key = 'schema_version'")

    again = bbo.Study.load("s", url)
    assert again.trials == before
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM bbo_meta WHERE key = 'schema_version'").fetchone()
        version = row[0]
    assert int(version) == SCHEMA_VERSION >= 3
    assert again.enqueue({"x": 0.5}) == 1
    assert again.ask().params == {"x": 0.5}
    open_storage(url).close()
