"""The exact 1-D Wasserstein distances and the conditional quantile generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
from botorch.acquisition import qUpperConfidenceBound
from botorch.posteriors.ensemble import EnsemblePosterior
from botorch.sampling.index_sampler import IndexSampler

from bbo.surrogates.wasserstein import (
    GeneratorConfig,
    WassersteinGenerativeModel,
    fit_generator,
    merge_plan,
    wasserstein_1d,
    wasserstein_to_sets,
)
from bbo.testing.stochastic import PROBLEMS

SIZES = [(1, 1), (5, 7), (20, 20), (13, 1), (32, 20), (7, 64)]


@pytest.mark.parametrize(("nu", "nv"), SIZES)
def test_w1_equals_scipy(nu, nv):
    rng = np.random.default_rng(nu * 100 + nv)
    u, v = rng.normal(size=nu), rng.gamma(2.0, size=nv) - 1.0
    assert wasserstein_1d(u, v, p=1) == pytest.approx(scipy.stats.wasserstein_distance(u, v))


@pytest.mark.parametrize(("nu", "nv"), SIZES)
def test_w2_equals_the_quantile_integral(nu, nv):
    # W2^2 = int_0^1 (F_u^-1(t) - F_v^-1(t))^2 dt; both quantile functions are constant on the
    # cells of the grid t_m = (m - 1/2) / L with L = lcm(nu, nv): the midpoint rule is exact
    rng = np.random.default_rng(nu + 7 * nv)
    u, v = np.sort(rng.normal(size=nu)), np.sort(rng.standard_t(3, size=nv))
    L = math.lcm(nu, nv)
    t = (np.arange(L) + 0.5) / L
    Qu, Qv = u[np.ceil(t * nu).astype(int) - 1], v[np.ceil(t * nv).astype(int) - 1]
    assert wasserstein_1d(u, v, p=2) == pytest.approx(np.sqrt(np.mean((Qu - Qv) ** 2)))


def test_merge_plan_covers_the_unit_interval_once():
    w, a, b = merge_plan(4, 6)
    assert float(w.sum()) == pytest.approx(1.0)
    assert len(w) == 4 + 6 - 2  # breakpoints 1/2 and 1 are shared
    assert a.tolist() == sorted(a.tolist()) and b.tolist() == sorted(b.tolist())
    assert a.max() == 3 and b.max() == 5


def test_all_candidates_against_ragged_sets_at_once_equals_pairwise():
    rng = np.random.default_rng(0)
    U = torch.sort(torch.as_tensor(rng.normal(size=(9, 16))))[0]
    sets = [torch.sort(torch.as_tensor(rng.normal(size=r)))[0] for r in (1, 5, 16, 5, 3)]
    expected = {}
    for p in (1, 2):
        W = expected[p] = wasserstein_to_sets(U, sets, p)
        assert W.shape == (9, 5)
        for i in range(9):
            for j, s in enumerate(sets):
                assert float(W[i, j]) == pytest.approx(wasserstein_1d(U[i], s, p))
    # processed in blocks of a few candidates: the same numbers
    import bbo.surrogates.wasserstein as w

    old, w.CHUNK = w.CHUNK, 7
    try:
        for p in (1, 2):
            assert torch.allclose(wasserstein_to_sets(U, sets, p), expected[p])
    finally:
        w.CHUNK = old


@pytest.fixture(scope="module")
def hetero() -> WassersteinGenerativeModel:
    """Fitted on ``y = sin(6 x) + (0.05 + 0.5 x) e``, 25 points x 20 replicates."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 25)
    sets = [torch.as_tensor(np.sin(6 * xi) + (0.05 + 0.5 * xi) * rng.normal(size=20)) for xi in x]
    X = torch.as_tensor(x[:, None])
    return fit_generator(X, sets, config=GeneratorConfig(steps=200), seed=0)


def test_spread_is_wider_where_the_response_is_noisier(hetero):
    xs = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
    with torch.no_grad():
        Q = hetero.quantiles(xs)
        mean = hetero.mean(xs)
    iqr = (Q[:, 24] - Q[:, 8]).numpy()  # atoms at levels 0.766 and 0.266
    true_iqr = (0.05 + 0.5 * xs[:, 0].numpy()) * (scipy.stats.norm.ppf(0.766) * 2)
    assert iqr[0] < iqr[1] < iqr[2]
    assert iqr[2] > 3 * iqr[0]
    np.testing.assert_allclose(iqr, true_iqr, rtol=0.35)
    np.testing.assert_allclose(mean.numpy(), np.sin(6 * xs[:, 0].numpy()), atol=0.12)


