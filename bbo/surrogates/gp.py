"""Gaussian-process surrogates: building, fitting, warm starts.

Training data arrive in the encoded unit cube (``n x d``, see :mod:`bbo.space.space`), so
no input transform is needed; outcomes are standardized by botorch's ``Standardize``.

* continuous spaces: ``SingleTaskGP`` with botorch's default kernel, RBF with the
  dimension-scaled log-normal lengthscale prior of Hvarfner et al. 2024 (``kernel=
  "matern52"``: Matérn-5/2 with the same prior), and an inferred noise level under the
  wide prior of :func:`noise_likelihood`;
* spaces with categorical parameters, ``mixed_kernel="product"`` (the default): a
  ``SingleTaskGP`` whose kernel is the product of the same RBF on the other columns and
  botorch's ``CategoricalKernel`` (``exp(-mean_j [x_j != x'_j] / l_j)``) on the categorical
  ones, as in Optuna's GP sampler; ``"additive"``: botorch's ``MixedSingleTaskGP`` (the sum
  of that product and of the two kernels, each scaled; its continuous kernel is always
  RBF). The product kernel has 3 fewer
  hyperparameters and fits about 10 times faster (the A/B: docs/benchmarks.md, "Earlier
  runs");
* replicate samples known for every training point: fixed noise ``Yvar_i = s_i^2 / r_i``
  (the squared standard error of the replicate mean) instead of an inferred noise level.

Hyperparameters are the maximum a posteriori values (marginal likelihood plus the priors),
found by :func:`bbo.surrogates.mll.fit_map` (the same objective as gpytorch's, evaluated in
numpy or plain torch: 10-50 times faster than ``fit_gpytorch_mll`` on study-sized data),
with botorch's ``fit_gpytorch_mll`` for any model it does not know or a fit that fails.
A fitted model's hyperparameters are returned as a JSON-ready dict: the strategy stores it
with the study, and the next fit starts from it (a warm start); when the data are the same
as for the stored fit, the hyperparameters are loaded without refitting, so a resumed study
rebuilds exactly the model it had. A strategy that fits once per ask keeps its last model
in a :class:`ModelSlot` and has it refilled with the next ask's data rather than built again
(the same model bit for bit, without the cost of building gpytorch's modules).
"""

from __future__ import annotations

import contextlib
import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from botorch.exceptions.errors import ModelFittingError
from botorch.fit import fit_gpytorch_mll
from botorch.models import MixedSingleTaskGP, SingleTaskGP
from botorch.models.kernels.categorical import CategoricalKernel
from botorch.models.transforms.outcome import Standardize
from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
from gpytorch.constraints import GreaterThan
from gpytorch.kernels import Kernel
from gpytorch.likelihoods import GaussianLikelihood
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.priors import LogNormalPrior

from bbo.surrogates.mll import fit_map
from bbo.surrogates.names import KERNELS as KERNELS  # defined torch-free there
from bbo.surrogates.names import MIXED_KERNELS as MIXED_KERNELS


@dataclass(frozen=True)
class GPData:
    """Training data of one GP. ``X``: ``n x d`` in the unit cube; ``Y``: ``n x t``
    (higher is better is *not* assumed: the caller orients outputs); ``Yvar``: ``n x t`` known
    noise variances or ``None`` to infer a noise level."""

    X: np.ndarray
    Y: np.ndarray
    Yvar: np.ndarray | None = None

    def key(self) -> str:
        h = hashlib.sha256()
        for a in (self.X, self.Y, self.Yvar):
            if a is not None:
                h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
                h.update(str(a.shape).encode())
        return h.hexdigest()[:32]


# the inferred noise variance (of the standardized outputs): log-normal prior and floor
NOISE_PRIOR = (-8.0, 3.0)
MIN_NOISE = 1e-6
FRESH_GROWTH = 1.2  # also fit from the prior defaults once the data grew by 20%


def noise_likelihood(batch_shape: torch.Size) -> GaussianLikelihood:
    """The Gaussian likelihood of an inferred noise level: variance ``s`` (of the
    standardized outputs) with prior ``log s ~ N(-8, 3^2)`` (:data:`NOISE_PRIOR`) and floor
    ``1e-6`` (:data:`MIN_NOISE`). botorch's default, ``N(-4, 1)`` above ``1e-4``, holds a
    deterministic objective's noise near ``1e-3``: Hartmann-6 at 60 points was fitted with
    noise sd 0.04 of the outputs' spread, two of its six inputs deemed irrelevant, and the
    search could not resolve regrets below ~4e-3. This prior lets the data choose between
    near-interpolation and real noise (a noisy Hartmann-6, sd 0.2, still gets 0.23)."""
    loc, scale = NOISE_PRIOR
    prior = LogNormalPrior(loc=loc, scale=scale)
    return GaussianLikelihood(
        noise_prior=prior,
        batch_shape=batch_shape,
        noise_constraint=GreaterThan(MIN_NOISE, transform=None, initial_value=1e-3),
    )


