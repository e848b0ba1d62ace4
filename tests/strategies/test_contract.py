"""Every registered strategy passes the strategy contract (bbo.testing.contract)."""

from __future__ import annotations

import pytest

from bbo.strategies import STRATEGY_NAMES
from bbo.testing.contract import check_strategy

GP_FAST = {"num_restarts": 2, "raw_samples": 64, "mc_samples": 32}
OPTIONS: dict[str, dict] = {
    "random": {},
    "sobol": {},
    "gp": GP_FAST,
    "auto": {**GP_FAST, "pool_size": 16},
    "bnn": {"kind": "ensemble", "members": 4, "epochs": 60, **GP_FAST},
    "wasserstein": {"pool_size": 256, "polish_steps": 3, "steps": 40},
    "cmaes": {},
    "de": {},
    # an endpoint that refuses connections: every ask is filled from the fallback design
    "llm": {"base_url": "http://127.0.0.1:9/v1", "timeout": 2.0},
}


def test_every_registered_strategy_is_covered():
    assert set(OPTIONS) == set(STRATEGY_NAMES)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_strategy_contract(name):
    check_strategy(name, OPTIONS[name])


def test_sobol_floats_have_ten_significant_digits_and_stay_in_bounds():
    import bbo

    space = bbo.Space(
        {"x": bbo.Float(0.0, 1.0), "lr": bbo.Float(1e-5, 0.1, log=True), "n": bbo.Int(1, 9)}
    )
    study = bbo.Study(space, strategy="sobol", seed=0)
    for _ in range(16):
        p = study.ask().params
        for k in ("x", "lr"):
            assert p[k] == float(f"{p[k]:.10g}") and space[k].low <= p[k] <= space[k].high
        assert isinstance(p["n"], int)
