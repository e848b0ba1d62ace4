"""piBO: an acquisition weighted by the user's prior on the optimum (Hvarfner et al., 2022,
"piBO: Augmenting Acquisition Functions with User Beliefs for Bayesian Optimization").

piBO multiplies the acquisition by the prior raised to a power that decays with the data,

    alpha_pi(x) = alpha(x) * pi(x) ** (beta / n),

``pi`` the product prior of the space in the encoded cube (:class:`bbo.space.prior.
SpacePrior`), ``n`` the number of observations the model was fitted on and ``beta`` the
confidence in the prior (:data:`DEFAULT_BETA`). Early on the search follows the prior;
as ``n`` grows the weight ``beta / n`` vanishes and the plain acquisition takes over, so a
misleading prior costs a bounded number of evaluations (the paper's convergence result).
bbo's acquisitions that support it are on a log scale (``LogEI``, ``qLogNEI``,
``qLogNEHVI``), where the product is a sum:

    log alpha_pi(x) = log alpha(x) + (beta / n) * log((1 - FLOOR) pi(x) + FLOOR),

with ``pi(x) = prod_j pi_j(x_j)`` and ``FLOOR`` (0.1) a share of the uniform density of the
cube mixed into the prior (as prior-guided HPO methods such as PriorBand mix prior and
uniform sampling). Without it a confident misleading belief weighs ``sum_j z_j^2 / 2``
nats, which grows with the dimension (45 for ten parameters 3 sd off) and outlasted a
50-evaluation budget in ``python -m benchmarks.priors``; with it, no point is weighed
down by more than ``(beta / n) log FLOOR`` while the prior's mode keeps its lift.

For a batch ``X`` (``q x d``) the prior term is summed over the ``q`` points (the joint
acquisition times ``prod_i pi(x_i) ** (beta / n)``). ``UCB``, ``qUCB``, ``PM`` and ``TS``
are not weighted (their values are not on a log scale); the prior still shapes the initial
design (:mod:`bbo.strategies.prior_sobol`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from botorch.acquisition import AcquisitionFunction
from torch import Tensor

from bbo.space import Space
from bbo.space.prior import SpacePrior, space_prior
from bbo.strategies.names import DEFAULT_BETA as DEFAULT_BETA  # defined torch-free there

FLOOR = 0.1  # the uniform share of the prior mixture: bounds what a misleading prior costs

NumpyAcquisition = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def prior_weight(beta: float, n: int) -> float:
    """The exponent ``beta / n`` of piBO (``n`` floored at 1)."""
    return float(beta) / max(int(n), 1)


class PriorWeighted(AcquisitionFunction):
    """``acqf`` (a log-scale acquisition) plus ``weight * log pi_mix``: for ``X`` of shape
    ``b x q x d``, ``acqf(X) + weight * log((1 - FLOOR) pi(X) + FLOOR).sum(-1)``, shape
    ``b``. Differentiable
    (the prior's normal columns are smooth); pending points are the inner acquisition's.
    Where the inner acquisition has a numpy value-and-gradient (the fast path of
    :func:`bbo.acquisition.optimize.refine`), so has this one."""

    def __init__(self, acqf: AcquisitionFunction, prior: SpacePrior, weight: float) -> None:
        super().__init__(model=acqf.model)
        self.acqf = acqf
        self.prior = prior
        self.weight = float(weight)
        self._log = bool(getattr(acqf, "_log", False))

    @property  # type: ignore[override]
    def X_pending(self) -> Tensor | None:
        return getattr(self.acqf, "X_pending", None)

    @X_pending.setter
    def X_pending(self, value: Tensor | None) -> None:  # set by the base class's __init__
        pass

    def set_X_pending(self, X_pending: Tensor | None = None) -> None:
        self.acqf.set_X_pending(X_pending)

    def forward(self, X: Tensor) -> Tensor:
        """``b x q x d`` -> ``b``."""
        lp = self.prior.log_density(X)
        mixed = torch.logaddexp(lp + math.log1p(-FLOOR), torch.full_like(lp, math.log(FLOOR)))
        return self.acqf(X) + self.weight * mixed.sum(-1)

    @property
    def numpy_value_and_grad(self) -> NumpyAcquisition | None:
        """``x`` (``b x d``) -> values ``b`` and gradients ``b x d`` in numpy, the inner
        acquisition's plus the weighted prior's; None when the inner has none."""
        inner: NumpyAcquisition | None = getattr(self.acqf, "numpy_value_and_grad", None)
        if inner is None:
            return None
        w, prior = self.weight, self.prior

        def f(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            value, grad = inner(x)
            lp, dlp = prior.log_density_np(x)
            a, b = lp + math.log1p(-FLOOR), math.log(FLOOR)
            mixed = np.logaddexp(a, b)  # d mixed / d lp = e^a / (e^a + e^b)
            return value + w * mixed, grad + w * np.exp(a - mixed)[:, None] * dlp

        return f


def weighted(acqf: AcquisitionFunction, space: Space, n: int, beta: float) -> AcquisitionFunction:
    """``acqf`` weighted by the prior of ``space`` with ``beta / n``
    (:class:`PriorWeighted`); ``acqf`` itself when no parameter has a prior or
    ``beta == 0``."""
    prior = space_prior(space)
    if prior is None or beta == 0:
        return acqf
    return PriorWeighted(acqf, prior, prior_weight(beta, n))
