"""Infinite-width Bayesian neural network (kind ``ibnn``): a GP whose kernel is the limit
of a deep ReLU network with i.i.d. Gaussian priors as every layer's width grows to
infinity (Neal 1996; Cho & Saul 2009; Lee et al. 2018), botorch's
``InfiniteWidthBNNKernel``.

With ``D`` inputs (the one-hot view), weight variance ``sigma_w^2`` and bias variance
``sigma_b^2``, the kernel is defined by the recursion over ``depth`` layers::

    K^0(x, x') = sigma_b^2 + sigma_w^2 x.x' / D
    K^l(x, x') = sigma_b^2 + sigma_w^2 / (2 pi) sqrt(K^{l-1}(x,x) K^{l-1}(x',x'))
                 (sin th + (pi - th) cos th),   cos th = K^{l-1}(x,x') / sqrt(...)

(the arc-cosine kernel). It has no lengthscale per dimension, only ``sigma_w^2``,
``sigma_b^2`` and the noise, which is why Li et al. (2024) find it the most promising
surrogate in high dimensions, where a stationary kernel's lengthscales cannot be learned
from few points. The model is a botorch ``SingleTaskGP`` (standardized outcomes, inferred
noise or known ``Yvar``), fitted from ``sigma_w^2 = 10, sigma_b^2 = 1`` and a small noise,
with the inferred noise variance capped at ``MAX_NOISE`` = 0.1 (standardized units):
without both, the marginal likelihood preferred explaining small data as pure noise, on
a smooth 1-D toy and on a 2-D quadratic with 12 points (the posterior mean was flat).
Inputs stay in the unit cube ``[0, 1]^D``, as in botorch and Li et al.: the kernel is not
stationary, its prior variance grows with ``|x|``. An earlier version centred them to
``[-1, 1]``, which made the box centre the point of least prior variance and the faces the
points of most: the model evaluated the exact centre, then mostly the boundary (on the 2-D
benchmark problems it was worse than Sobol'; on Rosenbrock, whose box centre is a good
point, it "won" with ``f(0)`` on every seed). Its posterior is a
``GPyTorchPosterior``, so every acquisition works with it unchanged. Hyperparameters are
warm-started like the GP's.
"""

from __future__ import annotations

from typing import Any

import torch
from botorch.models import SingleTaskGP
from botorch.models.kernels.infinite_width_bnn import InfiniteWidthBNNKernel
from gpytorch.constraints import Interval

from bbo.surrogates.bnn.common import OneHot, fit_warm
from bbo.surrogates.gp import GPData

MAX_NOISE = 0.1  # noise variance, standardized units


def fit_ibnn(
    data: GPData,
    *,
    categorical_dims: dict[int, int],
    device: torch.device,
    state: dict[str, Any] | None = None,
    refit: bool = True,
    depth: int = 3,
    maxiter: int = 100,
) -> tuple[SingleTaskGP, dict[str, Any]]:
    """I-BNN GP on ``data`` (``X`` ``n x d`` index view, ``Y`` ``n x t``), in eval mode, and
    its JSON-ready state (see :func:`fit_warm`). ``posterior(X)`` takes ``batch x q x d``
    in the index view; the one-hot view is an input transform inside the model."""
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    X = torch.as_tensor(data.X, **kw)
    Y = torch.as_tensor(data.Y, **kw)
    Yvar = torch.as_tensor(data.Yvar, **kw).clamp_min(1e-9) if data.Yvar is not None else None
    t = Y.shape[-1]
    batch = torch.Size([t]) if t > 1 else torch.Size([])
    kernel = InfiniteWidthBNNKernel(depth=depth, batch_shape=batch, device=device)
    model = SingleTaskGP(
        X,
        Y,
        train_Yvar=Yvar,
        covar_module=kernel,
        input_transform=OneHot(X.shape[-1], categorical_dims),
    ).to(**kw)
    # start away from the "all noise" optimum that the default initialization falls into
    kernel.weight_var = 10.0
    kernel.bias_var = 1.0
    if Yvar is None:
        model.likelihood.noise_covar.register_constraint("raw_noise", Interval(1e-6, MAX_NOISE))
        model.likelihood.noise = 1e-3
    return model, fit_warm(model, data.key(), state, refit, maxiter=maxiter)
