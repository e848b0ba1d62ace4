"""``wasserstein`` on an objective statistic (issue 20): the statistic as a functional of
the predicted law, and the bonus as the members' disagreement about it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.statistics import Statistic
from bbo.surrogates.law_statistic import (
    StatisticGenerativeModel,
    _probit_of_log,
    law_statistic,
    smoothed_exceed_probit,
)
from bbo.surrogates.wasserstein import GeneratorConfig, fit_generator

FAST = {"members": 3, "steps": 30, "pool_size": 256, "polish_steps": 2, "n_quantiles": 16}


@pytest.mark.parametrize("text", ["mean", "cvar(0.7)", "cvar(0.75)", "mean_std(1.5)"])
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


def _probit_reference(y: np.ndarray, t: float, h: float | None = None) -> float:
    """scipy's ``ndtri_exp`` of the smoothed exceedance's logs (law_statistic's docstring),
    at bandwidth ``h`` (None: law_statistic's ``1.06 sd K^(-1/5)``)."""
    from scipy.special import log_ndtr, logsumexp, ndtri_exp

    K = len(y)
    if h is None:
        h = max(1.06 * y.std() * K**-0.2, 1e-9 + 1e-6 * (abs(t) + np.abs(y).mean()))
    log_p = logsumexp(log_ndtr((y - t) / h)) - np.log(K)
    log_q = logsumexp(log_ndtr((t - y) / h)) - np.log(K)
    return float(ndtri_exp(log_p) if log_p <= log_q else -ndtri_exp(log_q))


def test_probit_of_log_is_scipys_ndtri_exp_down_to_tiny_probabilities():
    from scipy.special import ndtri_exp

    L = torch.tensor([-0.6931, -0.7, -3.0, -40.0, -689.0, -691.0, -5e3, -1e5], dtype=torch.float64)
    np.testing.assert_allclose(_probit_of_log(L).numpy(), ndtri_exp(L.numpy()), rtol=1e-10)


@pytest.mark.parametrize("shift", [0.0, 0.3, 3.0, 30.0, -30.0])
def test_smoothed_exceed_probit_is_finite_and_matches_the_formula(shift):
    rng = np.random.default_rng(3)
    y = np.sort(rng.exponential(size=16)) * 0.2 + shift
    got = float(smoothed_exceed_probit(torch.as_tensor(y), 0.4))
    assert np.isfinite(got)
    assert got == pytest.approx(_probit_reference(y, 0.4), rel=1e-8, abs=1e-9)


def test_exceed_is_graded_on_the_plateau_and_ranks_as_the_exceedance():
    base = torch.linspace(0.0, 0.2, 16, dtype=torch.float64)
    # every atom far above the limit 0: the frequency is 1 at each, the probit is not flat
    far = torch.stack([base + d for d in (1.0, 2.0, 4.0)])
    z = smoothed_exceed_probit(far, 0.0)
    assert torch.all(z[1:] > z[:-1]) and torch.all(torch.isfinite(z))
    # to minimize the exceedance, the law nearer the limit has the higher utility
    u = law_statistic(-far, Statistic("exceed", 0.0), 1.0)
    assert torch.all(u[:-1] > u[1:])
    # away from saturation, Phi(z) is the smoothed exceedance, near the frequency
    mid = torch.randn(64, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    mid = torch.sort(mid)[0]
    p = float(torch.special.ndtr(smoothed_exceed_probit(mid, 0.5)))
    assert p == pytest.approx(float((mid > 0.5).double().mean()), abs=0.05)
    # to maximize it, the sign flips
    hi = law_statistic(far, Statistic("exceed", 0.0), -1.0)  # utilities u = y
    assert torch.all(hi[1:] > hi[:-1])


def test_statistic_spread_carries_the_location_variance_by_the_delta_method():
    X = torch.rand(8, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    sets = [(x + 0.3 * torch.randn(10, dtype=torch.float64)) for x in X[:, 0]]
    from bbo.surrogates.gp import GPData, fit_gp

    Y = np.array([[float(s.mean())] for s in sets])
    loc, _ = fit_gp(GPData(X.numpy(), Y, None), cat_dims=[], device=torch.device("cpu"), state=None)
    cfg = GeneratorConfig(n_quantiles=16, hidden=16, members=3, steps=20)
    base = fit_generator(X, sets, config=cfg, seed=0, location=loc)
    Xc = torch.linspace(0, 1, 5, dtype=torch.float64)[:, None]
    with torch.no_grad():
        _, loc_var = base.location_moments(Xc)
        for stat in (Statistic("cvar", 0.75), Statistic("exceed", 0.5)):
            model = StatisticGenerativeModel(base, stat, 1.0)
            members = law_statistic(base.member_quantiles(Xc), stat, 1.0)
            member_var = (members - members.mean(0)).square().mean(0)
            extra = model.spread(Xc).square() - member_var  # g^2 var_loc
            assert torch.all(extra >= -1e-12)
            if stat.name == "cvar":  # shift-equivariant: g = 1, the location variance itself
                np.testing.assert_allclose(extra, loc_var, rtol=1e-5, atol=1e-12)


def test_the_numpy_twin_for_a_gp_target_is_the_same_score_at_its_own_bandwidth():
    # bbo.statistics scores replicates with Silverman's robust bandwidth (min(sd, IQR/1.34),
    # constant 0.9), law_statistic a predicted law's atoms with 1.06 sd: the same smoothed
    # probit of each at its own h
    from bbo.statistics import exceed_bandwidth, exceed_probit, exceed_target

    rng = np.random.default_rng(4)
    Y = rng.exponential(size=(5, 20)) + np.array([[-1.0], [0.0], [1.0], [5.0], [50.0]])
    h = exceed_bandwidth(Y, 0.5)[:, 0]
    want = np.array([_probit_reference(y, 0.5, float(hi)) for y, hi in zip(Y, h)])
    np.testing.assert_allclose(exceed_probit(Y, 0.5), want, rtol=1e-8, atol=1e-9)
    iqr = np.subtract(*np.quantile(Y, [0.75, 0.25], axis=1))
    np.testing.assert_allclose(h, 0.9 * np.minimum(Y.std(axis=1), iqr / 1.34) * 20**-0.2)
    torch_z = smoothed_exceed_probit(torch.as_tensor(Y), 0.5).numpy()
    np.testing.assert_allclose(torch_z, [_probit_reference(y, 0.5) for y in Y], rtol=1e-8)
    # on a saturated point (every replicate above: the frequency is 1, its bootstrap se 0)
    # the target is finite, graded and uncertain; seeded, so the same every time
    z, var = exceed_target(Y[3], 0.5, seed=7)
    assert z == pytest.approx(want[3]) and var > 0 and np.isfinite(var)
    assert exceed_target(Y[3], 0.5, seed=7) == (z, var)
    assert Statistic("exceed", 0.5).compute(Y[3]) == 1.0


def test_wasserstein_on_a_saturated_exceedance_moves_towards_the_limit():
    # every replicate lies far above the limit 0 (the frequency is 1 at every point), the
    # location (x - 0.8)^2 + 1 is lowest at 0.8: the probit score still has that slope
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    opts = {**FAST, "members": 3}

    def run() -> list[float]:
        study = bbo.Study(
            space, strategy="wasserstein", seed=0, strategy_options=opts, statistic="exceed(0)"
        )
        rng = np.random.default_rng(0)
        for _ in range(9):
            t = study.ask()
            x = t.params["x"]
            study.tell(t, samples=(4 * (x - 0.8) ** 2 + 1 + 0.1 * rng.random(10)).tolist())
        assert all(t.value == 1.0 for t in study.trials)
        return [t.params["x"] for t in study.trials]

    xs = run()
    assert xs == run()
    # the 4 model-based asks after the 5 Sobol' points: near 0.8 (seed 0: 0.78-0.81)
    assert max(abs(x - 0.8) for x in xs[5:]) < 0.05
