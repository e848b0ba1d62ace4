"""Study ask/tell behaviour, on every storage backend where it matters."""

from __future__ import annotations

import math
import time

import pytest

import bbo
from bbo.exceptions import (
    InvalidArgumentError,
    InvalidParamsError,
    InvalidValueError,
    StudyConflictError,
    TrialFinishedError,
    TrialNotFoundError,
)
from bbo.space import params_key
from bbo.strategies import STRATEGY_NAMES

SPACE = bbo.Space(
    {
        "x": bbo.Float(-5.0, 10.0),
        "lr": bbo.Float(1e-5, 1e-1, log=True),
        "layers": bbo.Int(1, 8),
        "act": bbo.Categorical(["relu", "tanh", "gelu"]),
    }
)


def test_ask_one_and_many(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url, name="s")
    t = study.ask()
    assert isinstance(t, bbo.Trial) and t.id == 0 and t.state == bbo.TrialState.RUNNING
    assert SPACE.contains(t.params) and t.attrs["source"] == "sobol"
    batch = study.ask(4)
    assert [b.id for b in batch] == [1, 2, 3, 4]
    keys = {params_key(b.params) for b in [t, *batch]}
    assert len(keys) == 5
    assert isinstance(t.params["layers"], int) and isinstance(t.params["act"], str)


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "3"])
def test_ask_rejects_bad_n(n):
    with pytest.raises(InvalidArgumentError, match="`n >= 1` must hold"):
        bbo.Study(SPACE, seed=0).ask(n)