def _gp(
    data: GPData, cat_dims: Sequence[int], device: torch.device, mixed_kernel: str, kernel: str
) -> SingleTaskGP:
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    X = torch.as_tensor(data.X, **kw)
    Y = torch.as_tensor(data.Y, **kw)
    Yvar = torch.as_tensor(data.Yvar, **kw).clamp_min(1e-9) if data.Yvar is not None else None
    batch = torch.Size([Y.shape[-1]]) if Y.shape[-1] > 1 else torch.Size()  # one per output
    lik = noise_likelihood(batch) if Yvar is None else None
    rbf = kernel == "rbf"
    if not cat_dims:
        alone = get_covar_module_with_dim_scaled_prior(
            ard_num_dims=X.shape[-1], batch_shape=batch, use_rbf_kernel=rbf
        )
        return SingleTaskGP(X, Y, train_Yvar=Yvar, likelihood=lik, covar_module=alone)
    if mixed_kernel == "additive":
        return MixedSingleTaskGP(X, Y, cat_dims=list(cat_dims), train_Yvar=Yvar, likelihood=lik)
    cont = [j for j in range(X.shape[-1]) if j not in set(cat_dims)]
    covar: Kernel = CategoricalKernel(
        ard_num_dims=len(cat_dims),
        active_dims=list(cat_dims),
        batch_shape=batch,
        lengthscale_constraint=GreaterThan(1e-6),
    )
    if cont:
        cont_kernel = get_covar_module_with_dim_scaled_prior(
            ard_num_dims=len(cont), active_dims=cont, batch_shape=batch, use_rbf_kernel=rbf
        )
        covar = cont_kernel * covar
    return SingleTaskGP(X, Y, train_Yvar=Yvar, covar_module=covar, likelihood=lik)


class ModelSlot:
    """The model of a strategy's last fit, refilled with the next fit's data instead of built
    again: building a ``SingleTaskGP`` (its priors, constraints and likelihood) costs about
    1 ms, 14 % of an ask of a 60-evaluation 6-D study. A refilled model is the fresh one bit
    for bit: its outcome transform is refitted on the new outputs and its parameters are
    reset to the values they had when it was built (the priors' defaults) before the
    caller's warm start is loaded.

    Only models of one output with an inferred noise level are kept (fixed noise and
    batched outputs would need their likelihood rebuilt), keyed by their structure. The
    owner must not use the previous fit's model after the next fit: it is changed in
    place. One slot per strategy: the BO pipeline fits and uses the model inside
    :func:`bbo.torch_utils.seeded`, whose process-wide lock also keeps two threads asking
    one study from sharing the slot at once.
    """

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._model: SingleTaskGP | None = None
        self._initial: list[torch.Tensor] = []

    def take(self, key: tuple[Any, ...], X: torch.Tensor, Y: torch.Tensor) -> SingleTaskGP | None:
        """The kept model refilled with ``X`` (``n x d``) and ``Y`` (``n x 1``), in train
        mode with its parameters at their initial values; None when none of ``key``."""
        model = self._model
        if model is None or key != self._key:
            return None
        tf: Standardize = model.outcome_transform  # type: ignore[assignment]
        tf.train()
        with torch.no_grad():
            Yt, _ = tf(Y)
            for p, v in zip(model.parameters(), self._initial):
                p.copy_(v)
        model.set_train_data(X, Yt.squeeze(-1), strict=False)  # type: ignore[operator]
        model.train()
        return model

    def keep(self, key: tuple[Any, ...], model: SingleTaskGP) -> None:
        """Keep the freshly built ``model`` (parameters at their initial values)."""
        self._key, self._model = key, model
        self._initial = [p.detach().clone() for p in model.parameters()]


def _slot_key(
    data: GPData, cat_dims: Sequence[int], device: torch.device, mixed_kernel: str, kernel: str
) -> tuple[Any, ...] | None:
    """What a kept model must share with the one ``data`` needs; None: not kept."""
    if data.Yvar is not None or data.Y.shape[-1] != 1 or (cat_dims and mixed_kernel != "product"):
        return None
    return (data.X.shape[-1], tuple(cat_dims), str(device), mixed_kernel, kernel)


def hyperparameters(model: SingleTaskGP) -> dict[str, list[float]]:
    """The trainable parameters of ``model`` as JSON-ready nested lists."""
    return {n: p.detach().cpu().tolist() for n, p in model.named_parameters()}


