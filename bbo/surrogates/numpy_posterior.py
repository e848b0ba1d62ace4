"""A fitted GP's posterior mean and variance with their gradients in ``x``, in numpy.

An acquisition optimizer evaluates the posterior tens to hundreds of times per ask on a
handful of points, where torch's per-operation overhead (~10 us an op, forward and
backward) is most of the cost. :class:`GradPosterior` mirrors a
:class:`~bbo.surrogates.cached.CachedGP` whose kernel is

    k(x, x') = s * k_c(x_C, x'_C) * k_cat(x_K, x'_K)

with an optional scale ``s``, ``k_c`` one RBF or Matern-5/2 kernel over the continuous
columns ``C`` (lengthscales ``l``), ``k_cat`` botorch's categorical kernel
``exp(-mean_j [x_j != x'_j] / m_j)`` over the categorical columns ``K``; either factor may
be absent. That covers every model :mod:`bbo.surrogates.gp` builds with the default
product kernel. With ``rho^2 = sum_{j in C} (x_j - X_ij)^2 / l_j^2``:

    RBF:         k_c = exp(-rho^2 / 2),        g = k_c
    Matern-5/2:  k_c = (1 + r + r^2/3) e^-r,   g = (5/3) (1 + r) e^-r,   r = sqrt(5) rho

so that ``dk/dx_j = -s g k_cat (x_j - X_ij) / l_j^2`` for ``j`` in ``C`` (the categorical
columns have no gradient: the optimizer moves them by discrete steps). With
``G = s g k_cat * alpha`` and ``H = s g k_cat * (k K^-1)`` (``b x n``, elementwise):

    d mean / dx_C = -(x_C * sum_i G_i - G X_C) / l^2 * sd_y
    d var / dx_C  = 2 (x_C * sum_i H_i - H X_C) / l^2 * sd_y^2
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import torch
from gpytorch.kernels import Kernel, MaternKernel
from torch import Tensor

from bbo.surrogates.kernels import active_columns, product_parts, stationary_numpy


def _lengthscales(kernel: Kernel) -> np.ndarray:
    return kernel.lengthscale.detach().reshape(-1).cpu().numpy().astype(np.float64)


@dataclass(frozen=True)
class GradPosterior:
    """See the module docstring. Arrays: ``X`` ``n x d`` training inputs, ``K_inv``
    ``n x n``, ``alpha`` ``n``; ``cont`` / ``cat`` the column indices of the continuous /
    categorical factor, ``inv_ls2`` (``1 / l^2``) and ``cat_ls`` their lengthscales;
    ``center`` the mean of ``X`` over ``cont`` (distances are taken from it)."""

    X: np.ndarray
    K_inv: np.ndarray
    alpha: np.ndarray
    scale: float
    cont: np.ndarray
    inv_ls2: np.ndarray
    matern: bool
    cat: np.ndarray
    cat_ls: np.ndarray
    center: np.ndarray
    constant: float
    y_mean: float
    y_sd: float

    @classmethod
    def build(
        cls,
        kernel: Kernel,
        X: Tensor,
        K_inv: Tensor,
        alpha: Tensor,
        constant: Tensor,
        y_mean: Tensor,
        y_sd: Tensor,
    ) -> GradPosterior | None:
        """The numpy mirror of a cache with ``kernel`` (``n x d`` inputs ``X``), or None for
        a kernel other than those of the module docstring."""
        parts = product_parts(kernel, X.shape[-1])
        if parts is None or kernel.batch_shape != torch.Size():
            return None
        scale_kernel, cont_kernel, cat_kernel = parts
        scale = 1.0
        if scale_kernel is not None:
            scale = float(scale_kernel.outputscale.detach().reshape(()))
        cont, inv_ls2, cat, cat_ls = np.zeros(0, int), np.zeros(0), np.zeros(0, int), np.zeros(0)
        if cat_kernel is not None:
            cat, cat_ls = active_columns(cat_kernel, X.shape[-1]), _lengthscales(cat_kernel)
        if cont_kernel is not None:
            cont = active_columns(cont_kernel, X.shape[-1])
            inv_ls2 = 1.0 / _lengthscales(cont_kernel) ** 2
        matern = type(cont_kernel) is MaternKernel
        Xn = X.cpu().numpy().astype(np.float64)
        return cls(
            X=Xn,
            K_inv=K_inv.cpu().numpy(),
            alpha=alpha.cpu().numpy(),
            scale=scale,
            cont=cont,
            inv_ls2=inv_ls2,
            matern=matern,
            cat=cat,
            cat_ls=cat_ls,
            center=Xn[:, cont].mean(0),
            constant=float(constant),
            y_mean=float(y_mean),
            y_sd=float(y_sd),
        )

    def condition(self, X: Tensor, K_inv: Tensor, alpha: Tensor) -> GradPosterior:
        """The same kernel on new training inputs ``X`` (``n' x d``) with their inverse
        covariance ``K_inv`` and weights ``alpha`` (a fantasy:
        :meth:`bbo.surrogates.cached.CachedGP.believe`); ``center`` is kept (any reference
        point gives the same distances)."""
        as_np = lambda t: t.detach().cpu().numpy().astype(np.float64)  # noqa: E731
        return replace(self, X=as_np(X), K_inv=as_np(K_inv), alpha=as_np(alpha))

    @cached_property
    def _Xc(self) -> np.ndarray:
        """``n x c``: the continuous columns of ``X``, centred."""
        return self.X[:, self.cont] - self.center

    @cached_property
    def _Xc_norm(self) -> np.ndarray:
        """``n``: ``sum_j Xc_ij^2 / l_j^2`` (:func:`stationary_numpy`'s ``b_norm``)."""
        return (self._Xc * self._Xc * self.inv_ls2).sum(1)

    @cached_property
    def _alpha_Xc(self) -> np.ndarray:
        """``n x c``: ``alpha_i Xc_i`` (so that ``G @ Xc = g @ alpha_Xc``)."""
        return self.alpha[:, None] * self._Xc

    @cached_property
    def _dmean_scale(self) -> np.ndarray:
        """``c``: ``sd_y / l^2`` (the mean's gradient factor)."""
        return self.inv_ls2 * self.y_sd

    @cached_property
    def _dvar_scale(self) -> np.ndarray:
        """``c``: ``2 sd_y^2 / l^2`` (the variance's gradient factor)."""
        return 2.0 * self.inv_ls2 * self.y_sd**2

    @cached_property
    def _all_cont(self) -> bool:
        """Whether every column is continuous, in order (no column selection needed)."""
        return not len(self.cat) and np.array_equal(self.cont, np.arange(self.X.shape[1]))

    def __call__(
        self, x: np.ndarray, grad: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Mean and variance (``b``, latent, original output scale) at ``x`` (``b x d``),
        and with ``grad`` their gradients (``b x d``)."""
        factor: float | np.ndarray = self.scale  # s k_cat (b x n), or s alone
        if len(self.cat):
            delta = x[:, None, self.cat] != self.X[None, :, self.cat]
            factor = self.scale * np.exp(-(delta / self.cat_ls).mean(-1))
        g = None
        if len(self.cont):
            xc = (x if self._all_cont else x[:, self.cont]) - self.center
            kc, gc = stationary_numpy(xc, self._Xc, self.inv_ls2, self.matern, self._Xc_norm)
            k = kc * factor
            g = k if gc is kc else gc * factor  # RBF: g = k
        else:
            k = np.broadcast_to(factor, (len(x), len(self.X)))
        kv = k @ self.K_inv
        ka = k @ self.alpha
        kkv = kv * k
        q = kkv.sum(1)
        mean = (self.constant + ka) * self.y_sd + self.y_mean
        var = np.maximum(self.scale - q, 0.0) * self.y_sd**2
        if not grad:
            return mean, var, None, None
        if g is None:
            return mean, var, np.zeros_like(x), np.zeros_like(x)
        # G = g * alpha, H = g * kv (b x n): sum_i G_i = g @ alpha, G @ Xc = g @ (alpha Xc);
        # with RBF g is k, so these are k @ alpha and k * kv, already at hand
        if g is k:
            g_alpha, H, h_sum = ka, kkv, q
        else:
            g_alpha, H = g @ self.alpha, g * kv
            h_sum = H.sum(1)
        dm = (g @ self._alpha_Xc - xc * g_alpha[:, None]) * self._dmean_scale
        dv = (xc * h_sum[:, None] - H @ self._Xc) * self._dvar_scale
        if self._all_cont:
            return mean, var, dm, dv
        dmean, dvar = np.zeros_like(x), np.zeros_like(x)
        dmean[:, self.cont], dvar[:, self.cont] = dm, dv
        return mean, var, dmean, dvar
