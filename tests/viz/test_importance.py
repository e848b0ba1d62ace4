"""Parameter importance (PED-ANOVA, :mod:`bbo.viz.importance`): the math on synthetic studies."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.viz.data import PlotData
from bbo.viz.importance import MIN_TRIALS, importances, pearson_divergence, ped_anova


def _study(space: bbo.Space, f, n: int = 60, seed: int = 0, direction="minimize") -> bbo.Study:
    study = bbo.Study(space, direction, strategy="sobol", seed=0)
    for p in space.sample(n, np.random.default_rng(seed)):
        study.add(p, f(p))
    return study


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_parameter_that_matters_ranks_first(seed):
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0), "z": bbo.Float(0, 1)})
    imp = importances(PlotData.of(_study(space, lambda p: (p["x"] - 0.3) ** 2, seed=seed)))
    assert next(iter(imp)) == "x"
    assert imp["x"] > 0.6 and imp["x"] > 5 * max(imp["y"], imp["z"])
    assert sum(imp.values()) == pytest.approx(1.0)
    assert all(v >= 0 for v in imp.values())


def test_categorical_int_and_log_parameters():
    space = bbo.Space(
        {
            "act": bbo.Categorical(["relu", "tanh", "gelu", "silu"]),
            "layers": bbo.Int(1, 8),
            "lr": bbo.Float(1e-5, 1e-1, log=True),
            "width": bbo.Int(16, 4096, log=True),  # more levels than the grid: continuous
            "noise": bbo.Float(0.0, 1.0),
        }
    )

    def f(p):
        return (p["act"] != "gelu") * 1.0 + 0.1 * abs(np.log10(p["lr"]) + 3)

    imp = importances(PlotData.of(_study(space, f, n=80)))
    assert list(imp)[:2] == ["act", "lr"], imp
    assert imp["act"] > imp["layers"] and imp["act"] > imp["width"] and imp["act"] > imp["noise"]

    def g(p):
        return abs(p["layers"] - 6) + 0.01 * p["noise"]

    imp = importances(PlotData.of(_study(space, g, n=80)))
    assert next(iter(imp)) == "layers", imp


def test_maximize_and_several_objectives():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    # maximized: the best trials have x near 0.8
    up = importances(
        PlotData.of(_study(space, lambda p: -((p["x"] - 0.8) ** 2), direction="maximize"))
    )
    assert next(iter(up)) == "x"
    mo = bbo.Study(space, {"f1": "minimize", "f2": "minimize"}, strategy="sobol", seed=0)
    for p in space.sample(60, np.random.default_rng(0)):
        mo.add(p, {"f1": (p["x"] - 0.3) ** 2, "f2": (p["y"] - 0.6) ** 2})
    d = PlotData.of(mo)
    assert next(iter(importances(d))) == "x"  # the first objective by default
    assert next(iter(importances(d, 1))) == "y"
    assert next(iter(importances(d, "f2"))) == "y"
    with pytest.raises(InvalidArgumentError, match=r"objective 'f3' is not in the study"):
        importances(d, "f3")
    with pytest.raises(InvalidArgumentError, match=r"objective index must be in \[0, 2\), got 2"):
        importances(d, 2)


def test_too_few_trials_say_how_many_are_needed():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    d = PlotData.of(_study(space, lambda p: p["x"], n=MIN_TRIALS - 1))
    with pytest.raises(
        InvalidArgumentError,
        match=f"parameter importance needs at least {MIN_TRIALS} completed trials, the study "
        f"has {MIN_TRIALS - 1}",
    ):
        importances(d)
    with pytest.raises(InvalidArgumentError, match=r"`0 < gamma < 1` must hold, got gamma=1\.5"):
        importances(PlotData.of(_study(space, lambda p: p["x"], n=20)), gamma=1.5)


def test_deterministic_and_infeasible_trials_never_in_the_top():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(40, 2))
    params = [bbo.Float(0.0, 1.0), bbo.Float(0.0, 1.0)]
    y = X[:, 1]  # low y is good ...
    feasible = X[:, 1] > 0.5  # ... but only the high half is feasible: the top is y ≈ 0.5
    a = ped_anova(X, y, params, feasible)
    np.testing.assert_array_equal(a, ped_anova(X, y, params, feasible))
    assert a[1] > a[0]
    # no difference between the top and all: every divergence 0, equal shares
    same = np.full(10, 0.5)
    assert pearson_divergence(same / same.sum(), same / same.sum()) == 0.0
    flat = ped_anova(np.full((10, 2), 0.5), np.arange(10.0), params)
    np.testing.assert_allclose(flat, [0.5, 0.5])
