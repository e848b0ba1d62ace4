"""The GP's MAP objective and its gradient in numpy, for the models of a study.

The model: one output, a constant mean ``c``, the kernel

    k(x, x') = k_c(x_C, x'_C) * k_cat(x_K, x'_K)      (either factor may be absent)

with ``k_c`` one RBF or Matern-5/2 kernel over the continuous columns ``C`` (lengthscales
``l`` under a log-normal prior ``N(mu_l, s_l^2)`` on ``log l``) and ``k_cat`` botorch's
categorical kernel ``exp(-sum_j delta_j / (|K| m_j))``, ``delta_j = [x_j != x'_j]``, over
the categorical columns ``K`` (lengthscales ``m``, no prior); and either an inferred noise
variance ``v`` under a log-normal prior ``N(mu_v, s_v^2)`` or fixed noise variances. That
is every model :mod:`bbo.surrogates.gp` builds with its default (product) kernel. With
``z = (log l, log m, log v, c)``, ``K = k(X, X) + diag(noise)``, ``r = y - c``,
``alpha = K^-1 r`` and ``W = alpha alpha^T - K^-1``:

    n L  = -r^T alpha / 2 - log|K| / 2 - n log(2 pi) / 2 + sum_j log p(l_j) + log p(v)
    log p(t) = -(log t - mu)^2 / (2 s^2) - log t - log(s sqrt(2 pi))     (log-normal)

    d nL / d log l_j = 1/2 sum_ik W_ik g_ik k_cat,ik D_ikj / l_j^2 - (log l_j - mu_l) / s_l^2 - 1
    d nL / d log m_j = 1/2 sum_ik W_ik k_ik delta_ikj / (|K| m_j)
    d nL / d log v   = v tr(W) / 2 - (log v - mu_v) / s_v^2 - 1
    d nL / d c       = sum_i alpha_i

where ``D_ikj = (X_ij - X_kj)^2`` and ``g = k_c`` (RBF) or ``g = (5/3)(1 + r) e^-r``
(Matern-5/2, ``r = sqrt(5) rho``): ``dk_c / d log l_j = g D_j / l_j^2``. ``sum_ik M_ik
D_ikj`` for a symmetric ``M`` is ``2 (rowsum(M) . X_j^2 - X_j^T M X_j)``: no ``n x n x d``
array. The Cholesky factor gets gpytorch's jitter (``1e-8``, times 10, three tries) when
``K`` is not numerically positive definite.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from botorch.models import SingleTaskGP
from botorch.models.kernels.categorical import CategoricalKernel
from gpytorch.constraints import Interval
from gpytorch.kernels import Kernel, MaternKernel
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood, GaussianLikelihood
from gpytorch.priors import LogNormalPrior
from linear_operator.utils.errors import NotPSDError
from scipy.linalg import lapack

from bbo.surrogates.kernels import active_columns, product_parts, stationary_numpy

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_normal(prior: object) -> tuple[float, float] | None:
    if type(prior) is not LogNormalPrior:
        return None
    loc, scale = prior.loc, prior.scale  # type: ignore[attr-defined]
    if loc.numel() != 1 or scale.numel() != 1:
        return None
    return float(loc), float(scale)


def _lower(constraint: object, enforced: bool = False) -> float | None:
    """The lower bound of a ``GreaterThan``-like constraint with no finite upper bound that
    is (``enforced``) or is not a transform of its raw parameter; None otherwise."""
    if not isinstance(constraint, Interval) or constraint.enforced != enforced:
        return None
    if math.isfinite(float(constraint.upper_bound)):
        return None
    low = float(constraint.lower_bound)
    return low if low > 0 or enforced else None


def cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K`` (``n x n``), with jitter ``1e-8, 1e-7, 1e-6`` on the
    diagonal when needed (as gpytorch's ``psd_safe_cholesky`` in float64). LAPACK's
    ``dpotrf`` directly: the strict upper triangle of the result is not zeroed (every use
    here reads the lower one)."""
    jitter = 0.0
    for _ in range(4):
        L, info = lapack.dpotrf(K + jitter * np.eye(len(K)) if jitter else K, lower=1, clean=0)
        if info == 0:
            return L
        jitter = 1e-8 if not jitter else jitter * 10
    raise NotPSDError("the kernel matrix is not positive definite, even with jitter")


