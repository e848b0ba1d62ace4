"""A GP in the principal axes of the best points (``rotation: true``).

A GP with one lengthscale per column describes a function whose directions of change are
the columns. An ill-conditioned function in a rotated frame (BBOB's rotated ellipsoid,
discus, bent cigar, sharp ridge, Rosenbrock's curved valley) changes fastest along
directions that mix every column, so each lengthscale settles at the shortest scale of all
and the model sees a round bowl where there is a long valley. CMA-ES learns the frame from
its best samples; here the frame is the principal axes of the best half of the observed
points: with utilities ``u`` (higher is better), the ``mu = n // 2`` best rows ``x_i`` of
``X`` (``n x d``) in order, weights ``w_i ∝ log(mu + 1/2) - log i`` (CMA-ES's
recombination weights) and their weighted mean ``m``,

    C = sum_i w_i (x_i - m)(x_i - m)^T = R diag(lambda) R^T,   lambda descending,

and the GP's inputs are ``z = (x - 1/2) R + 1/2`` (:class:`Rotation`: an orthogonal map,
so distances, and with them the dimension-scaled lengthscale prior, are unchanged). For a
quadratic bowl the best points fill an ellipsoid whose axes are the Hessian's
eigenvectors, the frame in which one lengthscale per column is exact.

Whether the frame helps is the data's call: :func:`fit_rotated_gp` fits the GP on ``X``
and on ``z`` (each warm-started from its own stored hyperparameters) and keeps the one with
the higher MAP objective (marginal likelihood plus priors, per point), by a margin of
:data:`MIN_GAIN`. Both are refitted only when the pipeline refits; in between the stored
frame and choice are reused, so a resumed study rebuilds the model it had. The frame is
computed once ``mu >= MIN_TOP_PER_DIM * d``; before that, and on spaces with discrete,
categorical or conditional columns, the GP is the plain one.

The fast paths stay: the cached posterior (:class:`bbo.surrogates.cached.CachedGP`) of a
rotated model evaluates the kernel of rotated points (:meth:`Rotation.wrap_cache`), and its
numpy mirror rotates the queries and maps the gradients back, ``d/dx = (d/dz) R^T``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from botorch.models import SingleTaskGP
from botorch.models.transforms.input import InputTransform
from torch import Tensor

from bbo.surrogates.gp import GPData
from bbo.surrogates.numpy_posterior import GradPosterior

if TYPE_CHECKING:
    from bbo.surrogates.cached import CachedGP

MIN_TOP_PER_DIM = 2  # the frame needs at least 2 d of the best points
MIN_GAIN = 0.25  # the rotated GP's MAP objective per point must exceed the plain one's by this


def principal_axes(X: np.ndarray, u: np.ndarray) -> np.ndarray | None:
    """The ``d x d`` orthogonal frame ``R`` of the module docstring (columns by descending
    spread, each column's largest entry positive, so that the frame is a function of the
    data alone), from ``X`` (``n x d``) and utilities ``u`` (``n``, higher is better); None
    while ``n // 2 < MIN_TOP_PER_DIM * d`` or ``d < 2``."""
    n, d = X.shape
    mu = n // 2
    if d < 2 or mu < MIN_TOP_PER_DIM * d:
        return None
    top = np.argsort(-u, kind="stable")[:mu]
    w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
    w /= w.sum()
    D = X[top] - w @ X[top]
    _, vecs = np.linalg.eigh((D * w[:, None]).T @ D)
    R = vecs[:, ::-1].copy()
    sign = np.sign(R[np.abs(R).argmax(0), np.arange(d)])
    return np.asarray(R * sign, dtype=np.float64)


def rotate(X: Any, R: Any) -> Any:
    """``... x d`` points (numpy or torch, ``R`` of the same kind) -> ``(X - 1/2) R + 1/2``."""
    return (X - 0.5) @ R + 0.5