def test_tell_forms(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    a, b, c, d, e = study.ask(5)
    assert study.tell(a, 0.37).value == 0.37
    assert study.tell(b.id, {"value": 0.2, "latency": 13.0}).values == {
        "value": 0.2,
        "latency": 13.0,
    }
    told = study.tell(c, samples=[0.31, 0.35, 0.29])
    assert told.samples == (0.31, 0.35, 0.29) and told.value == pytest.approx(0.95 / 3)
    f = study.tell(d, failed=True, reason="segfault")
    assert (f.state, f.reason, f.value) == (bbo.TrialState.FAILED, "segfault", None)
    assert study.tell(e, infeasible=True).state == bbo.TrialState.INFEASIBLE
    assert study.best.id == b.id
    states = [t.state.value for t in study.trials]
    assert states == ["COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "INFEASIBLE"]


def test_retried_identical_tell_is_idempotent(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    t = study.ask()
    first = study.tell(t, 1.25)
    assert study.tell(t, 1.25) == first
    assert study.tell(t.id, {"value": 1.25}) == first
    f = study.ask()
    failed = study.tell(f, failed=True, reason="a")
    assert study.tell(f, failed=True, reason="b") == failed  # same result, reason kept
    with pytest.raises(TrialFinishedError):
        study.tell(t, 1.5)
    with pytest.raises(TrialFinishedError):
        study.tell(t, failed=True)
    assert study.trial(t.id) == first  # nothing changed


def test_tell_many_answers_each_tell_as_tell_would(storage_url):
    from bbo.study.study import TellRequest

    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    a, b, c = study.ask(3)
    out = study.tell_many(
        [
            TellRequest(a, 1.0, request_id="r1"),
            TellRequest(b, float("nan")),  # invalid: fails alone
            TellRequest(a, 2.0, request_id="r1"),  # a retry of r1 carrying another value
            TellRequest(c, samples=[0.5, 1.5]),
            TellRequest(a, 3.0),  # a conflicting second tell
            TellRequest(42, 1.0),  # unknown trial
        ]
    )
    kinds = [type(o).__name__ for o in out]
    assert kinds == [
        "Trial",
        "InvalidValueError",
        "Trial",
        "Trial",
        "TrialFinishedError",
        "TrialNotFoundError",
    ]
    assert out[0] == out[2] == study.trial(a.id) and out[0].value == 1.0
    assert out[3].value == 1.0 and out[3].samples == (0.5, 1.5)
    assert study.trial(b.id).state == bbo.TrialState.RUNNING  # the bad tell changed nothing
    assert "metric 'value' must be finite" in str(out[1])


@pytest.mark.parametrize(
    ("kwargs", "exc", "needle"),
    [
        ({"value": float("nan")}, InvalidValueError, "metric 'value' must be finite, got nan"),
        ({"value": float("inf")}, InvalidValueError, "must be finite, got inf"),
        ({"value": "1.0"}, InvalidValueError, "must be a number, got '1.0'"),
        ({"value": True}, InvalidValueError, "must be a number"),
        ({"value": {"value": 1.0, "lat": math.nan}}, InvalidValueError, "metric 'lat'"),
        (
            {"value": {"loss": 1.0}},
            InvalidValueError,
            "miss the objective or constraint metric(s) ['value']",
        ),
        ({"samples": []}, InvalidValueError, "at least one replicate"),
        ({"samples": [1.0, math.inf]}, InvalidValueError, "metric 'value[1]' must be finite"),
        ({"samples": "123"}, InvalidValueError, "must be a list of numbers"),
        ({}, InvalidArgumentError, "tell exactly one of"),
        ({"value": 1.0, "failed": True}, InvalidArgumentError, "tell exactly one of"),
        ({"value": 1.0, "samples": [1.0]}, InvalidArgumentError, "tell exactly one of"),
    ],
)
def test_bad_tells_change_nothing(storage_url, kwargs, exc, needle):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    t = study.ask()
    with pytest.raises(exc) as e:
        study.tell(t, **kwargs)
    assert needle in str(e.value)
    assert study.trial(t.id).state == bbo.TrialState.RUNNING
    assert study.tell(t, 2.0).value == 2.0  # still tellable


def test_unknown_trial_and_bad_ids(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    study.ask()
    with pytest.raises(TrialNotFoundError, match="no trial 5"):
        study.tell(5, 1.0)
    with pytest.raises(InvalidArgumentError, match="must be a Trial or a trial id"):
        study.tell("0", 1.0)


def test_add_validates_params(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    good = {"x": 1.0, "lr": 1e-3, "layers": 2, "act": "relu"}
    t = study.add(good, 0.5)
    assert (t.state, t.value, t.attrs["source"]) == (bbo.TrialState.COMPLETED, 0.5, "user")
    with pytest.raises(InvalidParamsError, match=r"parameter .x.: value 20\.0 is outside"):
        study.add({**good, "x": 20.0}, 0.1)
    with pytest.raises(InvalidParamsError, match="missing parameter"):
        study.add({"x": 1.0}, 0.1)
    with pytest.raises(InvalidValueError):
        study.add(good, float("nan"))
    assert len(study.trials) == 1
    assert study.add({**good, "x": 2.0}, failed=True).state == bbo.TrialState.FAILED
    assert study.best.id == t.id
    assert params_key(study.ask().params) != params_key(good)  # never re-suggests a known point


def test_best_respects_direction():
    study = bbo.Study(SPACE, direction="maximize", seed=0)
    for v, t in zip([1.0, 5.0, 3.0], study.ask(3)):
        study.tell(t, v)
    assert study.best.value == 5.0
    assert bbo.Study(SPACE, seed=0).best is None


def test_multi_objective_pareto_set(storage_url):
    study = bbo.Study(
        SPACE, direction={"loss": "minimize", "acc": "maximize"}, seed=0, storage=storage_url
    )
    ts = study.ask(4)
    study.tell(ts[0], {"loss": 1.0, "acc": 0.9})
    study.tell(ts[1], {"loss": 2.0, "acc": 0.95})
    study.tell(ts[2], {"loss": 2.0, "acc": 0.8})  # dominated by ts[0]
    study.tell(ts[3], {"loss": 0.5, "acc": 0.5, "latency": 3.0})
    assert sorted(t.id for t in study.best) == [0, 1, 3]
    with pytest.raises(InvalidValueError, match="tell a mapping"):
        study.tell(study.ask(), 1.0)
    with pytest.raises(InvalidValueError, match="miss the objective"):
        study.tell(study.ask(), {"loss": 1.0})
    with pytest.raises(InvalidValueError, match="replicates of the single objective"):
        study.tell(study.ask(), samples=[1.0])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"direction": "up"}, "`direction` must be 'minimize' or 'maximize', got 'up'"),
        ({"direction": {}}, "must name at least one objective"),
        ({"direction": 3}, "`direction` must be"),
        ({"strategy": "magic"}, f"`strategy` must be one of {list(STRATEGY_NAMES)}"),
        ({"seed": "0"}, "`seed` must be an integer"),
        ({"name": ""}, "`name` must be a non-empty string"),
        ({"strategy": "sobol", "strategy_options": {"bogus": 1}}, "takes no option(s) ['bogus']"),
    ],
)
def test_bad_study_arguments(kwargs, needle):
    with pytest.raises(InvalidArgumentError) as e:
        bbo.Study(SPACE, **kwargs)
    assert needle in str(e.value)


def test_reopen_with_another_space_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = bbo.Study(SPACE, seed=0, storage=url, name="s")
    study.tell(study.ask(), 1.0)
    other = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    with pytest.raises(StudyConflictError) as e:
        bbo.Study(other, storage=url, name="s")
    assert "already exists with a different definition" in str(e.value)
    with pytest.raises(StudyConflictError, match="objectives"):
        bbo.Study(SPACE, direction="maximize", storage=url, name="s")
    assert len(bbo.Study.load("s", url).trials) == 1  # nothing lost


def test_finite_space_distinct_then_repeats():
    space = bbo.Space({"c": bbo.Categorical(["a", "b", "c"])})
    study = bbo.Study(space, seed=0)
    with pytest.raises(InvalidArgumentError, match="ask\\(n=4\\) needs 4 distinct"):
        study.ask(4)
    batch = study.ask(3)
    assert sorted(t.params["c"] for t in batch) == ["a", "b", "c"]
    for t in batch:
        study.tell(t, 1.0)
    assert study.ask().params["c"] in {"a", "b", "c"}  # exhausted: a repeat is allowed


def test_small_int_space_is_covered_without_duplicates():
    study = bbo.Study(bbo.Space({"i": bbo.Int(0, 9)}), strategy="random", seed=1)
    assert sorted(t.params["i"] for t in study.ask(10)) == list(range(10))


def test_abandoned_points_are_offered_again(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    a, _b = study.ask(2)
    (gone,) = study.abandon([a], reason="worker lost")
    assert gone.state == bbo.TrialState.ABANDONED and gone.reason == "worker lost"
    retry, fresh = study.ask(2)
    assert retry.params == a.params and retry.retry_of == a.id
    assert retry.attrs["source"] == "retry" and fresh.retry_of is None
    assert study.ask().retry_of is None  # offered once only
    # a late tell for the abandoned trial is accepted while the retry is unfinished ...
    assert study.tell(a, 1.0).state == bbo.TrialState.COMPLETED
    # ... and refused once the retry finished
    c = study.ask()
    study.abandon([c])
    rc = study.ask()
    study.tell(rc, 2.0)
    with pytest.raises(TrialFinishedError, match="re-evaluated as trial"):
        study.tell(c, 3.0)


def test_expired_lease_is_abandoned_and_reoffered(storage_url):
    study = bbo.Study(SPACE, seed=0, storage=storage_url)
    kept, lost = study.ask(2, lease=60.0)
    study.heartbeat([kept], 60.0)
    study.storage.heartbeat(study._study_id, [lost.id], time.time() - 1.0)
    retry = study.ask()
    assert retry.retry_of == lost.id and retry.params == lost.params
    assert study.trial(lost.id).reason == "lease expired"
    assert study.trial(kept.id).state == bbo.TrialState.RUNNING
    with pytest.raises(InvalidArgumentError, match="`lease > 0`"):
        study.ask(lease=0)


def test_same_seed_same_tells_same_suggestions():
    def run(seed, strategy):
        study = bbo.Study(SPACE, seed=seed, strategy=strategy)
        out = []
        for i in range(4):
            batch = study.ask(3)
            out += [t.params for t in batch]
            for t in batch:
                study.tell(t, float(i))
        return out

    for strategy in ("random", "sobol"):
        assert run(7, strategy) == run(7, strategy)
        assert run(7, strategy) != run(8, strategy)


def test_sobol_continues_one_sequence_across_asks():
    one = bbo.Study(SPACE, seed=3, strategy="sobol")
    split = bbo.Study(SPACE, seed=3, strategy="sobol")
    whole = [t.params for t in one.ask(8)]
    parts = [t.params for t in split.ask(3)] + [t.params for t in split.ask(5)]
    assert whole == parts


def test_constraints(storage_url):
    study = bbo.Study(
        SPACE, constraints=["latency <= 20", "acc >= 0.5"], seed=0, storage=storage_url
    )
    assert [str(c) for c in study.constraints] == ["latency <= 20.0", "acc >= 0.5"]
    a, b, c = study.ask(3)
    study.tell(a, {"value": 0.1, "latency": 25.0, "acc": 0.9})  # infeasible: too slow
    study.tell(b, {"value": 0.5, "latency": 10.0, "acc": 0.7})
    study.tell(c, {"value": 0.3, "latency": 20.0, "acc": 0.5})  # on the bounds: feasible
    assert study.best.id == c.id
    with pytest.raises(InvalidValueError, match=r"metric\(s\) \['acc'\]"):
        study.tell(study.ask(), {"value": 1.0, "latency": 1.0})
    with pytest.raises(InvalidValueError, match="tell a mapping holding the objective"):
        study.tell(study.ask(), 1.0)


@pytest.mark.parametrize(
    ("constraints", "needle"),
    [
        (["latency < 20"], "a constraint reads 'METRIC <= BOUND'"),
        (["latency <= fast"], "the bound must be a number, got 'fast'"),
        (["latency <= nan"], "must be finite"),
        ("latency <= 20", "must be a list"),
        (["value <= 1"], "cannot be objective and constraint"),
    ],
)
def test_bad_constraints(constraints, needle):
    with pytest.raises(InvalidArgumentError) as e:
        bbo.Study(SPACE, constraints=constraints)
    assert needle in str(e.value)


def test_reopen_with_other_constraints_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    bbo.Study(SPACE, constraints=["m <= 1"], storage=url, name="c")
    with pytest.raises(StudyConflictError, match="constraints"):
        bbo.Study(SPACE, constraints=["m <= 2"], storage=url, name="c")
    assert (
        bbo.Study.load("c", url).constraints
        == bbo.Study(SPACE, constraints=["m <= 1"], storage=url, name="c").constraints
    )
