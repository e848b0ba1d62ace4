"""The posterior of a fitted exact GP from a cached inverse, in plain torch.

gpytorch's exact prediction goes through several layers of lazy tensors per call; inside an
L-BFGS loop over an acquisition function that overhead (a few milliseconds per call, far
more for the nested kernels of a mixed space) is most of the cost of a sequential ask. For
the models :func:`bbo.surrogates.gp.fit_gp` builds — one output, a constant mean ``c``,
a kernel made of sums, products and scalings of RBF, Matern-5/2 and categorical kernels (what
``SingleTaskGP`` and ``MixedSingleTaskGP`` use), homoskedastic or fixed noise, a
``Standardize`` outcome transform — the posterior at test points ``x`` (``b x d``), with
training inputs ``X`` (``n x d``) and standardized targets ``y``, is

    K        = k(X, X) + diag(noise)                  (inverted once per model)
    alpha    = K^{-1} (y - c)
    mean(x)  = c + k(x, X) alpha
    var(x)   = k(x, x) - k(x, X) K^{-1} k(X, x)

then un-standardized: ``mean * sd_y + mean_y`` and ``var * sd_y^2``, with the kernel in
plain torch (:func:`bbo.surrogates.kernels.compile_kernel`). This is the algebra gpytorch
evaluates (tested against ``model.posterior``), at a fraction of the per-call cost, with
autograd through it for the optimizer. A matrix product with
``K^{-1}`` is cheaper to differentiate than a triangular solve, and float64 keeps it
accurate at the sizes an exact GP is used for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

import torch
from botorch.models import SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood, GaussianLikelihood
from gpytorch.means import ConstantMean
from torch import Tensor
from torch.nn import Module

from bbo.surrogates.kernels import KernelFn, compile_kernel
from bbo.surrogates.numpy_posterior import GradPosterior


def _fingerprint(model: SingleTaskGP) -> tuple[bytes, ...]:
    """The values of every tensor of ``model`` (parameters, buffers, training data): equal
    fingerprints, equal caches. (Values, not tensor versions: gpytorch's setters write
    through ``.data``, which a version counter does not see.)"""
    tensors = [*model.parameters(), *model.buffers(), *model.train_inputs, model.train_targets]
    return tuple(t.detach().cpu().numpy().tobytes() + str(t.shape).encode() for t in tensors)


@dataclass(frozen=True)
class CachedGP:
    """Cached quantities of a fitted single-output exact GP. Shapes: ``X`` ``n x d``
    training inputs; ``K_inv`` ``n x n``; ``alpha`` ``n``; ``kernel`` maps ``p x d`` and
    ``q x d`` inputs to the ``p x q`` covariance; ``prior_var`` is ``k(x, x)`` (the same for
    every ``x``: the kernels are stationary); ``noise`` the likelihood's noise variance
    (standardized scale) that a fantasy observation gets (:meth:`believe`)."""

    X: Tensor
    kernel: KernelFn
    prior_var: Tensor
    K_inv: Tensor
    alpha: Tensor
    constant: Tensor
    y_mean: Tensor
    y_sd: Tensor
    noise: float
    grad: GradPosterior | None = None

    @classmethod
    def from_model(cls, model: object) -> CachedGP | None:
        """The cache of ``model``, or None when it is not a single-output ``SingleTaskGP``
        (or subclass such as ``MixedSingleTaskGP``) with a constant mean, a kernel of the
        pieces above, Gaussian noise, no input transform (but one that wraps the cache of
        its transformed inputs: :class:`bbo.surrogates.activity.ActivityIndicators`) and a
        ``Standardize`` (or no) outcome transform. Remembered per model while none of its
        tensors changes (the trust region's centre and the acquisition of one ask share
        it)."""
        if not isinstance(model, SingleTaskGP) or model.num_outputs != 1:
            return None
        key = _fingerprint(model)
        memo = _MEMO.get(model)
        if memo is not None and memo[0] == key:
            return memo[1]
        cache = cls._build(model)
        _MEMO[model] = (key, cache)
        return cache

    @classmethod
    def _build(cls, model: SingleTaskGP) -> CachedGP | None:
        input_tf = getattr(model, "input_transform", None)
        if input_tf is not None and not hasattr(input_tf, "wrap_cache"):
            return None
        if not isinstance(model.mean_module, ConstantMean):
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
        kernel = compile_kernel(model.covar_module, X)
        if kernel is None:
            return None
        y = model.train_targets.detach()
        c = model.mean_module.constant.detach().reshape(())
        noise = lik.noise.detach().reshape(-1).expand(len(X))
        L, info = torch.linalg.cholesky_ex(kernel(X, X) + torch.diag(noise))
        if int(info) != 0:  # not positive definite in float64: let gpytorch handle it
            return None
        alpha = torch.cholesky_solve((y - c).unsqueeze(-1), L).squeeze(-1)
        prior_var = kernel(X[:1], X[:1]).reshape(())
        if tf is None:
            y_mean, y_sd = torch.zeros_like(c), torch.ones_like(c)
        else:
            y_mean, y_sd = tf.means.detach().reshape(()), tf.stdvs.detach().reshape(())
        K_inv = torch.cholesky_inverse(L)
        grad = None
        if X.device.type == "cpu":
            grad = GradPosterior.build(model.covar_module, X, K_inv, alpha, c, y_mean, y_sd)
        fantasy_noise = float(noise.median())
        cache = cls(X, kernel, prior_var, K_inv, alpha, c, y_mean, y_sd, fantasy_noise, grad)
        return cache if input_tf is None else input_tf.wrap_cache(cache)

    def believe(self, x: Tensor) -> CachedGP:
        """The posterior after observing ``x`` (``p x d``) at its posterior mean with noise
        ``noise`` (standardized scale; the median of a fixed noise), hyperparameters kept:
        the Kriging believer's fantasy. The mean is unchanged everywhere and the variance
        shrinks near ``x``. With ``k* = k(X, x)``, ``B = K^-1 k*`` and the Schur complement
        ``S = k(x, x) + noise I - k*^T B`` (``p x p``, jittered by ``1e-9 prior_var`` for
        duplicate points):

            K'^-1 = [[K^-1 + B S^-1 B^T, -B S^-1], [-S^-1 B^T, S^-1]],   alpha' = [alpha; 0]

        (``alpha' = K'^-1 (y' - c)`` with ``y'_x - c = k*^T alpha``, the believed value:
        the new block cancels). ``O(n^2 p)``."""
        x = x.reshape(-1, self.X.shape[-1]).to(self.X)
        ks = self.kernel(self.X, x)
        B = self.K_inv @ ks
        eye = torch.eye(len(x), dtype=x.dtype, device=x.device)
        jitter = 1e-9 * float(self.prior_var)
        S = self.kernel(x, x) + (self.noise + jitter) * eye - ks.T @ B
        S_inv = torch.cholesky_inverse(torch.linalg.cholesky(0.5 * (S + S.T)))
        BS = B @ S_inv
        K_inv = torch.cat(
            [torch.cat([self.K_inv + BS @ B.T, -BS], 1), torch.cat([-BS.T, S_inv], 1)], 0
        )
        X = torch.cat([self.X, x])
        alpha = torch.cat([self.alpha, torch.zeros(len(x), dtype=x.dtype, device=x.device)])
        grad = self.grad.condition(X, K_inv, alpha) if self.grad is not None else None
        return replace(self, X=X, K_inv=K_inv, alpha=alpha, grad=grad)

    def mean(self, x: Tensor) -> Tensor:
        """Posterior mean (original output scale) at ``x`` (``... x d``): ``...``; without
        the variance's ``O(b n^2)`` product."""
        k = self.kernel(x.reshape(-1, x.shape[-1]), self.X)
        mean = (self.constant + k @ self.alpha) * self.y_sd + self.y_mean
        return mean.reshape(x.shape[:-1])

    def mean_var(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and variance (of the latent function, in the original output
        scale) at ``x`` (``... x d``); both ``...``."""
        shape = x.shape[:-1]
        k = self.kernel(x.reshape(-1, x.shape[-1]), self.X)
        mean = self.constant + k @ self.alpha
        var = (self.prior_var - ((k @ self.K_inv) * k).sum(-1)).clamp_min(0.0)
        mean = mean * self.y_sd + self.y_mean
        return mean.reshape(shape), (var * self.y_sd**2).reshape(shape)


# model -> (its fingerprint when cached, the cache): see CachedGP.from_model
_MEMO: WeakKeyDictionary[Module, tuple[tuple[bytes, ...], CachedGP | None]] = WeakKeyDictionary()