class Rotation(InputTransform):
    """``b x n x d`` -> ``b x n x d``: :func:`rotate` by the frame ``R`` (``d x d``, a
    buffer) as a botorch input transform (training, evaluation and fantasies; no
    parameters)."""

    R: Tensor

    def __init__(self, R: Tensor) -> None:
        super().__init__()
        self.register_buffer("R", R)
        self.transform_on_train = True
        self.transform_on_eval = True
        self.transform_on_fantasize = True

    def transform(self, X: Tensor) -> Tensor:
        return rotate(X, self.R.to(X))

    def untransform(self, X: Tensor) -> Tensor:
        return (X - 0.5) @ self.R.to(X).T + 0.5

    def equals(self, other: InputTransform) -> bool:
        return isinstance(other, Rotation) and bool(torch.equal(other.R, self.R))

    def wrap_cache(self, cache: CachedGP) -> CachedGP:
        """The :class:`~bbo.surrogates.cached.CachedGP` of a model with this transform, from
        the cache built on its rotated training inputs: inputs in the original frame,
        rotated by every kernel call (mean, variance, believed points)."""
        base = cache.kernel
        R = self.R.to(cache.X)

        def kernel(a: Tensor, b: Tensor) -> Tensor:
            return base(rotate(a, R), rotate(b, R))

        grad = None
        if cache.grad is not None:
            own = {f.name: getattr(cache.grad, f.name) for f in fields(cache.grad)}
            grad = _RotatedGrad(**own, R=R.cpu().numpy())
        return replace(cache, X=self.untransform(cache.X), kernel=kernel, grad=grad)


@dataclass(frozen=True)
class _RotatedGrad(GradPosterior):
    """The numpy posterior of rotated inputs as a function of the original ``d`` columns:
    queries and believed points are rotated, the gradients mapped back by ``R^T``."""

    R: Any = None

    def condition(self, X: Tensor, K_inv: Tensor, alpha: Tensor) -> GradPosterior:
        return super().condition(rotate(X, torch.as_tensor(self.R).to(X)), K_inv, alpha)

    def __call__(
        self, x: np.ndarray, grad: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        mean, var, dmean, dvar = super().__call__(rotate(x, self.R), grad)
        if dmean is None or dvar is None:
            return mean, var, None, None
        return mean, var, dmean @ self.R.T, dvar @ self.R.T


FitGP = Callable[[GPData, dict[str, Any] | None, bool], tuple[SingleTaskGP, dict[str, Any]]]


def fit_rotated_gp(
    data: GPData, fit: FitGP, state: dict[str, Any] | None, refit: bool
) -> tuple[SingleTaskGP, dict[str, Any]]:
    """The plain or the rotated GP of ``data`` (module docstring), by ``fit(data, state,
    refit)`` (:func:`bbo.surrogates.gp.fit_gp` with the caller's settings). The state is
    ``{"plain": ..., "rotated": ..., "axes": R or None, "use": "plain" | "rotated"}``, the
    two fits' own states, the frame (a nested list) and the choice."""
    state = state or {}
    plain_state, rot_state = state.get("plain"), state.get("rotated")
    if not refit and state.get("use") == "rotated":  # the stored frame and choice
        stored = np.asarray(state["axes"], dtype=np.float64)
        model, rot_state = _rotated(data, stored, fit, rot_state, refit)
        return model, {**state, "rotated": rot_state}
    plain, plain_state = fit(data, plain_state, refit)
    out = {"plain": plain_state, "rotated": rot_state, "axes": None, "use": "plain"}
    if not refit and state.get("use") == "plain":
        return plain, {**out, "axes": state.get("axes")}
    R = principal_axes(data.X, data.Y[:, 0])
    if R is None:
        return plain, out
    model, rot_state = _rotated(data, R, fit, rot_state, refit)
    out = {**out, "rotated": rot_state, "axes": R.tolist()}
    if _value(rot_state) - _value(plain_state) > MIN_GAIN:
        return model, {**out, "use": "rotated"}
    return plain, out


def _value(state: dict[str, Any]) -> float:
    value = state.get("value")
    return float("-inf") if value is None else float(value)


def _rotated(
    data: GPData, R: np.ndarray, fit: FitGP, state: dict[str, Any] | None, refit: bool
) -> tuple[SingleTaskGP, dict[str, Any]]:
    """The GP fitted on the rotated inputs, returned as the same GP on ``data.X`` with a
    :class:`Rotation` transform (in eval mode), and the fit's state."""
    rotated, state = fit(replace(data, X=rotate(data.X, R)), state, refit)
    X = torch.as_tensor(data.X, dtype=torch.float64, device=rotated.train_targets.device)
    tf = Rotation(torch.as_tensor(R).to(X))
    Y = torch.as_tensor(data.Y, dtype=torch.float64, device=X.device)
    kw: dict[str, Any] = {"covar_module": rotated.covar_module, "mean_module": rotated.mean_module}
    model = SingleTaskGP(X, Y, likelihood=rotated.likelihood, input_transform=tf, **kw)
    model.eval()
    return model, state
