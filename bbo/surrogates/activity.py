"""Activity indicators of conditional parameters as GP inputs (``conditional: indicators``).

On a space with conditional parameters (:mod:`bbo.space.conditions`) an inactive column of
an encoded point holds a fixed value, :attr:`~bbo.space.conditions.Conditions.fill` (the
imputation the GP sees by default, ``conditional: impute``). With indicators the GP's
inputs get one more column per conditional parameter (in space order): 1 where the
parameter is active, 0 where it is not. The activity is a function of the parents'
encoded values (:meth:`~bbo.space.conditions.Conditions.active_mask`), so it is computed
from the ``d``-column point, and the GP stays a function of ``d`` columns for everything
that calls it (the acquisition optimizer, the Kriging believer, the trust region's centre,
the prior weighting): :class:`ActivityIndicators` is a botorch input transform that
appends the columns. The kernel treats them as categorical columns (botorch's
``CategoricalKernel`` factor ``exp(-mean_j [a_j != a'_j] / l_j)`` of
:mod:`bbo.surrogates.gp`): two points on different branches are told apart by a learned
amount on top of the parents' own columns, and an inactive column's fill value no longer
stands for "active at the centre of the range".

The fast paths stay: the hyperparameters are fitted on the ``n x (d + c)`` augmented data
by :func:`bbo.surrogates.gp.fit_gp` (plain torch MAP), then carried over to the same GP
with the transform on the ``n x d`` data (:func:`fit_activity_gp`); the cached posterior
(:class:`bbo.surrogates.cached.CachedGP`) of such a model evaluates the kernel of
augmented points (:meth:`ActivityIndicators.wrap_cache`), its numpy mirror likewise
(the indicator columns are piecewise constant: no gradient).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from botorch.models import SingleTaskGP
from botorch.models.transforms.input import InputTransform
from torch import Tensor

from bbo.surrogates.gp import GPData, fit_gp
from bbo.surrogates.names import CONDITIONAL as CONDITIONAL  # defined torch-free there
from bbo.surrogates.numpy_posterior import GradPosterior

if TYPE_CHECKING:
    from bbo.space.conditions import Conditions
    from bbo.surrogates.cached import CachedGP


def indicator_columns(conditions: Conditions) -> list[int]:
    """The columns of the conditional parameters, in space order (one indicator each)."""
    return [j for j, n in enumerate(conditions.names) if n in conditions.when]


def append_activity(X: Any, conditions: Conditions) -> Any:
    """``... x d`` encoded points (numpy or torch) -> ``... x (d + c)``: the points and, per
    conditional parameter (:func:`indicator_columns`), 1.0 where it is active and 0.0 where
    it is not (the parents read as decoding reads them). A new array of ``X``'s dtype."""
    shape = X.shape
    cols = indicator_columns(conditions)
    flat = X.reshape(-1, shape[-1])
    on = conditions.active_mask(flat)[:, cols]
    if isinstance(X, Tensor):
        return torch.cat([flat, on.to(flat.dtype)], -1).reshape(*shape[:-1], -1)
    return np.concatenate([flat, on.astype(flat.dtype)], -1).reshape(*shape[:-1], -1)


class ActivityIndicators(InputTransform):
    """``b x n x d`` -> ``b x n x (d + c)``: :func:`append_activity` as a botorch input
    transform (applied in training, evaluation and fantasies; no parameters)."""

    def __init__(self, conditions: Conditions) -> None:
        super().__init__()
        self.conditions = conditions
        self.d = len(conditions.names)
        self.n_extra = len(indicator_columns(conditions))
        self.transform_on_train = True
        self.transform_on_eval = True
        self.transform_on_fantasize = True

    def transform(self, X: Tensor) -> Tensor:
        if X.shape[-1] != self.d:  # already augmented (a model's stored training inputs)
            return X
        return append_activity(X, self.conditions)

    def equals(self, other: InputTransform) -> bool:
        return isinstance(other, ActivityIndicators) and other.conditions is self.conditions

    def wrap_cache(self, cache: CachedGP) -> CachedGP:
        """The :class:`~bbo.surrogates.cached.CachedGP` of a model with this transform, from
        the cache built on its augmented training inputs (``n x (d + c)``): inputs of
        ``d`` columns, augmented by every kernel call (mean, variance, believed points)."""
        base = cache.kernel
        aug = self.transform

        def kernel(a: Tensor, b: Tensor) -> Tensor:
            return base(aug(a), aug(b))

        grad = None
        if cache.grad is not None:
            own = {f.name: getattr(cache.grad, f.name) for f in fields(cache.grad)}
            grad = _ActivityGrad(**own, augment=self._augment_any)
        return replace(cache, X=cache.X[:, : self.d], kernel=kernel, grad=grad)

    def _augment_any(self, X: Any) -> Any:
        return X if X.shape[-1] != self.d else append_activity(X, self.conditions)


@dataclass(frozen=True)
class _ActivityGrad(GradPosterior):
    """The numpy posterior of the augmented inputs as a function of ``d`` columns: queries
    and believed points are augmented, the gradients of the indicator columns dropped."""

    augment: Any = None

    def condition(self, X: Tensor, K_inv: Tensor, alpha: Tensor) -> GradPosterior:
        return super().condition(self.augment(X), K_inv, alpha)

    def __call__(
        self, x: np.ndarray, grad: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        d = x.shape[-1]
        mean, var, dmean, dvar = super().__call__(self.augment(x), grad)
        if dmean is None or dvar is None:
            return mean, var, None, None
        return mean, var, dmean[:, :d], dvar[:, :d]


def fit_activity_gp(
    data: GPData,
    conditions: Conditions,
    *,
    cat_dims: Sequence[int],
    device: torch.device,
    state: dict[str, Any] | None,
    refit: bool = True,
    mixed_kernel: str = "product",
    kernel: str = "rbf",
) -> tuple[SingleTaskGP, dict[str, Any]]:
    """:func:`bbo.surrogates.gp.fit_gp` with activity indicators (module docstring): the GP
    is fitted on the augmented data, the indicator columns categorical, and returned as the
    same GP on ``data.X`` (``n x d``) with an :class:`ActivityIndicators` transform (in eval
    mode); the state is the augmented fit's."""
    tf = ActivityIndicators(conditions)
    d = data.X.shape[-1]
    augmented = GPData(append_activity(np.asarray(data.X, dtype=np.float64), conditions), data.Y)
    augmented = replace(augmented, Yvar=data.Yvar)
    extra = list(range(d, d + tf.n_extra))
    plain, state = fit_gp(
        augmented,
        cat_dims=[*cat_dims, *extra],
        device=device,
        state=state,
        refit=refit,
        mixed_kernel=mixed_kernel,
        kernel=kernel,
    )
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    model = SingleTaskGP(
        torch.as_tensor(data.X, **kw),
        torch.as_tensor(data.Y, **kw),
        likelihood=plain.likelihood,  # fixed noise: already the standardized variances
        covar_module=plain.covar_module,
        mean_module=plain.mean_module,
        input_transform=tf,
    )
    model.eval()
    return model, state
