"""Analytic upper confidence bound in numpy, with its gradient, for the acquisition
optimizer's inner loop.

For a Gaussian posterior with mean ``mu`` and variance ``s^2`` at ``x``,

    UCB(x) = mu + sqrt(beta) s,      d UCB = d mu + sqrt(beta) d(s^2) / (2 s)

(botorch's analytic ``UpperConfidenceBound``; for one point it equals the expectation that
``qUCB`` estimates by Monte Carlo, ``E[mu + sqrt(beta pi / 2) |y - mu|]``). The variance is
floored at ``1e-12`` without a gradient through the floor. :class:`UCBFunction` makes the
pair a torch autograd function for botorch's optimizers, like
:class:`bbo.acquisition.logei.LogEIFunction`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bbo.surrogates.cached import GradPosterior


def ucb(
    post: GradPosterior, beta: float, x: np.ndarray, min_var: float = 1e-12
) -> tuple[np.ndarray, np.ndarray]:
    """``UCB`` at ``x`` (``b x d``) and its gradient: ``b`` and ``b x d``."""
    mean, var, dmean, dvar = post(x)
    assert dmean is not None and dvar is not None
    root = math.sqrt(beta)
    sigma = np.sqrt(np.maximum(var, min_var))
    dsigma = np.where((var < min_var)[:, None], 0.0, dvar / (2.0 * sigma[:, None]))
    return mean + root * sigma, dmean + root * dsigma


class UCBFunction(torch.autograd.Function):
    """:func:`ucb` as a torch function of ``x`` (``b x d``, CPU): the value ``b`` and, on
    the backward pass, the stored gradient."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, post: GradPosterior, beta: float) -> Tensor:
        value, grad = ucb(post, beta, x.detach().numpy())
        ctx.save_for_backward(torch.from_numpy(grad).to(x.dtype))
        return torch.from_numpy(value).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None, None]:
        (grad,) = ctx.saved_tensors
        return grad_output.unsqueeze(-1) * grad, None, None
