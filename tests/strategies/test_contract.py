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
