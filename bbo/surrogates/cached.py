"""The posterior of a fitted exact GP from a cached Cholesky factor, in plain torch.

gpytorch's exact prediction goes through several layers of lazy tensors per call; inside an
L-BFGS loop over an acquisition function that overhead (a few milliseconds per call) is most
of the cost of a sequential ask. For the model :func:`bbo.surrogates.gp.fit_gp` builds on a
continuous space — one output, constant mean ``c``, an ARD RBF kernel (optionally scaled),
homoskedastic or fixed noise, ``Standardize`` outcome transform — the posterior at test
points ``x`` (``b x d``) is, with training inputs ``X`` (``n x d``) and standardized
targets ``y``:

    k(x, x') = s^2 exp(-||(x - x') / l||^2 / 2)
    L L^T    = K(X, X) + diag(noise)                 (Cholesky, computed once per model)
    alpha    = (L L^T)^{-1} (y - c)
    mean(x)  = c + k(x, X) alpha
    var(x)   = s^2 - k(x, X) (L L^T)^{-1} k(X, x)

then un-standardized: ``mean * sd_y + mean_y`` and ``var * sd_y^2``. This is the same
algebra gpytorch evaluates (tested against ``model.posterior``), at a fraction of the
per-call cost, with autograd through it for the optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from botorch.models import SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from gpytorch.kernels import RBFKernel, ScaleKernel
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood, GaussianLikelihood
from gpytorch.means import ConstantMean
from torch import Tensor


@dataclass(frozen=True)
class CachedGP:
    """Cached quantities of a fitted single-output exact GP. Shapes: ``Z`` ``n x d`` the
    training inputs centred at ``center`` (``d``) and divided by ``lengthscale`` (``d``);
    ``K_inv`` ``n x n`` the inverse of ``K(X, X) + diag(noise)``; ``alpha`` ``n``.
    (A matrix product with ``K_inv`` is cheaper to differentiate than a triangular solve,
    and float64 keeps it accurate at the sizes an exact GP is used for.)"""

    Z: Tensor
    center: Tensor
    lengthscale: Tensor
    outputscale: Tensor
    K_inv: Tensor
    alpha: Tensor
    constant: Tensor
    y_mean: Tensor
    y_sd: Tensor

    @classmethod
    def from_model(cls, model: object) -> CachedGP | None:
        """The cache of ``model``, or None when it is not a single-output ``SingleTaskGP``
        with a constant mean, an RBF kernel (optionally in a ``ScaleKernel``), Gaussian
        noise, no input transform and a ``Standardize`` (or no) outcome transform."""
        if type(model) is not SingleTaskGP or model.num_outputs != 1:
            return None
        if getattr(model, "input_transform", None) is not None:
            return None
        kernel = model.covar_module
        scale = torch.ones((), dtype=model.train_inputs[0].dtype)
        if isinstance(kernel, ScaleKernel):
            scale = kernel.outputscale.detach().reshape(())
            kernel = kernel.base_kernel
        if type(kernel) is not RBFKernel or not isinstance(model.mean_module, ConstantMean):
            return None
        if kernel.active_dims is not None:
            return None
        lik = model.likelihood
        if not isinstance(lik, (GaussianLikelihood, FixedNoiseGaussianLikelihood)):
            return None
        tf = getattr(model, "outcome_transform", None)
        if tf is not None and not isinstance(tf, Standardize):
            return None
        X = model.train_inputs[0].detach()
        if X.dim() != 2:
            return None
        y = model.train_targets.detach()
        ls = kernel.lengthscale.detach().reshape(-1)
        c = model.mean_module.constant.detach().reshape(())
        noise = lik.noise.detach().reshape(-1).expand(len(X))
        Z = (X - X.mean(0)) / ls  # centred: less cancellation in the squared distances
        K = scale * torch.exp(-0.5 * _sqdist(Z, Z)) + torch.diag(noise)
        L, info = torch.linalg.cholesky_ex(K)
        if int(info) != 0:  # not positive definite in float64: let gpytorch handle it
            return None
        alpha = torch.cholesky_solve((y - c).unsqueeze(-1), L).squeeze(-1)
        if tf is None:
            y_mean, y_sd = torch.zeros_like(c), torch.ones_like(c)
        else:
            y_mean, y_sd = tf.means.detach().reshape(()), tf.stdvs.detach().reshape(())
        return cls(Z, X.mean(0), ls, scale, torch.cholesky_inverse(L), alpha, c, y_mean, y_sd)

    def mean_var(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and variance (of the latent function, in the original output
        scale) at ``x`` (``... x d``); both ``...``."""
        shape = x.shape[:-1]
        z = (x.reshape(-1, x.shape[-1]) - self.center) / self.lengthscale
        k = self.outputscale * torch.exp(-0.5 * _sqdist(z, self.Z))
        mean = self.constant + k @ self.alpha
        var = (self.outputscale - ((k @ self.K_inv) * k).sum(-1)).clamp_min(0.0)
        mean = mean * self.y_sd + self.y_mean
        return mean.reshape(shape), (var * self.y_sd**2).reshape(shape)


def _sqdist(a: Tensor, b: Tensor) -> Tensor:
    """``||a_i - b_j||^2`` (``p x q``) for ``a`` ``p x d`` and ``b`` ``q x d``, clamped >= 0."""
    d2 = (a * a).sum(-1, keepdim=True) - 2 * a @ b.T + (b * b).sum(-1)
    return d2.clamp_min(0.0)
