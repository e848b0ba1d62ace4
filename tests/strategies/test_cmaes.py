"""Strategy ``cmaes``: convergence on Sphere/Rosenbrock (5-d), mixed spaces with margin,
ask/tell in any order with failures and abandoned trials, persistence through SQLite,
determinism, the proposal API for a portfolio, option validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.space import params_key
from bbo.strategies import History, validate_options
from bbo.strategies.cmaes import CMA, CMAESOptions, CMAESStrategy
from bbo.strategies.de import DEOptions
from bbo.strategies.evolution import FAILED, FEASIBLE, VIOLATING, Lattice, Ledger
from bbo.testing.functions import rosenbrock, sphere
from bbo.trial import Trial, TrialState
from tests.strategies.evolution_cases import MIXED, OBJ, ROSEN5, SPHERE5, best, drive, mixed


def test_sphere_5d_converges():
    trials = drive(CMAESStrategy(SPHERE5, seed=0), sphere, 600, 8)
    b = best(trials[:600])
    assert b.value < 1e-4
    assert max(abs(v) for v in b.params.values()) < 0.01


def test_rosenbrock_5d_reaches_the_optimum_region():
    trials = drive(CMAESStrategy(ROSEN5, seed=0), rosenbrock, 2000, 8)
    b = best(trials[:2000])
    assert b.value < 1e-3
    assert max(abs(v - 1.0) for v in b.params.values()) < 0.05


def test_mixed_space_finds_the_discrete_optimum_and_keeps_a_margin():
    strategy = CMAESStrategy(MIXED, seed=3)
    trials = drive(strategy, lambda *v: mixed(dict(zip(MIXED.names, v))), 400, 8)
    b = best(trials)
    assert {k: b.params[k] for k in ("n", "c", "flag")} == {"n": 3, "c": "z", "flag": True}
    assert abs(b.params["m"] - 50) <= 2  # log-int: m = 51 costs only 4e-4
    assert b.value < 0.05
    # the margin keeps every discrete column alive: P(leaving the mean's level) >= alpha/2
    cma = CMA.from_dict(strategy.state_dict()["cma"])
    lattice = Lattice(MIXED)
    alpha = 1.0 / (cma.dim * cma.lam)
    rng = np.random.default_rng(0)
    X = cma.to_eval(np.stack([cma.sample(rng, np.array([0, 1])) for _ in range(4000)]), lattice)
    for i, j in enumerate(lattice.dims):
        mean_level = lattice.level(i, cma.mean[j : j + 1])[0]
        moved = np.mean(lattice.level(i, X[:, j]) != mean_level)
        assert moved >= alpha / 4, (MIXED.names[j], moved, alpha)


def test_margin_lower_bounds_the_probability_of_leaving_the_level():
    """Unit check of the correction: a collapsed distribution on an integer column gets its
    scaling A raised until each neighbour level has probability alpha / 2."""
    lattice = Lattice(bbo.Space({"n": bbo.Int(0, 9)}))
    cma = CMA(np.array([0.55]), 1e-4, 10)  # level 5 of 10, sigma far below a level width
    cma.margin(lattice, alpha=0.1)
    s = cma.sigma * cma.A[0] * math.sqrt(cma.C[0, 0])
    from statistics import NormalDist

    p_lo = NormalDist(cma.mean[0], s).cdf(0.5)
    p_up = 1 - NormalDist(cma.mean[0], s).cdf(0.6)
    assert p_lo == pytest.approx(0.05, rel=1e-6) and p_up == pytest.approx(0.05, rel=1e-6)
    # an edge level (a binary choice) moves the mean so that P(flip) = alpha
    binary = Lattice(bbo.Space({"f": bbo.Categorical([True, False])}))
    cma = CMA(np.array([0.1]), 1e-3, 10)
    cma.margin(binary, alpha=0.1)
    assert 1 - NormalDist(cma.mean[0], cma.sigma).cdf(0.5) == pytest.approx(0.1, rel=1e-6)


def test_batch_is_a_population_slice_and_larger_asks_stay_distinct():
    one = bbo.Study(SPHERE5, strategy="cmaes", seed=5)
    lam = 4 + int(3 * math.log(5))
    seq = [one.ask().params for _ in range(lam)]
    many = bbo.Study(SPHERE5, strategy="cmaes", seed=5)
    assert [t.params for t in many.ask(lam)] == seq
    big = bbo.Study(SPHERE5, strategy="cmaes", seed=5)
    batch = big.ask(3 * lam)  # more than a population: extra members of the same generation
    assert len({json.dumps(t.params, sort_keys=True) for t in batch}) == 3 * lam
    assert [t.params for t in batch[:lam]] == seq
    assert {t.attrs["source"] for t in batch} == {"cmaes"}
    for t in reversed(batch):  # out of order
        big.tell(t, sphere(*t.params.values()))
    big.ask()
    state = big._strategy.state_dict()
    assert state["cma"]["gen"] == 1 and state["run"] == 0  # one update from lambda results


def test_failures_out_of_order_tells_and_abandoned_trials():
    """x0 > 1 crashes, x1 < -1 is infeasible; tells come in reverse order; one trial per
    batch is abandoned and retried by the study. The run still converges to the optimum at
    the origin."""
    study = bbo.Study(SPHERE5, strategy="cmaes", seed=2)
    for _ in range(60):
        batch = study.ask(8)
        study.abandon([batch[0]])
        for t in reversed(batch[1:]):
            if t.params["x0"] > 1.0:
                study.tell(t, failed=True)
            elif t.params["x1"] < -1.0:
                study.tell(t, infeasible=True)
            else:
                study.tell(t, sphere(*t.params.values()))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAILED) > 5
    assert states.count(TrialState.INFEASIBLE) > 5
    assert states.count(TrialState.ABANDONED) == 60
    assert any(t.retry_of is not None for t in study.trials)
    assert study.best.value < 1e-2


def test_a_run_of_failures_restarts():
    strategy = CMAESStrategy(SPHERE5, seed=0)
    trials: list[Trial] = []
    for _ in range(4):
        for s in strategy.suggest(8, History(SPHERE5, OBJ, tuple(trials))):
            trials.append(Trial(len(trials), s.params, TrialState.FAILED))
    strategy.suggest(1, History(SPHERE5, OBJ, tuple(trials)))
    assert strategy.state_dict()["run"] == 1
    assert strategy.state_dict()["stop"] == ["idle"]
    assert strategy.state_dict()["cma"]["lam"] == 16  # IPOP: twice the population


def _play(study, rounds):
    """Ask in batches of 3, tell in reverse order, fail every 7th trial."""
    out = []
    for _ in range(rounds):
        batch = study.ask(3)
        out += [t.params for t in batch]
        for t in reversed(batch):
            if t.id % 7 == 6:
                study.tell(t, failed=True)
            else:
                study.tell(t, mixed(t.params))
    return out


def test_reopened_sqlite_study_continues_the_same_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    first = bbo.Study(MIXED, strategy="cmaes", seed=11, storage=url, name="cma")
    a = _play(first, 8)
    del first
    again = bbo.Study.load("cma", url)  # a restarted process
    a += _play(again, 8)
    ref = _play(bbo.Study(MIXED, strategy="cmaes", seed=11), 16)  # uninterrupted, in memory
    assert a == ref
    state = again._strategy.state_dict()
    assert state["cma"]["gen"] >= 3
    assert {"mean", "C", "sigma", "pc", "ps", "A", "gen", "lam"} <= set(state["cma"])
    assert json.loads(json.dumps(state)) == state


def test_same_seed_same_suggestions_other_seed_other():
    def run(seed):
        return [p["a"] for p in _play(bbo.Study(MIXED, strategy="cmaes", seed=seed), 5)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_candidates_for_a_portfolio_leave_the_state_alone():
    strategy = CMAESStrategy(SPHERE5, seed=0)
    trials = drive(strategy, sphere, 40, 8)
    before = json.dumps(strategy.state_dict())
    X = strategy.candidates(16, History(SPHERE5, OBJ, tuple(trials)))
    assert X.shape == (16, 5) and np.all((X >= 0) & (X <= 1))
    assert json.dumps(strategy.state_dict()) == before
    # they come from the current search distribution: near its mean
    mean = np.array(strategy.state_dict()["cma"]["mean"])
    assert np.linalg.norm(X.mean(0) - mean) < 0.15


def test_options_validated_and_multi_objective_refused():
    with pytest.raises(InvalidArgumentError, match="sigma0"):
        bbo.Study(SPHERE5, strategy="cmaes", strategy_options={"sigma0": 0.0})
    with pytest.raises(InvalidArgumentError, match="popsize"):
        bbo.Study(SPHERE5, strategy="cmaes", strategy_options={"popsize": 1})
    with pytest.raises(InvalidArgumentError, match="restarts"):
        bbo.Study(SPHERE5, strategy="cmaes", strategy_options={"restarts": "bipop"})
    study = bbo.Study(SPHERE5, {"a": "minimize", "b": "maximize"}, strategy="cmaes")
    with pytest.raises(InvalidArgumentError, match="single objective"):
        study.ask()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sigma0": 0}, "cmaes option `sigma0` must be a number in (0, 1], got 0"),
        ({"sigma0": 1.5}, "cmaes option `sigma0` must be a number in (0, 1], got 1.5"),
        ({"popsize": 1}, "cmaes option `popsize` must be an integer >= 2, got 1"),
        ({"margin": 0.5}, "cmaes option `margin` must be a number in (0, 0.5), got 0.5"),
        ({"restarts": "bipop"}, "cmaes option `restarts` must be one of ['ipop', 'none']"),
        ({"lam": 4}, "strategy 'cmaes' takes no option(s) ['lam']"),
        ({"device": "cpu"}, "`device` is not a strategy option"),
    ],
)
def test_typed_options_name_the_option_the_rule_and_the_value(options, message):
    with pytest.raises(InvalidArgumentError) as e:
        validate_options("cmaes", options)
    assert message in str(e.value)


def test_options_object_or_keywords_build_the_same_strategy():
    o = validate_options("cmaes", {"sigma0": 0.3, "popsize": 6})
    assert isinstance(o, CMAESOptions) and o.given() == {"sigma0": 0.3, "popsize": 6}
    a = CMAESStrategy(SPHERE5, seed=0, options=o, device="cpu")  # the device is unused
    b = CMAESStrategy(SPHERE5, seed=0, sigma0=0.3, popsize=6)
    assert (a.sigma0, a.popsize, b.sigma0, b.popsize) == (0.3, 6, 0.3, 6)
    h = History(SPHERE5, OBJ, ())
    assert [s.params for s in a.suggest(4, h)] == [s.params for s in b.suggest(4, h)]
    with pytest.raises(InvalidArgumentError, match="not both"):
        CMAESStrategy(SPHERE5, seed=0, options=o, sigma0=0.1)
    with pytest.raises(InvalidArgumentError, match="takes CMAESOptions, got DEOptions"):
        CMAESStrategy(SPHERE5, seed=0, options=DEOptions())  # type: ignore[arg-type]


def test_lattice_snaps_to_the_decoded_level_even_for_huge_integer_ranges():
    space = bbo.Space(
        {
            "a": bbo.Int(1, 1000, log=True),
            "b": bbo.Int(-3, 4),
            "c": bbo.Categorical(["p", "q", "r"]),
            "o": bbo.Ordinal([1, 2, 5]),
            "big": bbo.Int(0, 10**9),  # analytic: no array of a billion thresholds
        }
    )
    lattice = Lattice(space)
    U = np.random.default_rng(0).random((5000, 5))
    S = lattice.snap(U)
    assert [space.decode(u) for u in U] == [space.decode(s) for s in S]
    assert np.allclose(
        lattice.centre(0, np.arange(4)), [space["a"].encode(v) for v in (1, 2, 3, 4)]
    )
    t = lattice.threshold(0, 0)  # between a = 1 and a = 2
    assert space.decode(np.array([t - 1e-9, 0.5, 0.5, 0.5, 0.5]))["a"] == 1
    assert space.decode(np.array([t + 1e-9, 0.5, 0.5, 0.5, 0.5]))["a"] == 2


def test_warm_start_at_the_best_feasible_point_and_constraint_ranking():
    space = bbo.Space({"x": bbo.Float(0.0, 10.0), "y": bbo.Float(0.0, 10.0)})
    study = bbo.Study(space, constraints=["c <= 0"], strategy="cmaes", seed=0)
    study.add({"x": 1.0, "y": 1.0}, {"value": -5.0, "c": 2.0})  # better value, infeasible
    study.add({"x": 8.0, "y": 6.0}, {"value": 3.0, "c": -1.0})  # the best feasible point
    study.add({"x": 5.0, "y": 5.0}, failed=True)
    study.ask()
    assert study._strategy.state_dict()["cma"]["mean"] == [0.8, 0.6]
    # the ledger ranks feasible < violating (by violation) < failed
    ledger = Ledger(
        History(space, study.objectives, tuple(study.trials), constraints=study.constraints),
        "cmaes",
    )
    outcomes = [ledger.outcome(params_key(t.params)) for t in study.trials]
    assert [(o.tier, o.value) for o in outcomes[:3]] == [
        (VIOLATING, 2.0),
        (FEASIBLE, 3.0),
        (FAILED, 0.0),
    ]
    assert outcomes[3] is None  # the asked trial is running
    assert sorted(o.key for o in outcomes[:3]) == [
        outcomes[1].key,
        outcomes[0].key,
        outcomes[2].key,
    ]


@pytest.mark.parametrize("name", ["cmaes", "de"])
def test_a_small_finite_space_is_exhausted_without_stalling(name):
    """Nine configurations: the strategies propose all of them (no random fill) and converged
    runs restart with a population capped at the size of the space."""
    space = bbo.Space({"c": bbo.Categorical(["a", "b", "c"]), "k": bbo.Int(0, 2)})
    study = bbo.Study(space, strategy=name, seed=0)
    for _ in range(9):
        t = study.ask()
        study.tell(t, (t.params["k"] - 1) ** 2 + (t.params["c"] != "b"))
    assert {tuple(t.params.values()) for t in study.trials} == {
        (c, k) for c in "abc" for k in range(3)
    }
    assert {t.attrs["source"] for t in study.trials} == {name}
    if name == "cmaes":
        assert study._strategy.state_dict()["cma"]["lam"] <= 9
