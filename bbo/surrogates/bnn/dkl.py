"""Deep kernel learning (kind ``dkl``; Wilson et al. 2016): a GP on features learned by a
neural network, ``k(x, x') = k_M(g(x; w), g(x'; w))``.

``g``: ``D -> hidden -> hidden -> k`` MLP with ``tanh`` units and a ``tanh`` output (features
in ``[-1, 1]^k``, ``k = min(D, features)``) on the one-hot view ``D``; ``k_M`` a scaled
Matérn-5/2 kernel with one lengthscale per feature. The network weights ``w`` and the GP
hyperparameters are fitted jointly by maximizing the exact marginal likelihood
``log p(y | X, w, theta)`` (botorch's L-BFGS over all parameters), warm-started from the
previous fit. The model is a ``SingleTaskGP`` whose ``forward`` applies ``g`` first, so its
posterior is a ``GPyTorchPosterior`` and all acquisitions work unchanged; with several
outputs the features are shared and each output has its own kernel hyperparameters.
"""

from __future__ import annotations

from typing import Any

import torch
from botorch.models import SingleTaskGP
from botorch.models.transforms.input import InputTransform
from gpytorch.distributions import MultivariateNormal
from gpytorch.kernels import MaternKernel, ScaleKernel
from torch import Tensor, nn

from bbo.surrogates.bnn.common import OneHot, fit_warm
from bbo.surrogates.gp import GPData


class DKLGP(SingleTaskGP):
    """``SingleTaskGP`` with inputs mapped by ``features`` (``... x D`` -> ``... x k``)
    before the mean and kernel."""

    def __init__(
        self,
        X: Tensor,
        Y: Tensor,
        Yvar: Tensor | None,
        input_transform: InputTransform,
        features: nn.Module,
        k: int,
    ) -> None:
        t = Y.shape[-1]
        batch = torch.Size([t]) if t > 1 else torch.Size([])
        covar = ScaleKernel(
            MaternKernel(nu=2.5, ard_num_dims=k, batch_shape=batch), batch_shape=batch
        )
        super().__init__(X, Y, train_Yvar=Yvar, covar_module=covar, input_transform=input_transform)
        self.features = features

    def forward(self, x: Tensor) -> MultivariateNormal:
        """``batch x n x d`` -> the prior ``MultivariateNormal`` of ``f`` on ``g(x)``."""
        if self.training:
            x = self.transform_inputs(x)
        z = self.features(x)
        return MultivariateNormal(self.mean_module(z), self.covar_module(z))


def fit_dkl(
    data: GPData,
    *,
    categorical_dims: dict[int, int],
    device: torch.device,
    seed: int,
    state: dict[str, Any] | None = None,
    refit: bool = True,
    hidden: int = 32,
    features: int = 4,
    maxiter: int = 200,
) -> tuple[DKLGP, dict[str, Any]]:
    """DKL GP on ``data`` (``X`` ``n x d`` index view, ``Y`` ``n x t``), in eval mode, and
    its JSON-ready state (the network weights are among ``params``). ``seed`` draws the
    network's initial weights when there is no stored state."""
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    X = torch.as_tensor(data.X, **kw)
    Y = torch.as_tensor(data.Y, **kw)
    Yvar = torch.as_tensor(data.Yvar, **kw).clamp_min(1e-9) if data.Yvar is not None else None
    onehot = OneHot(X.shape[-1], categorical_dims)
    k = min(onehot.out_dim, features)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        g = nn.Sequential(
            nn.Linear(onehot.out_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, k),
            nn.Tanh(),
        )
    model = DKLGP(X, Y, Yvar, onehot, g, k).to(**kw)
    return model, fit_warm(model, data.key(), state, refit, maxiter=maxiter)
