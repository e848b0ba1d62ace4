"""Analytic upper confidence bound in numpy, with its gradient, for the acquisition
optimizer's inner loop.

For a Gaussian posterior with mean ``mu`` and variance ``s^2`` at ``x``,

    UCB(x) = mu + sqrt(beta) s,      d UCB = d mu + sqrt(beta) d(s^2) / (2 s)

(botorch's analytic ``UpperConfidenceBound``; for one point it equals the expectation that
``qUCB`` estimates by Monte Carlo, ``E[mu + sqrt(beta pi / 2) |y - mu|]``). The variance is
floored at ``1e-12`` without a gradient through the floor.
:class:`bbo.acquisition.logei.FromNumpy` makes the pair a torch autograd function for
botorch's optimizers.
"""

from __future__ import annotations

import math

import numpy as np

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


def ucb_value(
    post: GradPosterior, beta: float, x: np.ndarray, min_var: float = 1e-12
) -> np.ndarray:
    """:func:`ucb`'s value alone (``b``), without the gradients."""
    mean, var, _, _ = post(x, grad=False)
    return mean + math.sqrt(beta) * np.sqrt(np.maximum(var, min_var))
