"""Strategy ``de``: convergence on Sphere/Rosenbrock (5-d), mixed spaces, ask/tell in any
order with failures and abandoned trials, persistence through SQLite, determinism, the
proposal function for a portfolio, option validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History, validate_options
from bbo.strategies.de import DEOptions, DEStrategy
from bbo.strategies.evolution import de_candidates, latin_hypercube
from bbo.testing.functions import rosenbrock, sphere
from bbo.trial import TrialState
from tests.strategies.evolution_cases import MIXED, OBJ, ROSEN5, SPHERE5, best, drive, mixed


def test_sphere_5d_converges():
    b = best(drive(DEStrategy(SPHERE5, seed=0), sphere, 700, 15)[:700])
    assert b.value < 1e-3
    assert max(abs(v) for v in b.params.values()) < 0.01


def test_rosenbrock_5d_reaches_the_valley_floor():
    b = best(drive(DEStrategy(ROSEN5, seed=0), rosenbrock, 2500, 15)[:2500])
    assert b.value < 0.5
    # random search with the same budget stays far above
    rng = np.random.default_rng(0)
    assert min(rosenbrock(*x) for x in rng.uniform(-2, 2, (2500, 5))) > 5 * b.value


def test_mixed_space_finds_the_discrete_optimum():
    trials = drive(DEStrategy(MIXED, seed=3), lambda *v: mixed(dict(zip(MIXED.names, v))), 600, 30)
    b = best(trials)
    assert {k: b.params[k] for k in ("n", "c", "flag")} == {"n": 3, "c": "z", "flag": True}
    assert abs(b.params["m"] - 50) <= 5
    assert b.value < 0.1


def test_larger_asks_stay_distinct_and_selection_uses_np_results():
    study = bbo.Study(SPHERE5, strategy="de", seed=5)
    np_ = 15  # clip(3 d, 10, 40)
    batch = study.ask(2 * np_ + 3)  # more than a population: extra draws
    assert len({json.dumps(t.params, sort_keys=True) for t in batch}) == 2 * np_ + 3
    for t in reversed(batch):  # out of order
        study.tell(t, sphere(*t.params.values()))
    nxt = study.ask(np_)
    state = study._strategy.state_dict()
    assert state["gen"] == 1 and len(state["pop"]) == np_
    assert {t.attrs["source"] for t in nxt} == {"de"}
    # slot i holds the best of the drawn points i, i + NP, i + 2 NP (greedy selection)
    for i, p in enumerate(state["pop"]):
        slot = batch[i::np_]
        assert p["params"] == min(slot, key=lambda t: (study.trial(t.id).value, t.id)).params


def test_failures_out_of_order_tells_and_abandoned_trials():
    study = bbo.Study(SPHERE5, strategy="de", seed=2)
    for _ in range(50):
        batch = study.ask(15)
        study.abandon([batch[0]])
        for t in reversed(batch[1:]):
            if t.params["x0"] > 2.0:
                study.tell(t, failed=True)
            else:
                study.tell(t, sphere(*t.params.values()))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAILED) > 10
    assert states.count(TrialState.ABANDONED) == 50
    assert study.best.value < 1e-2
    # failed trials never enter the population once a completed one competes for the slot
    pop = study._strategy.state_dict()["pop"]
    assert all(p["o"][0] == 0 for p in pop)


def _play(study, rounds):
    """Ask in batches of 7, tell in reverse order, fail every 9th trial."""
    out = []
    for _ in range(rounds):
        batch = study.ask(7)
        out += [t.params for t in batch]
        for t in reversed(batch):
            if t.id % 9 == 8:
                study.tell(t, failed=True)
            else:
                study.tell(t, mixed(t.params))
    return out


def test_reopened_sqlite_study_continues_the_same_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'de.db'}"
    first = bbo.Study(MIXED, strategy="de", seed=11, storage=url, name="de")
    a = _play(first, 5)
    del first
    again = bbo.Study.load("de", url)
    a += _play(again, 5)
    ref = _play(bbo.Study(MIXED, strategy="de", seed=11), 10)
    assert a == ref
    state = again._strategy.state_dict()
    assert state["gen"] >= 3
    assert json.loads(json.dumps(state)) == state


def test_same_seed_same_suggestions_other_seed_other():
    def run(seed):
        return [p["a"] for p in _play(bbo.Study(MIXED, strategy="de", seed=seed), 6)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_de_candidates_mutate_the_incumbents():
    rng = np.random.default_rng(0)
    X = latin_hypercube(30, 4, rng)
    y = np.sum((X - 0.2) ** 2, axis=1)
    C = de_candidates(X, y, 200, np.random.default_rng(1))
    assert C.shape == (200, 4) and np.all((C >= 0) & (C <= 1))
    # trial vectors sit nearer the optimum than the population does, on average
    assert np.mean(np.sum((C - 0.2) ** 2, 1)) < np.mean(y)
    with pytest.raises(InvalidArgumentError, match="at least 3"):
        de_candidates(X[:2], y[:2], 1, rng)


def test_options_validated():
    with pytest.raises(InvalidArgumentError, match="popsize"):
        bbo.Study(SPHERE5, strategy="de", strategy_options={"popsize": 2})
    with pytest.raises(InvalidArgumentError, match=r"de option `p` must be a number in \(0, 1\]"):
        bbo.Study(SPHERE5, strategy="de", strategy_options={"p": 0})
    with pytest.raises(InvalidArgumentError, match="takes no option"):
        bbo.Study(SPHERE5, strategy="de", strategy_options={"F": 0.5})
    with pytest.raises(InvalidArgumentError, match="de option `popsize` must be an integer >= 4"):
        DEStrategy(SPHERE5, seed=0, popsize=3)
    o = validate_options("de", {"popsize": 8, "p": 0.5})
    assert isinstance(o, DEOptions) and o.given() == {"popsize": 8, "p": 0.5}
    a = DEStrategy(SPHERE5, seed=0, options=o, device="cpu")  # the device is unused
    b = DEStrategy(SPHERE5, seed=0, popsize=8, p=0.5)
    h = History(SPHERE5, OBJ, ())
    assert [s.params for s in a.suggest(5, h)] == [s.params for s in b.suggest(5, h)]
