"""CachedGP reproduces gpytorch's exact posterior, and the cached LogEI botorch's LogEI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from botorch.acquisition.analytic import LogExpectedImprovement, _log_ei_helper
from botorch.models import MixedSingleTaskGP, SingleTaskGP
from gpytorch.kernels import MaternKernel, RBFKernel, ScaleKernel

from bbo.acquisition.logei import log_h
from bbo.acquisition.optimize import refine
from bbo.acquisition.registry import _CachedLogEI
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp


def _data(n: int = 30, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64)
    Y = (X - 0.3).pow(2).sum(-1, keepdim=True) * 7 + 0.1 * torch.randn(
        n, 1, generator=g, dtype=torch.float64
    )
    return X, Y


def _assert_same_posterior(model: SingleTaskGP, cache: CachedGP, seed: int = 1) -> None:
    x = torch.rand(
        64,
        model.train_inputs[0].shape[-1],
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(seed),
    )
    with torch.no_grad():
        post = model.posterior(x)
        mean, var = cache.mean_var(x)
    torch.testing.assert_close(mean, post.mean.squeeze(-1), rtol=1e-7, atol=1e-8)
    torch.testing.assert_close(var, post.variance.squeeze(-1), rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(cache.mean(x), mean)
    assert (var > 1e-6).any()  # away from data the variance is not negligible


def test_fitted_model_of_fit_gp_matches_gpytorch():
    X, Y = _data()
    torch.manual_seed(0)
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None
    _assert_same_posterior(model, cache)


def test_cache_is_remembered_per_model_until_a_value_changes():
    X, Y = _data()
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    first = CachedGP.from_model(model)
    assert first is not None and CachedGP.from_model(model) is first
    with torch.no_grad():  # gpytorch's setter writes through .data
        model.covar_module.lengthscale = model.covar_module.lengthscale * 2
    second = CachedGP.from_model(model)
    assert second is not None and second is not first
    assert not torch.allclose(second.K_inv, first.K_inv)
    _assert_same_posterior(model, second)
    X2, Y2 = _data(n=31, seed=3)
    model.set_train_data(X2, model.outcome_transform(Y2)[0].squeeze(-1), strict=False)
    third = CachedGP.from_model(model)
    assert third is not None and third.X.shape == (31, 3)


def test_fixed_noise_and_scaled_kernel_match():
    X, Y = _data(n=25, d=2, seed=3)
    model = SingleTaskGP(
        X,
        Y,
        train_Yvar=torch.full_like(Y, 0.02),
        covar_module=ScaleKernel(RBFKernel(ard_num_dims=2)),
    )
    with torch.no_grad():
        model.covar_module.outputscale = torch.tensor(2.5, dtype=torch.float64)
        model.covar_module.base_kernel.lengthscale = torch.tensor([[0.2, 0.7]], dtype=torch.float64)
    model.eval()
    cache = CachedGP.from_model(model)
    assert cache is not None
    _assert_same_posterior(model, cache, seed=4)


def test_matern52_kernel_matches_gpytorch():
    X, Y = _data(n=25, d=3, seed=5)
    model = SingleTaskGP(X, Y, covar_module=MaternKernel(nu=2.5, ard_num_dims=3))
    with torch.no_grad():
        model.covar_module.lengthscale = torch.tensor([[0.3, 0.8, 0.5]], dtype=torch.float64)
    model.eval()
    cache = CachedGP.from_model(model)
    assert cache is not None
    _assert_same_posterior(model, cache, seed=6)


@pytest.mark.parametrize("kernel", ["product", "additive"])
def test_mixed_models_match_gpytorch(kernel):
    X, Y = _data(n=30, d=4, seed=7)
    torch.manual_seed(0)
    X[:, 2] = (torch.randint(0, 3, (len(X),), dtype=torch.float64) + 0.5) / 3
    X[:, 3] = (torch.randint(0, 4, (len(X),), dtype=torch.float64) + 0.5) / 4
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()),
        cat_dims=[2, 3],
        device=torch.device("cpu"),
        state=None,
        mixed_kernel=kernel,
    )
    assert isinstance(model, MixedSingleTaskGP) == (kernel == "additive")
    cache = CachedGP.from_model(model)
    assert cache is not None
    x = torch.rand(64, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    x[:, 2] = X[torch.arange(64) % 30, 2]  # categorical columns take their levels
    x[:, 3] = X[(torch.arange(64) * 7) % 30, 3]
    with torch.no_grad():
        post = model.posterior(x)
        mean, var = cache.mean_var(x)
    torch.testing.assert_close(mean, post.mean.squeeze(-1), rtol=1e-7, atol=1e-8)
    torch.testing.assert_close(var, post.variance.squeeze(-1), rtol=1e-6, atol=1e-9)


def test_unsupported_models_fall_back():
    X, Y = _data(d=3)
    assert CachedGP.from_model(SingleTaskGP(X, torch.cat([Y, -Y], -1))) is None
    assert (
        CachedGP.from_model(SingleTaskGP(X, Y, covar_module=MaternKernel(nu=1.5, ard_num_dims=3)))
        is None
    )


def test_cached_log_ei_equals_botorch_log_ei_and_gradient():
    X, Y = _data(n=40, d=4, seed=5)
    torch.manual_seed(0)
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None
    best_f = Y.max()
    x = torch.rand(16, 1, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    ref = LogExpectedImprovement(model, best_f=best_f)(x1)
    got = _CachedLogEI(model, best_f, cache)(x2)
    torch.testing.assert_close(got, ref, rtol=1e-6, atol=1e-8)
    ref.sum().backward()
    got.sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-5, atol=1e-8)


def _assert_numpy_mirror(cache: CachedGP, x: torch.Tensor) -> np.ndarray:
    """The numpy mirror's mean, variance and their gradients at ``x`` equal the torch
    cache's (gradients by autograd); returns the mean's gradient."""
    assert cache.grad is not None
    x = x.clone().requires_grad_(True)
    mean, var = cache.mean_var(x)
    dmean = torch.autograd.grad(mean.sum(), x, retain_graph=True)[0]
    dvar = torch.autograd.grad(var.sum(), x)[0]
    m, v, dm, dv = cache.grad(x.detach().numpy())
    np.testing.assert_allclose(m, mean.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(v, var.detach().numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(dm, dmean.numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dv, dvar.numpy(), rtol=1e-6, atol=1e-9)
    assert dm is not None
    return dm


@pytest.mark.parametrize("kernel", ["rbf", "matern52", "scaled"])
def test_numpy_posterior_and_gradients_equal_the_torch_cache(kernel):
    X, Y = _data(n=30, d=3, seed=9)
    if kernel == "scaled":
        model = SingleTaskGP(X, Y, covar_module=ScaleKernel(RBFKernel(ard_num_dims=3)))
        with torch.no_grad():
            model.covar_module.outputscale = torch.tensor(1.7, dtype=torch.float64)
    else:
        model, _ = fit_gp(
            GPData(X.numpy(), Y.numpy()),
            cat_dims=[],
            device=torch.device("cpu"),
            state=None,
            kernel=kernel,
        )
    model.eval()
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    x = torch.rand(20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(10))
    _assert_numpy_mirror(cache, x)


def test_value_only_forward_equals_the_value_with_gradients():
    """Raw samples and pools are scored without gradients (``numpy_forward``): the same
    values, bit for bit, as the optimizer's value-and-gradient path."""
    from bbo.acquisition.registry import _CachedUCB

    X, Y = _data(n=25, d=3, seed=4)
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None
    x = torch.rand(64, 1, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    for acqf in (
        _CachedLogEI(model, torch.tensor(float(Y.min())), cache),
        _CachedUCB(model, 2.0, cache),
    ):
        with torch.no_grad():
            plain = acqf(x)
        graded = acqf(x.clone().requires_grad_(True))
        assert graded.requires_grad and not plain.requires_grad
        assert torch.equal(plain, graded.detach())


def test_numpy_log_h_matches_botorch_far_into_the_tails():
    u = torch.cat(
        [
            -torch.logspace(8, -3, 500, dtype=torch.float64),
            torch.linspace(-5, 40, 500, dtype=torch.float64),
        ]
    )
    np.testing.assert_allclose(log_h(u.numpy()), _log_ei_helper(u).numpy(), rtol=1e-10, atol=1e-12)


def test_log_h_of_a_mixed_batch_equals_each_branch_alone():
    u = np.array([-1e7, -30.0, -1.0, -0.999, 0.0, 3.0, np.nan])
    mixed = log_h(u)
    alone = np.concatenate([log_h(u[:3]), log_h(u[3:6]), log_h(u[6:])])
    np.testing.assert_array_equal(mixed, alone)
    np.testing.assert_array_equal(log_h(u[[2]]), log_h(np.array([-1.0, 5.0]))[:1])


def test_refine_reaches_the_same_points_with_and_without_the_numpy_path():
    X, Y = _data(n=25, d=2, seed=11)
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    fast = _CachedLogEI(model, Y.max(), cache)
    slow = _CachedLogEI(model, Y.max(), dataclasses.replace(cache, grad=None))
    assert fast.numpy_value_and_grad is not None and slow.numpy_value_and_grad is None
    starts = torch.rand(6, 1, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    Xf, vf = refine(fast, starts, bounds, maxiter=200)
    Xs, vs = refine(slow, starts, bounds, maxiter=200)
    with torch.no_grad():
        assert (vf >= fast(starts) - 1e-9).all()  # ascent from every start
        torch.testing.assert_close(vf, slow(Xf.unsqueeze(-2)), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(vf, vs, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(Xf, Xs, rtol=0, atol=2e-3)


@pytest.mark.parametrize("kernel", ["rbf", "matern52"])
def test_numpy_posterior_of_a_mixed_product_kernel_equals_the_torch_cache(kernel):
    X, Y = _data(n=30, d=4, seed=13)
    g = torch.Generator().manual_seed(14)
    X[:, 1] = (torch.randint(0, 3, (len(X),), generator=g, dtype=torch.float64) + 0.5) / 3
    X[:, 3] = (torch.randint(0, 2, (len(X),), generator=g, dtype=torch.float64) + 0.5) / 2
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()),
        cat_dims=[1, 3],
        device=torch.device("cpu"),
        state=None,
        kernel=kernel,
    )
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    x = torch.rand(20, 4, dtype=torch.float64, generator=g)
    x[:, 1], x[:, 3] = X[:20, 1], X[5:25, 3]  # categorical columns at their levels
    dm = _assert_numpy_mirror(cache, x)
    assert not dm[:, [1, 3]].any()  # categorical columns move by discrete steps
