"""Deep ensembles (kind ``ensemble``) and the ensemble model shared with HMC.

A deep ensemble (Lakshminarayanan et al. 2017) is ``s`` MLPs trained from independent
random initializations on the same data; the spread of their predictions is the
epistemic uncertainty. Member ``c`` minimizes its negative log posterior under a Gaussian
likelihood with fixed noise ``sigma_0`` (in standardized units) and the Gaussian prior
``theta ~ N(0, diag(s_p^2))`` of :meth:`BatchedMLP.prior_std`::

    L_c(theta_c) = 1/n sum_i ||f(x_i; theta_c) - z_i||^2 + sigma_0^2 / n ||theta_c / s_p||^2

All members are trained together: ``theta`` is one ``s x P`` tensor, ``sum_c L_c`` is
minimized with Adam (the members' gradients are independent because their parameters are
disjoint), so an epoch is one batched forward/backward over every member.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from botorch.models.ensemble import EnsembleModel
from torch import Tensor

from bbo.surrogates.bnn.common import Adam, BatchedMLP, OneHot, Standardizer, members_first
from bbo.torch_utils import generator


class MLPEnsemble(EnsembleModel):
    """A botorch ensemble model over ``s`` MLPs with parameters ``theta`` (``s x P``):
    deep-ensemble members or HMC posterior draws.

    ``posterior(X)`` for ``X`` of shape ``batch x q x d`` (index view) is an
    ``EnsemblePosterior`` with values ``batch x s x q x t``: member ``c``'s prediction
    ``f(onehot(X); theta_c)`` mapped back from standardized units. Its ``rsample`` draws
    members (``sample_shape x batch x q x t``); its mean and variance are the members' mean
    and (unbiased) variance.
    """

    def __init__(
        self,
        theta: Tensor,
        mlp: BatchedMLP,
        onehot: OneHot,
        scaler: Standardizer,
    ) -> None:
        super().__init__()
        self.theta = theta.detach()
        self.mlp = mlp
        self.onehot = onehot
        self.scaler = scaler
        self._num_outputs = mlp.sizes[-1]

    @property
    def ensemble_size(self) -> int:
        """``s``: number of members."""
        return int(self.theta.shape[0])

    def forward(self, X: Tensor) -> Tensor:
        """``batch x q x d`` -> ``batch x s x q x t``."""
        batch_shape = X.shape[:-2]
        Z = self.onehot.transform(X).reshape(-1, self.onehot.out_dim)
        out = self.scaler.untransform(self.mlp.forward(self.theta, Z))
        return members_first(out, batch_shape)


def map_train(
    mlp: BatchedMLP,
    theta0: Tensor,
    Z: Tensor,
    Y: Tensor,
    *,
    epochs: int,
    lr: float = 1e-2,
    noise: float = 0.1,
    anchored: bool = True,
) -> Tensor:
    """Adam on ``sum_c L_c`` (the module docstring) from ``theta0`` (``c x P``), full
    batch; ``Z``: ``n x D`` one-hot inputs; ``Y``: ``n x t`` standardized targets.
    Returns the trained ``c x P`` parameters."""
    theta = theta0.clone().requires_grad_(True)
    anchor = theta0 if anchored else torch.zeros_like(theta0)
    std = mlp.prior_std(theta0)
    n = len(Z)
    opt = Adam(theta, lr=lr)
    for _ in range(epochs):
        mse = ((mlp.forward(theta, Z) - Y) ** 2).mean(dim=(1, 2))  # c
        prior = (((theta - anchor) / std) ** 2).sum(-1) * (noise**2 / n)
        (grad,) = torch.autograd.grad((mse + prior).sum(), theta)
        opt.step(grad)
    return theta.detach()


def fit_ensemble(
    X: Tensor,
    Y: Tensor,
    *,
    categorical_dims: dict[int, int],
    seed: int,
    members: int = 10,
    hidden: Sequence[int] = (32, 32),
    epochs: int = 300,
    lr: float = 1e-2,
) -> MLPEnsemble:
    """Train a deep ensemble on ``X`` (``n x d`` index view) and ``Y`` (``n x t``).
    Same seed and data -> same members; the device and dtype are ``X``'s."""
    onehot = OneHot(X.shape[-1], categorical_dims)
    Z = onehot.transform(X)
    scaler = Standardizer(Y)
    mlp = BatchedMLP(onehot.out_dim, hidden, Y.shape[-1])
    gen = generator(seed, X.device)
    theta = map_train(mlp, mlp.init(members, gen, X), Z, scaler.transform(Y), epochs=epochs, lr=lr)
    return MLPEnsemble(theta, mlp, onehot, scaler)
