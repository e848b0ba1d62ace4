"""Shared fixtures of the evolutionary strategies' tests (test_cmaes.py, test_de.py)."""

from __future__ import annotations

import math

import bbo
from bbo.strategies import History
from bbo.trial import Objective, Trial, TrialState

OBJ = (Objective("value"),)
SPHERE5 = bbo.Space({f"x{i}": bbo.Float(-5.0, 5.0) for i in range(5)})
ROSEN5 = bbo.Space({f"x{i}": bbo.Float(-2.0, 2.0) for i in range(5)})
MIXED = bbo.Space(
    {
        "a": bbo.Float(-3.0, 3.0),
        "b": bbo.Float(-3.0, 3.0),
        "n": bbo.Int(-10, 10),
        "m": bbo.Int(1, 1000, log=True),
        "c": bbo.Categorical(["x", "y", "z", "w"]),
        "flag": bbo.Categorical([True, False]),
    }
)


def mixed(p):
    """Minimum 0 at a=1, b=-0.5, n=3, m=50, c='z', flag=True."""
    return (
        (p["a"] - 1) ** 2
        + (p["b"] + 0.5) ** 2
        + (p["n"] - 3) ** 2
        + (math.log(p["m"]) - math.log(50)) ** 2
        + 2.0 * (p["c"] != "z")
        + 1.0 * (p["flag"] is not True)
    )


def drive(strategy, fn, budget, batch):
    """Ask/tell the strategy directly (no storage: fast); returns the trials."""
    trials: list[Trial] = []
    while len(trials) < budget:
        history = History(strategy.space, OBJ, tuple(trials))
        for s in strategy.suggest(batch, history):
            v = fn(*s.params.values())
            trials.append(Trial(len(trials), s.params, TrialState.COMPLETED, {"value": v}, v))
    return trials


def best(trials):
    return min((t for t in trials if t.state == TrialState.COMPLETED), key=lambda t: t.value)
