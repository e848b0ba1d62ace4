"""The local DFO source of ``auto`` (:mod:`bbo.strategies.localdfo`): deterministic replay,
restarts from the stored history, pending and failed trials, convergence, the option."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History
from bbo.strategies.localdfo import DFO_METHODS, LocalDFO, choose_local, dfo_group
from bbo.strategies.pools import ranked_values, source_stats
from bbo.strategies.portfolio import AutoOptions, AutoStrategy
from bbo.trial import Objective, Trial, TrialState

D = 4
SPACE = bbo.Space({f"x{i}": bbo.Float(-2.0, 2.0) for i in range(D)})
OBJ = (Objective("value", "minimize"),)
WEIGHTS = np.arange(1, D + 1) ** 2  # condition number 16^2 / 1


def convex(p: dict[str, float]) -> float:
    """``sum_i i^2 (x_i - 0.5)^2``: minimum 0 at ``x = 0.5``."""
    x = np.array([p[f"x{i}"] for i in range(D)])
    return float((WEIGHTS * (x - 0.5) ** 2).sum())


def initial(n: int = D + 1, seed: int = 0) -> list[Trial]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        p = SPACE.decode(rng.random(D))
        v = convex(p)
        out.append(Trial(i, p, TrialState.COMPLETED, {"value": v}, v, attrs={"source": "sobol"}))
    return out


def history(trials: list[Trial]) -> History:
    return History(SPACE, OBJ, tuple(trials))


def propose(dfo: LocalDFO, trials: list[Trial]):
    h = history(trials)
    return dfo.propose(h, ranked_values(h))


def loop(method: str, n: int, trials: list[Trial] | None = None) -> list[Trial]:
    """``n`` asks of the local source alone, each told at once."""
    trials = list(trials if trials is not None else initial())
    dfo = LocalDFO(SPACE, method, seed=0)
    for _ in range(n):
        s = propose(dfo, trials)
        assert s is not None
        v = convex(s.params)
        attrs = {"source": s.source, **s.info}
        trials.append(
            Trial(len(trials), s.params, TrialState.COMPLETED, {"value": v}, v, attrs=attrs)
        )
    return trials


@pytest.mark.parametrize("method", DFO_METHODS)
def test_same_history_same_proposal(method):
    trials = loop(method, 12)
    a = propose(LocalDFO(SPACE, method, seed=0), trials)
    b = propose(LocalDFO(SPACE, method, seed=0), trials)
    assert a == b
    assert a.source == method


def test_run_continues_after_a_restart_from_the_stored_history():
    trials = loop("cobyla", 10)
    tags = [t.attrs["dfo"] for t in trials if "dfo" in t.attrs]
    # one run; call 0 (x0 = the incumbent) was answered by its trial, not proposed again
    assert {t["run"] for t in tags} == {0}
    assert [t["call"] for t in tags] == list(range(1, 11))
    assert "x0" in tags[0] and "rho" in tags[0] and "x0" not in tags[1]
    best0 = int(np.argmin([t.value for t in trials[: D + 1]]))
    np.testing.assert_allclose(tags[0]["x0"], SPACE.encode(trials[best0].params))
    # a fresh object (a restarted server) continues the same run where it stopped ...
    again = loop("cobyla", 1, trials[:-1])[-1]
    assert again.params == trials[-1].params and again.attrs == trials[-1].attrs
    # ... and an uninterrupted loop of 11 asks made the same 10 first ones
    assert [t.params for t in loop("cobyla", 11)[:-1]] == [t.params for t in trials]


def test_pending_trial_blocks_the_run_and_a_failed_one_ends_it():
    trials = loop("cobyla", 6)
    dfo = LocalDFO(SPACE, "cobyla", seed=0)
    last = trials[-1]
    pending = [*trials[:-1], replace(last, state=TrialState.RUNNING, values={}, value=None)]
    assert propose(dfo, pending) is None
    failed = [*trials[:-1], replace(last, state=TrialState.FAILED, values={}, value=None)]
    s = propose(dfo, failed)
    assert s is not None and s.info["dfo"]["run"] == 1  # a new run at the incumbent
    best = min(failed[:-1], key=lambda t: t.value)
    np.testing.assert_allclose(s.info["dfo"]["x0"], SPACE.encode(best.params))
    assert s.info["dfo"]["rho"] < trials[D + 1].attrs["dfo"]["rho"]  # a smaller radius


def test_auto_falls_back_to_the_gp_while_the_run_waits():
    trials = loop("cobyla", 6)
    trials[-1] = replace(trials[-1], state=TrialState.RUNNING, values={}, value=None)
    h = history(trials)
    sure = {"gp": (0, 50), "dfo": (50, 50)}  # the draw picks the local source
    assert LocalDFO(SPACE, "cobyla", seed=0).suggest(h, sure, ranked_values(h)) is None
    auto = AutoStrategy(
        SPACE, seed=0, local_dfo="cobyla", num_restarts=2, raw_samples=64, pool_size=16
    )
    (s,) = auto.suggest(1, h)
    assert s.source != "cobyla"


@pytest.mark.parametrize(("method", "bound"), [("cobyla", 0.05), ("cobyqa", 1e-3)])
def test_local_source_alone_converges_on_a_convex_quadratic(method, bound):
    trials = loop(method, 80)
    assert min(t.value for t in trials) < bound
    assert min(t.value for t in trials[: D + 1]) > 1.0  # the initial design was far off


def test_bandit_arms_and_draw():
    trials = initial(3)
    srcs = ["gp:LogEI", "cobyla", "de>gp:LogEI", "cobyla"]
    vals = [5.0, 4.0, 4.5, 3.0]
    for s, v in zip(srcs, vals):
        trials.append(
            Trial(
                len(trials),
                {"x0": 0, "x1": 0, "x2": 0, "x3": 0},
                TrialState.COMPLETED,
                {"value": v},
                v,
                attrs={"source": s},
            )
        )
    stats = source_stats(history(trials), dfo_group)
    assert stats["dfo"] == (2, 2) and stats["gp"][1] == 2
    rng = np.random.default_rng(0)
    share = np.mean([choose_local({"gp": (0, 20), "dfo": (10, 20)}, rng) for _ in range(200)])
    assert share > 0.9


def test_local_dfo_option_is_validated():
    assert AutoOptions.parse({"local_dfo": True}).local_dfo == "cobyqa"
    assert AutoOptions.parse({"local_dfo": "cobyqa"}).local_dfo == "cobyqa"
    assert AutoOptions.parse({}).local_dfo is False
    with pytest.raises(InvalidArgumentError, match="local_dfo"):
        AutoOptions.parse({"local_dfo": "nelder-mead"})
    mixed = bbo.Space({"x": bbo.Float(0.0, 1.0), "k": bbo.Int(0, 3)})
    assert AutoStrategy(mixed, seed=0, local_dfo=True).dfo is None  # Float spaces only