def _load(model: SingleTaskGP, params: dict[str, Any]) -> bool:
    """Copy stored values into the parameters of matching name and shape; True if every
    parameter was found (a change of model structure starts from the priors instead)."""
    found = 0
    own = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in own.items():
            if name in params:
                v = torch.as_tensor(params[name], dtype=p.dtype, device=p.device)
                if v.shape == p.shape:
                    p.copy_(v)
                    found += 1
    return found == len(own)


def fit_gp(
    data: GPData,
    *,
    cat_dims: Sequence[int],
    device: torch.device,
    state: dict[str, Any] | None,
    refit: bool = True,
    mixed_kernel: str = "product",
    kernel: str = "rbf",
    slot: ModelSlot | None = None,
) -> tuple[SingleTaskGP, dict[str, Any]]:
    """Fit a GP (one output per column of ``data.Y``) and return it in eval mode with its new
    state ``{"key", "n_fit", "n_fresh", "params", "value"}`` (``value``: the MAP objective
    per point of the last fit, or None). With a ``slot``, the model of the
    slot's previous fit is refilled rather than a new one built (:class:`ModelSlot`).

    The stored ``params`` are used as they are, without fitting, when the data are the ones
    they were fitted on, or when ``refit=False``. A refit maximizes the marginal likelihood
    (with the hyperparameter priors) from the stored ``params`` (a warm start); once the data
    have grown by the factor ``FRESH_GROWTH`` (and by two points) since the last such check
    (``n_fresh``), it also fits from the priors' defaults and keeps the better optimum: a
    warm start alone stays in the basin of an early fit once the data have outgrown it (seen
    on Branin: lengthscales three times too long, the search stalled in a false minimum for
    ten asks). That is ``O(log n)`` double fits over a study. Run it under
    :func:`bbo.torch_utils.seeded`: a failed fit restarts from random draws."""
    state = state or {}
    key = data.key()
    model = _built(data, cat_dims, device, mixed_kernel, kernel, slot)
    loaded = _load(model, state.get("params", {}))
    n_fit = state.get("n_fit", len(data.X))
    n_fresh = state.get("n_fresh", 0)
    stored = state.get("value")  # the MAP objective (per point) of the stored fit, if any
    value = float("nan") if stored is None else float(stored)
    if not (loaded and (state.get("key") == key or not refit)):
        n_fit = len(data.X)
        starts = [model]
        if loaded and n_fit >= max(n_fresh + 2, FRESH_GROWTH * n_fresh):
            starts.append(_gp(data, cat_dims, device, mixed_kernel, kernel))
        if len(starts) > 1 or not loaded:
            n_fresh = n_fit
        values = [_fit(start) for start in starts]
        best = int(np.argmax(values))
        model, value = starts[best], values[best]
    model.eval()
    params = hyperparameters(model)
    out = {"key": key, "n_fit": n_fit, "n_fresh": n_fresh, "params": params}
    return model, {**out, "value": value if np.isfinite(value) else None}


def _built(
    data: GPData,
    cat_dims: Sequence[int],
    device: torch.device,
    mixed_kernel: str,
    kernel: str,
    slot: ModelSlot | None,
) -> SingleTaskGP:
    """:func:`_gp`, or the ``slot``'s model refilled with ``data`` (kept there when new)."""
    key = _slot_key(data, cat_dims, device, mixed_kernel, kernel) if slot else None
    if slot is None or key is None:
        return _gp(data, cat_dims, device, mixed_kernel, kernel)
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    model = slot.take(key, torch.as_tensor(data.X, **kw), torch.as_tensor(data.Y, **kw))
    if model is None:
        model = _gp(data, cat_dims, device, mixed_kernel, kernel)
        slot.keep(key, model)
    return model


def _fit(model: SingleTaskGP) -> float:
    """Fit ``model`` in place by maximizing its marginal likelihood plus log priors; returns
    that objective (``-inf`` if it cannot be evaluated). The fit is
    :func:`bbo.surrogates.mll.fit_map` (the same objective in plain torch, several times
    faster), and botorch's ``fit_gpytorch_mll`` (with its retries from prior draws) where
    that one fails. On a fitting failure the starting hyperparameters stay: still a valid
    GP."""
    value = fit_map(model)  # plain torch; None: a model it does not know, or a failure
    if value is not None:
        return value
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    with warnings.catch_warnings(), contextlib.suppress(ModelFittingError):
        warnings.simplefilter("ignore")  # botorch's input/optimization warnings
        fit_gpytorch_mll(mll)
    model.train()
    try:
        with torch.no_grad():
            value = float(mll(model(*model.train_inputs), model.train_targets).sum())
    except Exception:  # a numerically broken start: never chosen
        value = float("-inf")
    return value if np.isfinite(value) else float("-inf")
