"""The MAP fit of bbo.surrogates.mll: the same objective as gpytorch's marginal likelihood
plus priors (numpy and torch evaluators), its gradient, and an optimum at least as good as
botorch's fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from gpytorch.kernels import PeriodicKernel
from gpytorch.mlls import ExactMarginalLogLikelihood

from bbo.surrogates.gp import GPData, _gp, fit_gp
from bbo.surrogates.map_numpy import StationaryMAP
from bbo.surrogates.mll import TorchMAP, fit_map, map_objective

CPU = torch.device("cpu")


def _data(n: int = 30, d: int = 4, seed: int = 1, noisy: bool = True) -> GPData:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    Y = np.sin(5 * X).sum(1, keepdims=True) + (0.1 * rng.standard_normal((n, 1)) if noisy else 0)
    return GPData(X, Y)


def _gpytorch_value(model: SingleTaskGP) -> float:
    """gpytorch's exact marginal log likelihood plus log priors, over n (botorch's loss)."""
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    model.train()
    with torch.no_grad():
        value = float(mll(model(*model.train_inputs), model.train_targets).sum())
    model.eval()
    return value


def _mixed(data: GPData) -> GPData:
    """``data`` with columns 1 and 3 categorical (3 and 2 levels)."""
    X = data.X.copy()
    X[:, 1] = (np.floor(X[:, 1] * 3) + 0.5) / 3
    X[:, 3] = (np.floor(X[:, 3] * 2) + 0.5) / 2
    return GPData(X, data.Y, data.Yvar)


@pytest.mark.parametrize("kernel", ["rbf", "matern52", "rbf-mixed", "matern52-mixed"])
@pytest.mark.parametrize("fixed_noise", [False, True])
def test_numpy_objective_and_gradient_equal_gpytorch_and_autograd(kernel, fixed_noise):
    data = _data()
    if fixed_noise:
        data = GPData(data.X, data.Y, np.full_like(data.Y, 0.01))
    cat_dims = [1, 3] if kernel.endswith("-mixed") else []
    if cat_dims:
        data = _mixed(data)
    model = _gp(data, cat_dims, CPU, "product", kernel.removesuffix("-mixed"))
    numpy_map, torch_map = StationaryMAP.build(model), TorchMAP.build(model)
    assert numpy_map is not None and torch_map is not None
    z0, _ = numpy_map.start()
    rng = np.random.default_rng(2)
    for _ in range(3):
        z = z0 + 0.5 * rng.standard_normal(z0.shape)
        value = numpy_map.write(z)  # sets the model's parameters, returns L
        assert value == pytest.approx(_gpytorch_value(model), rel=1e-7)
        loss, grad = numpy_map.loss_and_grad(z)
        zt, _ = torch_map.start()
        loss_t, grad_t = torch_map.loss_and_grad(zt)
        assert loss == pytest.approx(loss_t, rel=1e-7)
        if not cat_dims:
            # the torch evaluator orders parameters as model.named_parameters(): noise,
            # constant, lengthscales; the numpy one lengthscales, noise, constant
            d = data.X.shape[1]
            np.testing.assert_allclose(
                np.concatenate([grad[d:], grad[:d]]), grad_t, rtol=1e-6, atol=1e-8
            )
        eps = 1e-6  # the gradient is the objective's: central differences
        for j in range(len(z)):
            step = np.zeros_like(z)
            step[j] = eps
            up, down = numpy_map.loss_and_grad(z + step)[0], numpy_map.loss_and_grad(z - step)[0]
            assert grad[j] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_map_is_at_least_as_good_as_botorch(seed):
    data = _data(n=40, d=5, seed=seed)
    ours = _gp(data, [], CPU, "product", "rbf")
    value = fit_map(ours)
    assert value is not None
    assert value == pytest.approx(_gpytorch_value(ours), rel=1e-7)
    ref = _gp(data, [], CPU, "product", "rbf")
    fit_gpytorch_mll(ExactMarginalLogLikelihood(ref.likelihood, ref))
    assert value >= _gpytorch_value(ref) - 1e-3
    if value < _gpytorch_value(ref) + 1e-3:  # the same optimum: the same lengthscales
        np.testing.assert_allclose(
            ours.covar_module.lengthscale.detach(), ref.covar_module.lengthscale.detach(), rtol=0.05
        )


def test_torch_evaluator_fits_additive_and_multi_output_models_to_gpytorchs_objective():
    data = _mixed(_data(n=30, d=4))
    mixed = _gp(data, [1, 3], CPU, "additive", "rbf")
    assert StationaryMAP.build(mixed) is None  # a sum of products: the torch evaluator
    value = fit_map(mixed)
    assert value is not None and value == pytest.approx(_gpytorch_value(mixed), rel=1e-7)
    two = _gp(GPData(data.X, np.concatenate([data.Y, -(data.Y**2)], 1)), [], CPU, "product", "rbf")
    objective = map_objective(two)
    assert objective is not None
    with torch.no_grad():
        assert float(objective()) == pytest.approx(_gpytorch_value(two), rel=1e-7)
    before = float(objective().detach())
    assert fit_map(two) is not None
    assert float(objective().detach()) > before


def test_models_it_does_not_know_are_left_to_botorch():
    data = _data(n=20, d=2)
    X, Y = torch.as_tensor(data.X), torch.as_tensor(data.Y)
    model = SingleTaskGP(X, Y, covar_module=PeriodicKernel())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert fit_map(model) is None
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    # fit_gp still fits such data: the models it builds are known
    fitted, state = fit_gp(data, cat_dims=[], device=CPU, state=None)
    assert np.isfinite(state["params"]["covar_module.raw_lengthscale"]).all()
    assert fitted.covar_module.lengthscale.min() >= 0.025


def test_a_line_search_step_to_a_huge_noise_is_a_bad_value_not_an_overflow():
    """L-BFGS-B may try log noise far beyond any optimum (seen on BBOB f21): the objective
    answers a finite, very bad value there instead of raising OverflowError."""
    data = _data()
    numpy_map = StationaryMAP.build(_gp(data, [], CPU, "product", "rbf"))
    assert numpy_map is not None
    z0, _ = numpy_map.start()
    z = z0.copy()
    z[data.X.shape[1]] = 800.0  # log noise variance: exp(800) overflows a float
    loss, grad = numpy_map.loss_and_grad(z)
    assert np.isfinite(loss) and loss > numpy_map.loss_and_grad(z0)[0] + 100
    assert np.isfinite(grad).all()