def _inverse(L: np.ndarray) -> np.ndarray:
    """``K^-1`` (``n x n``) from the lower Cholesky factor ``L`` of ``K``: LAPACK's
    ``dpotrs`` against the identity. (Not ``dpotri``: OpenBLAS's threaded version rounds
    differently when called from a thread other than the main one, so two studies asking
    at once in a server's threads would no longer suggest what each suggests alone.)"""
    inv, info = lapack.dpotrs(L, np.eye(len(L)), lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dpotrs failed (info {info})")
    return inv


class StationaryMAP:
    """The objective of the module docstring for ``model`` (see :meth:`build`). ``cont`` and
    ``cat`` are the kernel factors (None when absent)."""

    def __init__(
        self,
        model: SingleTaskGP,
        cont: Kernel | None,
        cat: CategoricalKernel | None,
        noise_prior: tuple[float, float] | None,
    ) -> None:
        self.model, self.cont, self.cat, self.noise_prior = model, cont, cat, noise_prior
        X = model.train_inputs[0].detach().cpu().numpy().astype(np.float64)
        self.y = model.train_targets.detach().cpu().numpy().astype(np.float64)
        self.n, d = X.shape
        self.C = active_columns(cont, d) if cont is not None else np.zeros(0, int)
        self.Xc = X[:, self.C] - X[:, self.C].mean(0)  # distances are shift-invariant
        self.Xc2 = self.Xc**2
        self.matern = type(cont) is MaternKernel
        self.K = active_columns(cat, d) if cat is not None else np.zeros(0, int)
        self.deltas = [X[:, j, None] != X[None, :, j] for j in self.K]  # n x n each
        lik = model.likelihood
        if noise_prior is None:
            self.fixed = lik.noise.detach().cpu().numpy().reshape(-1).astype(np.float64)
        else:
            self.noise_lower = float(lik.noise_covar.raw_noise_constraint.lower_bound)
        # z = (log l, log m, log v, c): the slices
        self.nc, self.nk = len(self.C), len(self.K)
        self.nv = int(noise_prior is not None)

    @classmethod
    def build(cls, model: object) -> StationaryMAP | None:
        """The evaluator for ``model``, or None when it is not a model of the module
        docstring (or lives on a GPU)."""
        if not isinstance(model, SingleTaskGP) or model.train_targets.dim() != 1:
            return None
        X = model.train_inputs[0]
        if X.dim() != 2 or X.device.type != "cpu":
            return None
        parts = product_parts(model.covar_module, X.shape[-1])
        if parts is None or parts[0] is not None:  # no scale kernel here
            return None
        _, cont, cat = parts
        if cat is not None:
            if _lower(cat.raw_lengthscale_constraint, enforced=True) is None:
                return None
            if getattr(cat, "lengthscale_prior", None) is not None:
                return None
        if cont is not None:
            if _log_normal(getattr(cont, "lengthscale_prior", None)) is None:
                return None
            if _lower(cont.raw_lengthscale_constraint) is None:
                return None
        lik = model.likelihood
        if type(lik) is GaussianLikelihood:
            noise_prior = _log_normal(getattr(lik.noise_covar, "noise_prior", None))
            if noise_prior is None or _lower(lik.noise_covar.raw_noise_constraint) is None:
                return None
            return cls(model, cont, cat, noise_prior)
        if type(lik) is FixedNoiseGaussianLikelihood and not lik.second_noise_covar:
            return cls(model, cont, cat, None)
        return None

    def start(self) -> tuple[np.ndarray, list[tuple[float, float]]]:
        z, bounds = [], []
        if self.cont is not None:
            low = _lower(self.cont.raw_lengthscale_constraint)
            assert low is not None
            ls = self.cont.lengthscale.detach().cpu().numpy().reshape(-1)
            z.append(np.log(np.maximum(ls, low)))
            bounds += [(math.log(low), math.inf)] * self.nc
        if self.cat is not None:
            low = max(float(self.cat.raw_lengthscale_constraint.lower_bound), 1e-12) * 2
            m = self.cat.lengthscale.detach().cpu().numpy().reshape(-1)
            z.append(np.log(np.maximum(m, low)))
            bounds += [(math.log(low), math.inf)] * self.nk
        if self.noise_prior is not None:
            v = float(self.model.likelihood.noise.detach().reshape(-1)[0])
            z.append(np.array([math.log(max(v, self.noise_lower))]))
            bounds.append((math.log(self.noise_lower), math.inf))
        z.append(np.array([float(self.model.mean_module.constant.detach().reshape(()))]))
        bounds.append((-math.inf, math.inf))
        return np.concatenate(z), bounds

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """``n L`` at ``z`` and its gradient (the layout of :meth:`start`)."""
        nc, nk = self.nc, self.nk
        logl, logm = z[:nc], z[nc : nc + nk]
        k = np.ones((self.n, self.n))
        if nk:
            m = np.exp(logm)
            k = np.exp(-sum(dj / mj for dj, mj in zip(self.deltas, m)) / nk)
        gk = k
        if nc:
            inv2 = np.exp(-2.0 * logl)
            kc, gc = stationary_numpy(self.Xc, self.Xc, inv2, self.matern)
            gk, k = k * gc, k * kc
        # clamped: a line search step to log v > 709 overflows math.exp (such a noise only
        # tells L-BFGS-B that the step was far too long)
        v = math.exp(min(z[nc + nk], 700.0)) if self.nv else None
        noise = np.full(self.n, v) if v is not None else self.fixed
        L = cholesky(k + np.diag(noise))
        res = self.y - z[-1]
        alpha = lapack.dpotrs(L, res, lower=1)[0]
        W = np.outer(alpha, alpha) - _inverse(L)
        value = -0.5 * res @ alpha - np.log(np.diag(L)).sum() - self.n * _LOG_SQRT_2PI
        grads = []
        if nc:
            assert self.cont is not None
            M = W * gk
            fit = (M.sum(1) @ self.Xc2 - ((M @ self.Xc) * self.Xc).sum(0)) * inv2
            mu, s = _log_normal(self.cont.lengthscale_prior)  # type: ignore[misc]
            value += (-((logl - mu) ** 2) / (2 * s * s) - logl - math.log(s) - _LOG_SQRT_2PI).sum()
            grads.append(fit - (logl - mu) / (s * s) - 1.0)
        if nk:
            Wk = W * k
            grads.append(
                np.array([0.5 * (Wk * dj).sum() / (nk * mj) for dj, mj in zip(self.deltas, m)])
            )
        if v is not None and self.noise_prior is not None:
            mu_v, s_v = self.noise_prior
            logv = z[nc + nk]
            value += -((logv - mu_v) ** 2) / (2 * s_v * s_v) - logv - math.log(s_v) - _LOG_SQRT_2PI
            grads.append(np.array([0.5 * v * np.trace(W) - (logv - mu_v) / (s_v * s_v) - 1.0]))
        grads.append(np.array([alpha.sum()]))
        return float(value), np.concatenate(grads)

    def loss_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.value_and_grad(z)
        return -value, -grad

    def write(self, z: np.ndarray) -> float:
        """Set the model's parameters to ``z``; returns ``L`` there."""
        nc, nk = self.nc, self.nk
        with torch.no_grad():
            if self.cont is not None:
                raw = self.cont.raw_lengthscale
                raw.copy_(torch.as_tensor(np.exp(z[:nc]), dtype=raw.dtype).reshape(raw.shape))
            if self.cat is not None:
                raw = self.cat.raw_lengthscale
                m = torch.as_tensor(np.exp(z[nc : nc + nk]), dtype=raw.dtype).reshape(raw.shape)
                raw.copy_(self.cat.raw_lengthscale_constraint.inverse_transform(m))
            if self.nv:
                self.model.likelihood.noise_covar.raw_noise.fill_(math.exp(z[nc + nk]))
            self.model.mean_module.raw_constant.fill_(float(z[-1]))
        return self.value_and_grad(z)[0] / self.n
