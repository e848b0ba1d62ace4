"""piBO weighting (bbo.acquisition.prior): acq + (beta / n) log pi_mix, decaying with n, where
pi_mix = (1 - FLOOR) pi + FLOOR is the prior mixed with the uniform density of the cube."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.acquisition.analytic import LogExpectedImprovement

from bbo.acquisition.prior import DEFAULT_BETA, FLOOR, PriorWeighted, prior_weight, weighted
from bbo.acquisition.registry import _CachedLogEI
from bbo.space import Categorical, Float, Prior, Space
from bbo.space.prior import space_prior
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp

SPACE = Space(
    {
        "x": Float(0, 1, prior=Prior(mean=0.2, sd=0.1)),
        "y": Float(0, 1),
        "c": Categorical(["a", "b", "c"], prior={"choice": "b", "weight": 0.8}),
    }
)


def _mixed(lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log((1 - FLOOR) e^lp + FLOOR) and its derivative in lp, written out."""
    p = (1 - FLOOR) * np.exp(lp) + FLOOR
    return np.log(p), (1 - FLOOR) * np.exp(lp) / p


def _model(n: int = 12):
    g = np.random.default_rng(0)
    X = g.random((n, 3))
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    Y = -((X[:, :1] - 0.7) ** 2) - X[:, 1:2] ** 2
    model, _ = fit_gp(GPData(X, Y, None), cat_dims=[2], device=torch.device("cpu"), state=None)
    return model, torch.as_tensor(X), float(Y.max())


def test_weight_decays_with_n() -> None:
    assert prior_weight(10.0, 5) == 2.0
    assert prior_weight(10.0, 100) == pytest.approx(0.1)
    assert prior_weight(10.0, 0) == 10.0  # n floored at 1
    assert DEFAULT_BETA == 10.0


@pytest.mark.parametrize("n", [5, 50])
def test_weighted_equals_acq_plus_weighted_log_prior(n: int) -> None:
    model, _, best = _model()
    acqf = LogExpectedImprovement(model, best_f=best)
    w = weighted(acqf, SPACE, n, beta=10.0)
    assert isinstance(w, PriorWeighted) and w.weight == pytest.approx(10.0 / n)
    X = torch.rand(7, 1, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    prior = space_prior(SPACE)
    assert prior is not None
    lp, _ = prior.log_density_np(X.reshape(-1, 3).numpy())
    with torch.no_grad():
        got = w(X)
        base = acqf(X)
    np.testing.assert_allclose(got.numpy(), base.numpy() + (10.0 / n) * _mixed(lp)[0], rtol=1e-10)


def test_batches_sum_the_prior_over_points() -> None:
    model, _, best = _model()
    prior = space_prior(SPACE)
    assert prior is not None

    class Zero(LogExpectedImprovement):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return X.new_zeros(X.shape[:-2])

    w = PriorWeighted(Zero(model, best_f=best), prior, 0.5)
    X = torch.rand(4, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    lp, _ = prior.log_density_np(X.reshape(-1, 3).numpy())
    want = 0.5 * _mixed(lp)[0].reshape(4, 3).sum(-1)
    np.testing.assert_allclose(w(X).numpy(), want, rtol=1e-10)


def test_numpy_fast_path_matches_torch_and_gradients() -> None:
    model, _, best = _model()
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    inner = _CachedLogEI(model, torch.tensor(best, dtype=torch.float64), cache)
    w = weighted(inner, SPACE, 8, beta=10.0)
    f = w.numpy_value_and_grad
    assert f is not None
    x = np.random.default_rng(3).random((5, 3))
    value, grad = f(x)
    xt = torch.tensor(x[:, None, :], requires_grad=True)
    vt = w(xt)
    vt.sum().backward()
    np.testing.assert_allclose(value, vt.detach().numpy(), rtol=1e-8)
    np.testing.assert_allclose(grad[:, :2], xt.grad[:, 0, :2].numpy(), rtol=1e-6, atol=1e-9)
    v0, g0 = inner.numpy_value_and_grad(x)
    prior = space_prior(SPACE)
    lp, dlp = prior.log_density_np(x)
    mixed, slope = _mixed(lp)
    np.testing.assert_allclose(value, v0 + 10.0 / 8 * mixed)
    np.testing.assert_allclose(grad, g0 + 10.0 / 8 * slope[:, None] * dlp)


def test_a_misleading_prior_costs_at_most_the_floor() -> None:
    """Far from a sharp prior's mode (log pi about -450 here) the weight is (beta / n) log
    FLOOR, not (beta / n) log pi: a bounded penalty whatever the dimension."""
    model, _, best = _model()
    sharp = Space({f"x{i}": Float(0, 1, prior=Prior(mean=0.05, sd=0.03)) for i in range(3)})
    prior = space_prior(sharp)
    assert prior is not None

    class Zero(LogExpectedImprovement):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return X.new_zeros(X.shape[:-2])

    w = PriorWeighted(Zero(model, best_f=best), prior, 1.0)
    far = torch.full((1, 1, 3), 0.95, dtype=torch.float64)
    assert prior.log_density_np(far.reshape(1, 3).numpy())[0][0] < -400
    assert float(w(far)) == pytest.approx(np.log(FLOOR + (1 - FLOOR) * 0.0), rel=1e-6)
    near = torch.full((1, 1, 3), 0.05, dtype=torch.float64)
    assert float(w(near)) > 6.0  # the mode keeps its weight: 3 columns of density ~13


def test_no_prior_or_zero_beta_leaves_the_acquisition() -> None:
    model, _, best = _model()
    acqf = LogExpectedImprovement(model, best_f=best)
    plain = Space({"x": Float(0, 1), "y": Float(0, 1), "c": Categorical(["a", "b", "c"])})
    assert weighted(acqf, plain, 10, beta=10.0) is acqf
    assert weighted(acqf, SPACE, 10, beta=0.0) is acqf


def test_pending_points_are_the_inner_acquisitions() -> None:
    from botorch.acquisition import qUpperConfidenceBound

    model, _, _ = _model()
    inner = qUpperConfidenceBound(model, beta=4.0)
    w = weighted(inner, SPACE, 10, beta=10.0)
    assert w.X_pending is None
    P = torch.rand(2, 3, dtype=torch.float64)
    w.set_X_pending(P)
    assert torch.equal(inner.X_pending, P) and torch.equal(w.X_pending, P)
