"""gpytorch kernels as plain-torch functions (no lazy tensors, no module calls).

gpytorch evaluates a kernel through several layers of lazy tensors and module hooks: a few
milliseconds per call, which is most of the cost of a marginal-likelihood fit or an
acquisition optimization on the small data of a BO study. For the kernels
:mod:`bbo.surrogates.gp` builds, :func:`compile_kernel` returns a function computing the
same matrix in plain torch:

    RBF:          exp(-||(x - x') / l||^2 / 2)             over its active columns
    Matern-5/2:   (1 + r + r^2 / 3) exp(-r),  r = sqrt(5) ||(x - x') / l||
    categorical:  exp(-mean_j [x_j != x'_j] / l_j)         (botorch's CategoricalKernel)
    scale:        s * k;  sum: k1 + k2;  product: k1 * k2

With ``live=True`` the function reads the kernel's hyperparameters at every call (through
their constraints), so autograd reaches the raw parameters: that is what a fit needs
(:mod:`bbo.surrogates.mll`). With ``live=False`` they are read once, detached: a fitted
model's posterior (:mod:`bbo.surrogates.cached`).

Shapes: inputs ``... x p x d`` and ``... x q x d`` give ``... x p x q``; a batched kernel
(one per output of a multi-output model, hyperparameters of batch shape ``t``) takes
``t x p x d`` inputs.

:func:`stationary_numpy` is the RBF / Matern-5/2 factor in numpy, with the factor ``g`` of
its derivatives, for the numpy posterior and MAP fit (:mod:`bbo.surrogates.numpy_posterior`,
:mod:`bbo.surrogates.map_numpy`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from botorch.models.kernels.categorical import CategoricalKernel
from gpytorch.kernels import (
    AdditiveKernel,
    Kernel,
    MaternKernel,
    ProductKernel,
    RBFKernel,
    ScaleKernel,
)
from torch import Tensor

KernelFn = Callable[[Tensor, Tensor], Tensor]  # (... x p x d, ... x q x d) -> ... x p x q
Getter = Callable[[], Tensor]


def active_columns(kernel: Kernel, d: int) -> np.ndarray:
    """The input columns ``kernel`` acts on (its ``active_dims``; all ``d`` when None)."""
    dims = kernel.active_dims
    return np.arange(d) if dims is None else dims.cpu().numpy().astype(int)


def product_parts(
    kernel: Kernel, d: int
) -> tuple[ScaleKernel | None, Kernel | None, CategoricalKernel | None] | None:
    """``(scale, continuous, categorical)`` of a kernel ``[s *] [k_c] [* k_cat]``: an optional
    ``ScaleKernel`` around the product of at most one RBF or Matern-5/2 kernel ``k_c`` and at
    most one categorical kernel ``k_cat``, each with one lengthscale per active column of
    the ``d`` inputs (what :mod:`bbo.surrogates.gp` builds for the ``product`` mixed
    kernel); None for any other kernel."""
    scale = kernel if type(kernel) is ScaleKernel else None
    base = kernel.base_kernel if scale is not None else kernel
    cont: Kernel | None = None
    cat: CategoricalKernel | None = None
    for part in list(base.kernels) if type(base) is ProductKernel else [base]:
        if type(part) is CategoricalKernel and cat is None:
            cat = part
        elif (type(part) is RBFKernel and cont is None) or (
            type(part) is MaternKernel and float(part.nu) == 2.5 and cont is None
        ):
            cont = part
        else:
            return None
        if part.lengthscale.shape[-1] != len(active_columns(part, d)):
            return None
    return scale, cont, cat


def stationary_numpy(
    a: np.ndarray,
    b: np.ndarray,
    inv_ls2: np.ndarray,
    matern: bool,
    b_norm: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The RBF or Matern-5/2 kernel ``k`` between ``a`` (``p x k``) and ``b`` (``q x k``),
    both centred at the same point, with inverse squared lengthscales ``inv_ls2`` (``k``),
    and the factor ``g`` of its derivatives (``p x q`` each): with
    ``rho^2 = sum_j (a_j - b_j)^2 / l_j^2``,

        RBF:         k = exp(-rho^2 / 2),          g = k
        Matern-5/2:  k = (1 + r + r^2/3) e^-r,    g = (5/3) (1 + r) e^-r,   r = sqrt(5) rho

    so that ``dk/da_j = -g (a_j - b_j) / l_j^2`` and ``dk/d log l_j = g (a_j - b_j)^2 / l_j^2``.
    ``b_norm``: ``sum_j b_j^2 / l_j^2`` (``q``) when the caller keeps it (a posterior's
    training inputs, evaluated many times).
    """
    za = a * inv_ls2
    if b_norm is None:
        b_norm = (b * b * inv_ls2).sum(1)
    rho2 = (a * za).sum(1)[:, None] - 2.0 * za @ b.T + b_norm
    rho2 = np.maximum(rho2, 0.0)
    if matern:
        r = np.sqrt(5.0 * rho2)
        e = np.exp(-r)
        return (1.0 + r + r * r / 3.0) * e, (5.0 / 3.0) * (1.0 + r) * e
    k = np.exp(-0.5 * rho2)
    return k, k


