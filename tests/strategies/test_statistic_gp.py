"""``gp`` on an objective statistic (issue 20): the per-point empirical statistic is the
value, its bootstrap standard error the known noise (not the mean's var/n)."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.statistics import Statistic, noise_variance
from bbo.strategies import History
from bbo.strategies.pipeline import known_noise

FAST = {"num_restarts": 2, "raw_samples": 64, "mc_samples": 64}
SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})


def law(x: float, rng: np.random.Generator, n: int = 20) -> list[float]:
    """Mean (x - 0.3)^2 + 0.2, a right tail that grows with x's distance from 0.8."""
    base = (x - 0.3) ** 2 + 0.2 + 0.02 * rng.standard_normal(n)
    tail = rng.random(n) < 0.15
    return (base + tail * 3.0 * abs(x - 0.8)).tolist()


@pytest.mark.parametrize("statistic", ["cvar(0.9)", "p90", "mean_std(1)"])
def test_gp_sees_the_statistic_and_its_bootstrap_noise(statistic):
    study = bbo.Study(SPACE, strategy="gp", seed=0, strategy_options=FAST, statistic=statistic)
    rng = np.random.default_rng(0)
    for _ in range(7):
        t = study.ask()
        study.tell(t, samples=law(t.params["x"], rng))
    history = History(study.space, study.objectives, tuple(study.trials))
    stat = Statistic.parse(statistic)
    np.testing.assert_allclose(
        history.Y[:, 0], [stat.compute(t.samples) for t in history.completed]
    )
    noise = known_noise(history)
    want = [noise_variance(t.samples, stat, seed=t.id) for t in history.completed]
    np.testing.assert_allclose(noise[:, 0], want)
    mean_noise = [np.var(t.samples, ddof=1) / len(t.samples) for t in history.completed]
    assert not np.allclose(noise[:, 0], mean_noise)
    nxt = study.ask()
    assert nxt.attrs["source"] == "gp:LogEI" and 0.0 <= nxt.params["x"] <= 1.0


def test_same_seed_same_suggestions_on_a_statistic():
    def run() -> list[float]:
        study = bbo.Study(SPACE, strategy="gp", seed=3, strategy_options=FAST, statistic="p90")
        rng = np.random.default_rng(1)
        for _ in range(7):
            t = study.ask()
            study.tell(t, samples=law(t.params["x"], rng))
        return [t.params["x"] for t in study.trials]

    assert run() == run()