def test_posterior_shapes_and_mc_acquisition(hetero):
    X = torch.rand(4, 3, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    post = hetero.posterior(X)
    assert isinstance(post, EnsemblePosterior)
    assert post.mean.shape == (4, 3, 1) and post.ensemble_size == 32
    assert torch.all(post.variance > 0)
    draws = hetero.sample(X[0], 500, torch.Generator().manual_seed(1))
    assert draws.shape == (3, 500)
    with torch.no_grad():
        np.testing.assert_allclose(draws.mean(-1), hetero.mean(X[0]), atol=0.05)
    sampler = IndexSampler(torch.Size([64]), seed=0)
    acqf = qUpperConfidenceBound(hetero, beta=2.0, sampler=sampler)
    Xq = X[:, :2].clone().requires_grad_(True)
    value = acqf(Xq)
    value.sum().backward()
    assert value.shape == (4,) and Xq.grad is not None and torch.isfinite(Xq.grad).all()


def test_bimodal_problem_replicates_are_seeded_and_bimodal():
    p = PROBLEMS["levi-bimodal"]
    params = {"x0": 1.0, "x1": 0.5}  # sin^2(3 pi x1) = 1: modes sd 0.01 and 0.031, 0.1 apart
    a = p.sample(params, 400, np.random.default_rng(3))
    b = p.sample(params, 400, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    centre = p.mean(params)
    lo, hi = a[a < centre], a[a >= centre]
    assert 150 < len(lo) < 250
    assert lo.mean() == pytest.approx(centre - 0.05, abs=0.01)
    assert hi.mean() == pytest.approx(centre + 0.05, abs=0.01)
    assert abs(np.mean(np.abs(a - centre) < 0.02)) < 0.35  # little mass between the modes
    assert p.regret(dict(zip(p.space.names, p.argmin))) == 0.0


def test_ensemble_members_barycenter_and_spread_grow_away_from_the_data():
    rng = np.random.default_rng(4)
    x = np.linspace(0.0, 0.5, 12)  # no data on (0.5, 1]
    sets = [torch.as_tensor(np.sin(6 * xi) + 0.1 * rng.normal(size=10)) for xi in x]
    cfg = GeneratorConfig(steps=150, members=4)
    model = fit_generator(torch.as_tensor(x[:, None]), sets, config=cfg, seed=0)
    xs = torch.tensor([[0.1], [0.3], [0.95]], dtype=torch.float64)
    with torch.no_grad():
        Qm = model.member_quantiles(xs)  # M x 3 x K
        Q = model.quantiles(xs)
        s = model.spread(xs)
        post = model.posterior(xs[None])
    assert Qm.shape == (4, 3, 32) and torch.all(Qm.diff(dim=-1) >= 0)
    torch.testing.assert_close(Q, Qm.mean(0))  # the 1-D W2 barycenter: averaged quantiles
    # s(x)^2 is the mean squared W2 distance of the members to the barycenter
    for j in range(3):
        w2 = [wasserstein_1d(Qm[m, j], Q[j], 2) ** 2 for m in range(4)]
        assert float(s[j]) == pytest.approx(math.sqrt(np.mean(w2)), rel=1e-9)
    assert float(s[2]) > 3 * max(float(s[0]), float(s[1]))  # epistemic: large off the data
    assert post.ensemble_size == 4 * 32  # the mixture of the members' atoms
    torch.testing.assert_close(post.mean[0, :, 0], model.mean(xs))
    with torch.no_grad():
        draws = model.sample(xs, 4000, torch.Generator().manual_seed(0))
        np.testing.assert_allclose(draws.mean(-1), model.mean(xs), atol=0.05)


def test_a_location_model_carries_the_mean_and_its_variance_enters_the_spread():
    from bbo.surrogates.gp import GPData, fit_gp

    rng = np.random.default_rng(5)
    x = np.linspace(0.0, 0.6, 10)
    sets = [torch.as_tensor(3.0 * xi + rng.normal(0.0, 0.2, 12)) for xi in x]
    X = torch.as_tensor(x[:, None])
    Y = np.array([[float(s.mean())] for s in sets])
    Yvar = np.array([[float(s.var()) / 12] for s in sets])
    gp, _ = fit_gp(GPData(x[:, None], Y, Yvar), cat_dims=[], device=X.device, state=None)
    cfg = GeneratorConfig(steps=100, members=3)
    model = fit_generator(X, sets, config=cfg, seed=0, location=gp)
    xs = torch.tensor([[0.3], [1.0]], dtype=torch.float64)
    with torch.no_grad():
        gp_mean = gp.posterior(xs).mean[:, 0]
        gp_var = gp.posterior(xs).variance[:, 0]
        mean, s = model.mean(xs), model.spread(xs)
        Qm = model.member_quantiles(xs)
    # the networks fit the residual laws around the GP mean: their own location stays small
    assert float((mean - gp_mean).abs().max()) < 0.1
    assert float(mean[0]) == pytest.approx(0.9, abs=0.1)
    own = (Qm - Qm.mean(0)).square().mean((0, -1))
    torch.testing.assert_close(s.square(), own + gp_var)
    assert float(gp_var[1]) > 10 * float(gp_var[0])  # x = 1 is far from the data
