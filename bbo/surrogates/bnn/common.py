"""Pieces shared by the BNN surrogates: the one-hot input view, output standardization,
a batched-weights MLP, the sampler that enumerates ensemble members, and the warm-started
marginal-likelihood fit of the GP-based kinds.

**Batched MLP.** ``c`` networks with the same architecture ``D -> h -> ... -> h -> t``
(``tanh`` hidden units) are stored as one flat parameter tensor ``theta`` of shape
``c x P``. :meth:`BatchedMLP.forward` evaluates all of them in one batched pass
(``torch.matmul`` over the leading member dimension), so training ``c`` ensemble members
or advancing ``c`` HMC chains costs one forward/backward, not a loop of models.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from botorch.exceptions.errors import ModelFittingError
from botorch.fit import fit_gpytorch_mll
from botorch.models.transforms.input import InputTransform
from botorch.optim.closures import get_loss_closure_with_grads
from botorch.optim.utils import get_parameters_and_bounds
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.models import ExactGP
from torch import Tensor

from bbo.surrogates.gp import _load, hyperparameters


class OneHot(InputTransform):
    """Index view ``... x d`` (every column in ``[0, 1]``) -> one-hot view ``... x D``.

    A categorical column with ``k`` choices becomes ``k`` indicator columns holding
    ``1[floor(k x) = i]`` (the same rule as :meth:`bbo.space.Space.to_onehot`); other columns
    are copied. Piecewise constant in the categorical columns (zero gradient there: the
    mixed-space optimizer moves those columns by discrete steps). With no categorical
    column it is the identity.
    """

    def __init__(self, d: int, categorical_dims: dict[int, int]) -> None:
        super().__init__()
        self.transform_on_train = True
        self.transform_on_eval = True
        self.transform_on_fantasize = True
        self.d = d
        self.cats = dict(sorted(categorical_dims.items()))

    @property
    def out_dim(self) -> int:
        """``D``: columns of the one-hot view."""
        return self.d + sum(k - 1 for k in self.cats.values())

    def transform(self, X: Tensor) -> Tensor:
        if not self.cats:
            return X
        parts: list[Tensor] = []
        for j in range(self.d):
            col = X[..., j : j + 1]
            k = self.cats.get(j)
            if k is None:
                parts.append(col)
                continue
            idx = (col.clamp(0.0, 1.0) * k).floor().clamp(max=k - 1).long().squeeze(-1)
            parts.append(torch.nn.functional.one_hot(idx, k).to(X))
        return torch.cat(parts, dim=-1)

    def equals(self, other: InputTransform) -> bool:
        return isinstance(other, OneHot) and (self.d, self.cats) == (other.d, other.cats)


class Standardizer:
    """Per-column z-scoring of ``n x t`` targets: ``z = (y - mu) / sd`` (``sd = 1`` for a
    constant column); :meth:`untransform` maps ``... x t`` predictions back."""

    def __init__(self, Y: Tensor) -> None:
        self.mu = Y.mean(0)
        sd = Y.std(0) if len(Y) > 1 else torch.ones_like(self.mu)
        self.sd = torch.where(sd > 1e-12, sd, torch.ones_like(sd))

    def transform(self, Y: Tensor) -> Tensor:
        return (Y - self.mu) / self.sd

    def untransform(self, Z: Tensor) -> Tensor:
        return Z * self.sd + self.mu


INPUT_SCALE = 3.0


class BatchedMLP:
    """``c`` MLPs ``D -> hidden... -> t`` with ``tanh`` units, as one flat ``c x P`` tensor.

    Layer ``l`` has weights ``W_l`` (``fan_in x fan_out``) and bias ``b_l``; the flat vector
    holds them layer by layer. Inputs in ``[0, 1]`` are centred to ``[-1, 1]`` first.
    """

    def __init__(
        self, d_in: int, hidden: Sequence[int], d_out: int, input_scale: float = INPUT_SCALE
    ) -> None:
        self.input_scale = input_scale
        self.sizes = [d_in, *hidden, d_out]
        self.shapes: list[tuple[int, int]] = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.n_params = sum(i * o + o for i, o in self.shapes)

    def layers(self, theta: Tensor) -> list[tuple[Tensor, Tensor]]:
        """``c x P`` -> per layer ``(W: c x fan_in x fan_out, b: c x 1 x fan_out)`` views."""
        out, start = [], 0
        c = theta.shape[0]
        for i, o in self.shapes:
            W = theta[:, start : start + i * o].reshape(c, i, o)
            start += i * o
            b = theta[:, start : start + o].reshape(c, 1, o)
            start += o
            out.append((W, b))
        return out

    def prior_std(self, like: Tensor) -> Tensor:
        """``P`` prior standard deviations: ``INPUT_SCALE / sqrt(fan_in)`` for the first
        layer's weights and biases (the inputs span ``[-1, 1]``, so a first-layer unit varies
        on a length scale ~``1 / INPUT_SCALE`` of the box), ``1 / sqrt(fan_in)`` for the later
        weights (a unit's pre-activation has variance ~1 whatever the width), ``1`` for
        later biases."""
        parts = []
        for layer, (i, o) in enumerate(self.shapes):
            w = (self.input_scale if layer == 0 else 1.0) / math.sqrt(i)
            parts.append(torch.full((i * o,), w))
            parts.append(torch.full((o,), self.input_scale if layer == 0 else 1.0))
        return torch.cat(parts).to(like)

    def init(self, c: int, generator: torch.Generator, like: Tensor) -> Tensor:
        """``c x P`` independent draws from the prior ``N(0, diag(prior_std^2))``."""
        std = self.prior_std(like)
        z = torch.randn(c, self.n_params, generator=generator, device=like.device, dtype=like.dtype)
        return z * std

    def forward(self, theta: Tensor, X: Tensor) -> Tensor:
        """``theta``: ``c x P``; ``X``: ``N x D`` -> outputs ``c x N x t``."""
        h = (2.0 * X - 1.0).unsqueeze(0)
        layers = self.layers(theta)
        for W, b in layers[:-1]:
            h = torch.tanh(torch.matmul(h, W) + b)
        W, b = layers[-1]
        return torch.matmul(h, W) + b


class Adam:
    """Adam (Kingma & Ba 2015) on one tensor, in a few lines: ``torch.optim.Adam``'s first
    step imports ``torch._dynamo``, which costs seconds per process on a busy CPU::

        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
        theta <- theta - lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
    """

    def __init__(self, theta: Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999)):
        self.theta, self.lr, (self.b1, self.b2) = theta, lr, betas
        self.m = torch.zeros_like(theta)
        self.v = torch.zeros_like(theta)
        self.k = 0

    @torch.no_grad()
    def step(self, grad: Tensor) -> None:
        self.k += 1
        self.m.mul_(self.b1).add_(grad, alpha=1 - self.b1)
        self.v.mul_(self.b2).addcmul_(grad, grad, value=1 - self.b2)
        denom = (self.v / (1 - self.b2**self.k)).sqrt_().add_(1e-8)
        self.theta.addcdiv_(self.m, denom, value=-self.lr / (1 - self.b1**self.k))


def members_first(out: Tensor, batch_shape: torch.Size) -> Tensor:
    """``c x N x t`` member outputs on ``N = prod(batch) * q`` flattened points ->
    ``batch x c x q x t`` (the layout of :class:`EnsemblePosterior` values)."""
    c, _, t = out.shape
    out = out.reshape(c, *batch_shape, -1, t)
    return out.movedim(0, len(batch_shape))


def fit_warm(
    model: ExactGP,
    key: str,
    state: dict[str, Any] | None,
    refit: bool,
    maxiter: int | None = None,
) -> dict[str, Any]:
    """Fit an exact GP's hyperparameters by marginal likelihood (botorch's L-BFGS), starting
    from the stored ``state["params"]`` (a warm start). They are used as they are, without
    fitting, when they were fitted on the same data (``state["key"] == key``) or when
    ``refit=False``. ``maxiter`` caps the L-BFGS iterations. Leaves ``model`` in eval
    mode; returns the new JSON-ready state ``{"key", "n_fit", "params"}``."""
    state = state or {}
    n = int(model.train_targets.shape[-1])
    loaded = _load(model, state.get("params", {}))
    n_fit = state.get("n_fit", n)
    if not (loaded and (state.get("key") == key or not refit)):
        n_fit = n
        with warnings.catch_warnings(), contextlib.suppress(ModelFittingError):
            warnings.simplefilter("ignore")  # botorch's input/optimization warnings
            mll = ExactMarginalLogLikelihood(model.likelihood, model)
            opts = {"options": {"maxiter": maxiter}} if maxiter else None
            # one joint L-BFGS over all parameters: botorch would otherwise fit the outputs
            # of a multi-output model separately, which shared parameters (DKL's network)
            # do not allow
            params = {n: p for n, p in get_parameters_and_bounds(mll)[0].items() if p.requires_grad}
            closure = get_loss_closure_with_grads(mll, parameters=params)
            fit_gpytorch_mll(mll, closure=closure, optimizer_kwargs=opts)
    model.eval()
    return {"key": key, "n_fit": n_fit, "params": hyperparameters(model)}
