"""BNN-BO strategy: the default kind finds the optimum region of a 2-D toy; every kind
runs ask/tell through bbo.Study on a mixed space (batches with pending points, JSON
state); MC acquisitions on ensembles; option validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.space import params_key

FAST = {"num_restarts": 4, "raw_samples": 128, "mc_samples": 64}
SPACE2 = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
# small models for the smoke runs: behaviour, not accuracy
SMALL = {
    "ensemble": {"members": 5, "epochs": 150},
    "hmc": {"samples": 4, "chains": 2, "warmup": 20, "leapfrog": 4, "map_epochs": 60},
    "ibnn": {"maxiter": 30},
    "dkl": {"hidden": 8, "maxiter": 30},
}


def quad(p):
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


def run(study, f, n):
    for _ in range(n):
        t = study.ask()
        study.tell(t, f(t.params))
    return study


def test_default_kind_finds_the_optimum_region_of_a_shifted_quadratic():
    study = bbo.Study(SPACE2, strategy="bnn", seed=0, strategy_options=FAST)
    run(study, quad, 12)
    rnd = run(bbo.Study(SPACE2, strategy="random", seed=0), quad, 12)
    sources = [t.attrs["source"] for t in study.trials]
    assert sources == ["sobol"] * 5 + ["bnn:qLogNEI"] * 7  # ensemble: MC over the members
    model_phase = [quad(t.params) for t in study.trials[5:]]
    assert study.best.value < 2e-3 < rnd.best.value
    assert sorted(model_phase)[2] < 0.02  # not one lucky point: three within 0.14 of it


@pytest.mark.parametrize("kind", ["ensemble", "hmc", "ibnn", "dkl"])
def test_every_kind_asks_and_tells_on_a_mixed_space(kind):
    space = bbo.Space({"x": bbo.Float(-1.0, 1.0), "c": bbo.Categorical(["a", "b", "c"])})

    def f(p):
        return (p["x"] - 0.2) ** 2 + (0.0 if p["c"] == "b" else 1.0)

    opts = {"kind": kind, "n_init": 4, **FAST, **SMALL[kind]}
    study = bbo.Study(space, strategy="bnn", seed=1, strategy_options=opts)
    run(study, f, 5)
    batch = study.ask(2)  # a batch: the two points are pending for each other
    assert len({params_key(t.params) for t in batch}) == 2
    # (a tiny ensemble may propose the same point twice in a batch: the study then fills in)
    assert batch[0].attrs["source"] == "bnn:qLogNEI"
    for t in batch:
        study.tell(t, f(t.params))
    assert all(space.contains(t.params) for t in study.trials)
    state = study.storage.get_study(study.name).strategy_state
    assert json.loads(json.dumps(state)) == state and state["n_fit"] >= 5


def test_same_seed_same_suggestions():
    opts = {**FAST, **SMALL["ensemble"], "n_init": 3}
    a, b = (
        run(bbo.Study(SPACE2, strategy="bnn", seed=3, strategy_options=opts), quad, 5)
        for _ in range(2)
    )
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


@pytest.mark.parametrize("acq", ["qUCB", "TS", "PM"])
def test_mc_acquisitions_run_on_the_ensemble(acq):
    opts = {**FAST, **SMALL["ensemble"], "acquisition": acq, "n_init": 4}
    study = run(bbo.Study(SPACE2, strategy="bnn", seed=0, strategy_options=opts), quad, 4)
    batch = study.ask(2)
    assert [t.attrs["source"] for t in batch] == [f"bnn:{acq}"] * 2
    assert len({params_key(t.params) for t in batch}) == 2


@pytest.mark.parametrize(
    ("opts", "needle"),
    [
        ({"kind": "gp"}, "bnn option `kind` must be one of ['ensemble', 'hmc', 'ibnn', 'dkl']"),
        ({"kind": "hmc", "members": 3}, "bnn option `members` applies to kind 'ensemble'"),
        ({"hidden": [32, 0]}, "bnn option `hidden` must be a layer width >= 1"),
        ({"epochs": 0}, "bnn option `epochs` must be an integer >= 1, got 0"),
        ({"n_init": 0}, "bnn option `n_init` must be an integer >= 1"),
        ({"width": 3}, "bnn takes no option `width`"),
    ],
)
def test_bad_options(opts, needle):
    with pytest.raises(InvalidArgumentError) as e:
        bbo.Study(SPACE2, strategy="bnn", strategy_options=opts)
    assert needle in str(e.value)


def test_hidden_accepts_one_width_or_a_list():
    from bbo.strategies.bnn import BNNStrategy

    assert BNNStrategy(SPACE2, seed=0, hidden=8).kind_options == {"hidden": [8]}
    s = BNNStrategy(SPACE2, seed=0, kind="dkl", hidden=8)
    assert s.kind_options == {"hidden": 8}
    assert np.isclose(BNNStrategy(SPACE2, seed=0, beta=2.0).options.beta, 2.0)  # a gp option


def test_several_objectives_and_constraints_with_the_ensemble():
    opts = {**FAST, **SMALL["ensemble"], "n_init": 4}
    study = bbo.Study(
        SPACE2, strategy="bnn", seed=0, strategy_options=opts,
        direction={"f1": "minimize", "f2": "minimize"},
    )  # fmt: skip
    for _ in range(6):
        t = study.ask()
        x, y = t.params["x"], t.params["y"]
        study.tell(t, {"f1": x**2 + y, "f2": (x - 1) ** 2 + y})
    assert study.trials[-1].attrs["source"] == "bnn:qLogNEHVI"
    assert len(study.best) >= 2
    # minimize x + y subject to x * y >= 0.1; evaluations crash for x > 0.9
    study = bbo.Study(SPACE2, strategy="bnn", seed=0, strategy_options=opts,
                      constraints=["prod >= 0.1"])  # fmt: skip
    for _ in range(8):
        t = study.ask()
        x, y = t.params["x"], t.params["y"]
        if x > 0.9:
            study.tell(t, failed=True)
        else:
            study.tell(t, {"value": x + y, "prod": x * y})
    assert study.trials[-1].attrs["source"] == "bnn:qLogNEI"
    assert study.best.feasible(study.constraints) and study.best.value < 0.9
