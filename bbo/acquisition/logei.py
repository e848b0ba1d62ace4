"""Analytic log expected improvement in numpy, with its gradient, for the acquisition
optimizer's inner loop.

For a Gaussian posterior with mean ``mu`` and standard deviation ``sigma`` at ``x`` and the
incumbent ``f*``, with ``u = (mu - f*) / sigma``,

    log EI(x) = log h(u) + log sigma,      h(u) = phi(u) + u Phi(u)
    d log EI  = rho d mu / sigma + (1 - rho u) d sigma / sigma,   rho = Phi(u) / h(u)

``log h`` is computed as botorch's ``_log_ei_helper`` does (accurate far into the tail:
``log phi(u) + log(1 - exp(w))``, ``w = log(|u| Phi(u) / phi(u))`` below ``u = -1``),
``rho`` as ``exp(log Phi(u) - log h(u))``. The posterior and its gradient come from a
:class:`bbo.surrogates.cached.GradPosterior`; :class:`FromNumpy` makes the pair a
torch autograd function, so that botorch's optimizers (which differentiate the acquisition
with autograd) run it unchanged at a fraction of the cost of the same algebra as torch
operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.special import erfcx, log_ndtr, ndtr
from torch import Tensor

from bbo.surrogates.cached import GradPosterior

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_2 = 0.5 * math.log(math.pi / 2)
_TAIL = -1e6  # below it, log(1 - exp(w)) is its leading order -2 log|u|


def log_h(u: np.ndarray) -> np.ndarray:
    """``log(phi(u) + u Phi(u))``, accurate for ``|u|`` up to ``1e100``. Each branch
    (above and below ``u = -1``) is computed only when some ``u`` falls in it."""
    if not u.size or u.min() > -1.0:
        return _log_h_upper(u)
    if u.max() <= -1.0:
        return _log_h_lower(u)
    return np.where(u > -1.0, _log_h_upper(np.maximum(u, -1.0)), _log_h_lower(np.minimum(u, -1.0)))


def _log_h_upper(u: np.ndarray) -> np.ndarray:
    """``log h(u)`` directly, for ``u >= -1``."""
    return np.log(np.exp(-0.5 * u**2) / math.sqrt(2 * math.pi) + u * ndtr(u))


def _log_h_lower(u: np.ndarray) -> np.ndarray:
    """``log h(u)`` for ``u <= -1``: ``log phi(u) + log(1 - exp(w))``,
    ``w = log(|u| Phi(u) / phi(u))`` (``Phi / phi`` by ``erfcx``)."""
    tail = np.maximum(u, _TAIL)
    w = np.log(erfcx(-tail / math.sqrt(2)) * np.abs(tail)) + _LOG_SQRT_PI_2
    log1mexp = np.where(w > -math.log(2), np.log(-np.expm1(w)), np.log1p(-np.exp(w)))
    out = -0.5 * u**2 - _LOG_SQRT_2PI
    return out + np.where(u > _TAIL, log1mexp, -2.0 * np.log(np.abs(u)))


def log_ei(
    post: GradPosterior, best_f: float, x: np.ndarray, min_var: float = 1e-12
) -> tuple[np.ndarray, np.ndarray]:
    """``log EI`` at ``x`` (``b x d``) over the incumbent ``best_f`` and its gradient:
    ``b`` and ``b x d``. The variance is floored at ``min_var`` (no gradient through the
    floor), as botorch's ``LogExpectedImprovement`` does."""
    mean, var, dmean, dvar = post(x)
    assert dmean is not None and dvar is not None
    floored = var < min_var
    sigma = np.sqrt(np.maximum(var, min_var))
    u = (mean - best_f) / sigma
    lh = log_h(u)
    rho = np.exp(log_ndtr(u) - lh)
    dsigma = np.where(floored[:, None], 0.0, dvar / (2.0 * sigma[:, None]))
    grad = (rho / sigma)[:, None] * dmean + ((1.0 - rho * u) / sigma)[:, None] * dsigma
    return lh + np.log(sigma), grad


def log_ei_value(
    post: GradPosterior, best_f: float, x: np.ndarray, min_var: float = 1e-12
) -> np.ndarray:
    """:func:`log_ei`'s value alone (``b``; the same arithmetic, without the gradients):
    for scoring raw samples and candidate pools."""
    mean, var, _, _ = post(x, grad=False)
    sigma = np.sqrt(np.maximum(var, min_var))
    return log_h((mean - best_f) / sigma) + np.log(sigma)


def numpy_forward(
    X: Tensor,
    value_and_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    value: Callable[[np.ndarray], np.ndarray],
) -> Tensor:
    """A numpy acquisition at ``X`` (``b x d``, CPU) as a torch tensor (``b``): through
    :class:`FromNumpy` (value and gradient) when autograd will want the gradient, by
    ``value`` alone otherwise (raw samples, candidate pools: no gradient to compute)."""
    if torch.is_grad_enabled() and X.requires_grad:
        out: Tensor = FromNumpy.apply(X, value_and_grad)
        return out
    return torch.from_numpy(value(X.detach().numpy())).to(X.dtype)


class FromNumpy(torch.autograd.Function):
    """A numpy acquisition ``f``: ``x`` (``b x d``) -> values ``b`` and gradients ``b x d``
    (:func:`log_ei`, :func:`bbo.acquisition.ucb.ucb`) as a torch function of ``x`` (CPU):
    the value, and on the backward pass the stored gradient. botorch's optimizers, which
    differentiate the acquisition with autograd, then run it unchanged."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, f: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    ) -> Tensor:
        value, grad = f(x.detach().numpy())
        ctx.save_for_backward(torch.from_numpy(grad).to(x.dtype))
        return torch.from_numpy(value).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None]:
        (grad,) = ctx.saved_tensors
        return grad_output.unsqueeze(-1) * grad, None
