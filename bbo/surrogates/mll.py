"""Maximum a posteriori GP hyperparameters, without gpytorch's per-call overhead.

botorch's ``fit_gpytorch_mll`` evaluates gpytorch's ``ExactMarginalLogLikelihood``, whose
every call goes through lazy tensors, module hooks and the prediction machinery: about
2-3 ms per evaluation on the 20-150 points of a typical study, and a fit takes 20-150
evaluations, at every ask. :func:`fit_map` maximizes the same objective with scipy's
L-BFGS-B:

    L(theta) = sum_b [ log N(y_b | c_b, K_b + diag(s_b)) + log p(theta_b) ] / n
    log N(y | c, A) = -(y - c)^T A^{-1} (y - c) / 2 - log|A| / 2 - n log(2 pi) / 2

over the outputs ``b`` of a (possibly batched, multi-output) exact GP with ``n`` training
points: ``K_b`` the kernel matrix, ``s_b`` the inferred or fixed noise variances, ``c_b``
the constant mean and ``log p`` the sum of the model's hyperparameter priors, each at the
constrained value, as gpytorch computes them. Two evaluators:

* :class:`StationaryMAP` (the common case: one output, one RBF or Matern-5/2 kernel over
  every column with a log-normal lengthscale prior, inferred noise with a log-normal prior
  or fixed noise): value and gradient in numpy (:mod:`bbo.surrogates.map_numpy`);
* :class:`TorchMAP` (any model of :mod:`bbo.surrogates.gp`'s kernels): the objective in
  plain torch (:func:`bbo.surrogates.kernels.compile_kernel`, live parameters) and its
  gradient by autograd.

Parameters bounded below by a positive value (the lengthscales and the noise) are searched
on the log scale, ``z = log(theta)``, as Optuna's GP does: the same optimum, reached in
fewer steps; the others (the constant mean, softplus-transformed raw parameters) as they
are, with the bounds of their constraints (botorch's ``get_parameters_and_bounds``).
Models neither evaluator knows (another mean, likelihood or kernel) get None, and the
caller fits them with botorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from botorch.models import SingleTaskGP
from botorch.optim.utils import get_parameters_and_bounds
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood, GaussianLikelihood
from gpytorch.means import ConstantMean
from linear_operator.utils.cholesky import psd_safe_cholesky
from linear_operator.utils.errors import NotPSDError
from torch import Tensor

from bbo.lbfgsb import minimize_batched
from bbo.surrogates.kernels import compile_kernel
from bbo.surrogates.map_numpy import StationaryMAP

MAXITER = 1000
GTOL = 1e-3  # on the gradient of n L, the unscaled log posterior (Optuna's GP: 1e-2)

Bounds = list[tuple[float, float]]


class MAPProblem(Protocol):
    """A MAP fit as scipy sees it: the start ``z0`` and its bounds, ``-n L`` and its
    gradient at ``z``, and ``write(z)``, which sets the model's parameters to ``z`` and
    returns ``L`` there."""

    def start(self) -> tuple[np.ndarray, Bounds]: ...

    def loss_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]: ...

    def write(self, z: np.ndarray) -> float: ...


def _supported(model: object) -> bool:
    if not isinstance(model, SingleTaskGP) or not isinstance(model.mean_module, ConstantMean):
        return False
    if getattr(model, "input_transform", None) is not None:
        return False
    return isinstance(model.likelihood, (GaussianLikelihood, FixedNoiseGaussianLikelihood))


def map_objective(model: object) -> Callable[[], Tensor] | None:
    """``L(theta)`` of the module docstring for ``model``'s current parameters, in plain
    torch (a closure differentiable in them), or None for a model it does not know."""
    if not _supported(model):
        return None
    assert isinstance(model, SingleTaskGP)
    lik = model.likelihood
    X = model.train_inputs[0]
    kernel = compile_kernel(model.covar_module, X, live=True)
    if kernel is None:
        return None
    y = model.train_targets  # ... x n (standardized by the outcome transform)
    n = y.shape[-1]
    mean = model.mean_module
    named = model.named_priors()  # type: ignore[operator]
    priors = [(module, prior, closure) for _, module, prior, closure, _ in named]
    eye = torch.eye(n, dtype=X.dtype, device=X.device)

    def objective() -> Tensor:
        K = kernel(X, X) + lik.noise.expand(y.shape).unsqueeze(-1) * eye
        L = psd_safe_cholesky(K)
        r = (y - mean.constant.unsqueeze(-1)).unsqueeze(-1)
        alpha = torch.cholesky_solve(r, L)
        fit = -0.5 * (r * alpha).sum() - torch.diagonal(L, dim1=-2, dim2=-1).log().sum()
        value = fit - 0.5 * y.numel() * math.log(2 * math.pi)
        for module, prior, closure in priors:
            value = value + prior.log_prob(closure(module)).sum()
        return value / n

    return objective


class TorchMAP:
    """:func:`map_objective` over every trainable parameter of ``model``."""

    def __init__(self, model: SingleTaskGP, objective: Callable[[], Tensor]) -> None:
        self.objective = objective
        self.n = model.train_targets.shape[-1]
        params, bounds = get_parameters_and_bounds(model, requires_grad=True)
        self.tensors = list(params.values())
        self.sizes = [p.numel() for p in self.tensors]
        lo, hi = [], []
        for name, size in zip(params, self.sizes):
            low, high = bounds.get(name, (None, None))
            lo.append(np.full(size, -np.inf if low is None else float(low)))
            hi.append(np.full(size, np.inf if high is None else float(high)))
        self.lo, self.hi = np.concatenate(lo), np.concatenate(hi)
        self.logged = self.lo > 0  # searched as z = log(theta)

    @classmethod
    def build(cls, model: object) -> TorchMAP | None:
        objective = map_objective(model)
        if objective is None:
            return None
        assert isinstance(model, SingleTaskGP)
        return cls(model, objective)

    def _z(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.logged, np.log(np.where(self.logged, x, 1.0)), x)

    def start(self) -> tuple[np.ndarray, Bounds]:
        x0 = torch.cat([p.detach().reshape(-1) for p in self.tensors]).cpu().numpy()
        z0 = self._z(np.clip(x0, self.lo, self.hi))
        return z0, list(zip(self._z(self.lo), self._z(self.hi)))

    def _assign(self, z: np.ndarray) -> np.ndarray:
        x = np.where(self.logged, np.exp(np.where(self.logged, z, 0.0)), z)
        with torch.no_grad():
            offset = 0
            for p, s in zip(self.tensors, self.sizes):
                p.copy_(torch.as_tensor(x[offset : offset + s]).reshape(p.shape))
                offset += s
        return x

    def loss_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        x = self._assign(z)
        value = -self.n * self.objective()
        grads = torch.autograd.grad(value, self.tensors, allow_unused=True)
        flat = [
            torch.zeros_like(p).reshape(-1) if g is None else g.reshape(-1)
            for p, g in zip(self.tensors, grads)
        ]
        g = torch.cat(flat).cpu().numpy()
        return float(value.detach()), np.where(self.logged, g * x, g)

    def write(self, z: np.ndarray) -> float:
        self._assign(z)
        with torch.no_grad():
            return float(self.objective())


def fit_map(model: object) -> float | None:
    """Maximize ``L`` (the module docstring) over ``model``'s trainable parameters in place,
    from their current values, and return its value there; None (parameters unchanged)
    when the model is not one it knows or the fit fails numerically. L-BFGS-B stops when
    the projected gradient of ``n L`` is below :data:`GTOL`."""
    problem: MAPProblem | None = None
    if _supported(model):
        problem = StationaryMAP.build(model) or TorchMAP.build(model)
    if problem is None:
        return None
    z0, bounds = problem.start()
    lower = np.array([-math.inf if lo is None else lo for lo, _ in bounds], dtype=np.float64)
    upper = np.array([math.inf if hi is None else hi for _, hi in bounds], dtype=np.float64)
    loss_and_grad = problem.loss_and_grad

    def batch(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # 1 x p -> 1, 1 x p
        value, grad = loss_and_grad(z[0])
        return np.array([value]), grad[None]

    try:
        z, _ = minimize_batched(batch, z0[None], lower, upper, maxiter=MAXITER, gtol=GTOL)
        value = problem.write(z[0])
    except (NotPSDError, RuntimeError, ValueError, np.linalg.LinAlgError):
        value = float("nan")
    if not math.isfinite(value):
        problem.write(z0)
        return None
    return value
