"""The conditional-space benchmark's pieces: its problems' optima, the ConfigSpace it builds
for SMAC3 (the same conditions), and a tiny run of bbo and Optuna define-by-run."""

from __future__ import annotations

import pytest

from benchmarks import conditional as cb

BEST = {
    "optimizer": {"optimizer": "sgd", "lr": 10**-1.5, "momentum": 0.9, "nesterov": True},
    "depth": {"layers": 3, "dropout": 0.2, "width1": 256, "width2": 128, "width3": 64},
}


@pytest.mark.parametrize("name", list(cb.PROBLEMS))
def test_the_known_optimum_is_reached_and_never_beaten(name):
    prob = cb.PROBLEMS[name]
    assert prob.space.validate(BEST[name]) == pytest.approx(BEST[name])
    assert prob.loss(BEST[name]) == pytest.approx(prob.optimum, abs=1e-12)
    for p in prob.space.sample(3000, 0):
        assert prob.loss(p) >= prob.optimum


def test_config_space_has_the_same_conditions():
    pytest.importorskip("ConfigSpace")
    cs = cb.config_space(cb.OPTIMIZER_SPACE, seed=0)
    for config in cs.sample_configuration(50):
        params = dict(config)
        if "nesterov" in params:  # ConfigSpace's labels are strings
            params["nesterov"] = params["nesterov"] == "True"
        if "optimizer" in params:
            assert set(params) == set(cb.OPTIMIZER_SPACE.validate(params))


def test_a_tiny_run_of_bbo_and_optuna():
    prob = cb.PROBLEMS["depth"]
    values = cb.run_bbo(prob, "random", 0, 6)
    assert len(values) == 6 and min(values) >= 0
    pytest.importorskip("optuna")
    values = cb.run_optuna(prob, False, 0, 6)
    assert len(values) == 6 and min(values) >= 0