def _is_matern52(kernel: Kernel) -> bool:
    return type(kernel) is MaternKernel and float(kernel.nu) == 2.5


def _getter(read: Getter, live: bool) -> Getter:
    """``read`` itself (evaluated at every call) or its value now, detached."""
    if live:
        return read
    value = read().detach()
    return lambda: value


def compile_kernel(kernel: Kernel, X: Tensor, live: bool = False) -> KernelFn | None:
    """A plain-torch function computing ``kernel`` (see the module docstring), or None for a
    kernel it does not know. ``X`` (``... x n x d``, the training inputs) gives the centre
    that squared distances are taken from (less cancellation)."""
    if type(kernel) is ScaleKernel:
        base = compile_kernel(kernel.base_kernel, X, live)
        scale = _getter(lambda: kernel.outputscale, live)
        if base is None:
            return None
        return lambda a, b: scale()[..., None, None] * base(a, b)
    if type(kernel) in (AdditiveKernel, ProductKernel):
        parts = [compile_kernel(k, X, live) for k in kernel.kernels]
        if any(p is None for p in parts):
            return None
        fns: list[KernelFn] = [p for p in parts if p is not None]
        if type(kernel) is AdditiveKernel:
            return lambda a, b: torch.stack([f(a, b) for f in fns]).sum(0)
        return lambda a, b: torch.stack([f(a, b) for f in fns]).prod(0)
    matern = _is_matern52(kernel)
    if type(kernel) not in (RBFKernel, CategoricalKernel) and not matern:
        return None
    dims = kernel.active_dims
    cols = dims.to(X.device) if dims is not None else torch.arange(X.shape[-1], device=X.device)
    ls = _getter(lambda: kernel.lengthscale, live)  # ... x 1 x k
    if type(kernel) is CategoricalKernel:

        def categorical(a: Tensor, b: Tensor) -> Tensor:
            delta = a[..., :, None, cols] != b[..., None, :, cols]
            return torch.exp(-(delta / ls().unsqueeze(-2)).mean(-1))

        return categorical
    center = X[..., cols].mean(-2, keepdim=True).detach()

    def sqdist(a: Tensor, b: Tensor) -> Tensor:
        scale = ls()
        za, zb = (a[..., cols] - center) / scale, (b[..., cols] - center) / scale
        cross = za @ zb.transpose(-1, -2)
        return (
            (za * za).sum(-1, keepdim=True) - 2 * cross + (zb * zb).sum(-1)[..., None, :]
        ).clamp_min(0)

    def rbf(a: Tensor, b: Tensor) -> Tensor:
        return torch.exp(-0.5 * sqdist(a, b))

    def matern52(a: Tensor, b: Tensor) -> Tensor:
        r = sqdist(a, b).clamp_min(1e-30).sqrt() * 5**0.5  # gpytorch's clamp at distance 0
        return (1.0 + r + r * r / 3.0) * torch.exp(-r)

    return matern52 if matern else rbf
