"""Gaussian-process surrogates: building, fitting, warm starts.

Training data arrive in the encoded unit cube (``n x d``, see :mod:`bbo.space.space`), so
no input transform is needed; outcomes are standardized by botorch's ``Standardize``.

* continuous spaces: ``SingleTaskGP`` (botorch's default kernel: RBF with the
  dimension-scaled log-normal lengthscale prior of Hvarfner et al. 2024, inferred noise);
* spaces with categorical parameters: ``MixedSingleTaskGP`` (a sum and product of a
  continuous kernel and a categorical Hamming kernel on the categorical columns);
* replicate samples known for every training point: fixed noise ``Yvar_i = s_i^2 / r_i``
  (the squared standard error of the replicate mean) instead of an inferred noise level.

A fitted model's hyperparameters are returned as a JSON-ready dict: the strategy stores it
with the study, and the next fit starts from it (a warm start); when the data are the same
as for the stored fit, the hyperparameters are loaded without refitting, so a resumed study
rebuilds exactly the model it had.
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
from botorch.models import MixedSingleTaskGP, ModelListGP, SingleTaskGP
from botorch.models.model import Model
from gpytorch.mlls import ExactMarginalLogLikelihood


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


def _gp(data: GPData, cat_dims: Sequence[int], device: torch.device) -> SingleTaskGP:
    kw: dict[str, Any] = {"dtype": torch.float64, "device": device}
    X = torch.as_tensor(data.X, **kw)
    Y = torch.as_tensor(data.Y, **kw)
    Yvar = torch.as_tensor(data.Yvar, **kw).clamp_min(1e-9) if data.Yvar is not None else None
    if cat_dims:
        return MixedSingleTaskGP(X, Y, cat_dims=list(cat_dims), train_Yvar=Yvar)
    return SingleTaskGP(X, Y, train_Yvar=Yvar)


def hyperparameters(model: Model) -> dict[str, list[float]]:
    """The trainable parameters of ``model`` as JSON-ready nested lists."""
    return {n: p.detach().cpu().tolist() for n, p in model.named_parameters()}


def _load(model: Model, params: dict[str, Any]) -> bool:
    """Copy stored values into the parameters of matching name and shape; True if all
    parameters were found."""
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


def fit_gps(
    datasets: Sequence[GPData],
    *,
    cat_dims: Sequence[int],
    device: torch.device,
    state: dict[str, Any] | None,
) -> tuple[Model, dict[str, Any]]:
    """Fit one GP per dataset; several datasets become a ``ModelListGP`` whose outputs are
    the datasets' columns in order. Returns the model (eval mode) and its new state.
    Run it under :func:`bbo.torch_utils.seeded`: a failed fit restarts from random draws."""
    state = state or {}
    key = "|".join(d.key() for d in datasets)
    stored: list[dict[str, Any]] = list(state.get("models", []))
    same_data = state.get("key") == key and len(stored) == len(datasets)
    models: list[SingleTaskGP] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # botorch's input/optimization warnings are expected
        for i, data in enumerate(datasets):
            model = _gp(data, cat_dims, device)
            loaded = i < len(stored) and _load(model, stored[i])
            if not (same_data and loaded):
                # on failure keep the warm-started (or prior) hyperparameters: still a valid GP
                with contextlib.suppress(ModelFittingError):
                    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            model.eval()
            models.append(model)
    new_state = {"key": key, "models": [hyperparameters(m) for m in models]}
    model = models[0] if len(models) == 1 else ModelListGP(*models)
    model.eval()
    return model, new_state
