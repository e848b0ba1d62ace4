"""``wasserstein`` on an objective statistic (issue 20): the statistic as a functional of
the predicted law, and the bonus as the members' disagreement about it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.statistics import Statistic
from bbo.surrogates.law_statistic import StatisticGenerativeModel, law_statistic
from bbo.surrogates.wasserstein import GeneratorConfig, fit_generator

FAST = {"members": 3, "steps": 30, "pool_size": 256, "polish_steps": 2, "n_quantiles": 16}


@pytest.mark.parametrize(
    "text", ["mean", "cvar(0.7)", "cvar(0.75)", "mean_std(1.5)", "exceed(-3.5)"]
)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_law_statistic_is_the_utility_of_the_sample_statistic(text, sign):
    stat = Statistic.parse(text)
    gen = torch.Generator().manual_seed(0)
    U = torch.sort(torch.randn(4, 20, dtype=torch.float64, generator=gen))[0]
    got = law_statistic(U, stat, sign)
    Y = (-sign * U).numpy()
    if stat.name == "mean_std":  # the law's sd over its atoms (ddof 0)
        want = -sign * (Y.mean(-1) + sign * stat.param * Y.std(-1))
    else:
        want = -sign * stat.compute_many(Y, sign)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_quantile_of_the_law_reads_the_atoms_at_their_levels():
    U = torch.arange(10.0, dtype=torch.float64)  # levels 0.05, 0.15, ..., 0.95
    assert float(law_statistic(U, Statistic("quantile", 0.9), 1.0)) == pytest.approx(0.5)
    assert float(law_statistic(U, Statistic("quantile", 0.9), -1.0)) == pytest.approx(8.5)
    assert float(law_statistic(U, Statistic("median"), 1.0)) == pytest.approx(4.5)


def test_statistic_model_mean_and_spread_are_in_the_statistic_units():
    X = torch.rand(6, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    sets = [torch.randn(12, dtype=torch.float64) * (1 + 3 * x) for x in X[:, 0]]
    cfg = GeneratorConfig(n_quantiles=16, hidden=16, members=3, steps=20)
    base = fit_generator(X, sets, config=cfg, seed=0)
    stat = Statistic("cvar", 0.75)
    model = StatisticGenerativeModel(base, stat, 1.0)
    Xc = torch.linspace(0, 1, 5, dtype=torch.float64)[:, None]
    with torch.no_grad():
        members = law_statistic(base.member_quantiles(Xc), stat, 1.0)  # M x 5
        np.testing.assert_allclose(model.mean(Xc), law_statistic(base.quantiles(Xc), stat, 1.0))
        rms = (members - members.mean(0)).square().mean(0).sqrt()
        np.testing.assert_allclose(model.spread(Xc), rms.clamp_min(1e-15), rtol=1e-9)


def test_wasserstein_study_on_cvar_suggests_and_is_deterministic():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})

    def run() -> list[float]:
        study = bbo.Study(
            space, strategy="wasserstein", seed=0, strategy_options=FAST, statistic="cvar(0.8)"
        )
        rng = np.random.default_rng(0)
        for _ in range(6):
            t = study.ask()
            x = t.params["x"]
            tail = rng.random(10) < 0.2
            study.tell(t, samples=((x - 0.3) ** 2 + tail * 2 * (1 - x)).tolist())
        assert study.trials[-1].attrs["source"].startswith("wasserstein")
        return [t.params["x"] for t in study.trials]

    assert run() == run()
