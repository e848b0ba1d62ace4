"""Bayesian-neural-network surrogates (Li et al. 2024, "A Study of Bayesian Neural Network
Surrogates for Bayesian Optimization"), each a botorch ``Model``:

| kind       | model                                        | posterior                     |
|------------|----------------------------------------------|-------------------------------|
| `ensemble` | deep ensemble of MLPs, trained as one batch  | ``EnsemblePosterior`` (members)|
| `hmc`      | fully Bayesian MLP, HMC draws                | ``EnsemblePosterior`` (draws)  |
| `ibnn`     | GP with the infinite-width BNN kernel        | ``GPyTorchPosterior``          |
| `dkl`      | GP on an input warping learned by an MLP      | ``GPyTorchPosterior``          |

Inputs are the encoded index view ``batch x q x d`` (unit cube, see :mod:`bbo.space`);
each model maps it to the one-hot view internally, so the acquisition optimizers work on
the same space as for the GP. Outputs are ``t`` columns (objectives, then constraint
slacks), standardized inside the model. ``posterior(X).rsample(torch.Size([s]))`` has
shape ``s x batch x q x t``.

:func:`fit_bnn` is the one entry point: same kind, options, seed and data give the same
model. The GP-based kinds keep JSON-ready hyperparameters (a warm start, like the GP's);
the network kinds are refitted from their seed on every call and keep no weights.
"""

from __future__ import annotations

from typing import Any

import torch
from botorch.models.model import Model

from bbo.surrogates.gp import GPData
from bbo.surrogates.names import KIND_OPTIONS, KINDS


def fit_bnn(
    kind: str,
    data: GPData,
    *,
    categorical_dims: dict[int, int],
    device: torch.device,
    seed: int,
    state: dict[str, Any] | None = None,
    refit: bool = True,
    options: dict[str, Any] | None = None,
) -> tuple[Model, dict[str, Any]]:
    """Fit the surrogate ``kind`` on ``data`` (``X`` ``n x d`` index view in the unit
    cube, ``Y`` ``n x t``; ``Yvar`` is used by the GP-based kinds only) and return it in
    eval mode with its new JSON-ready state. ``state``/``refit`` are the warm start of the
    GP-based kinds (see :func:`bbo.surrogates.bnn.common.fit_warm`); ``options`` override
    :data:`KIND_OPTIONS`."""
    opts = {**KIND_OPTIONS[kind], **(options or {})}
    if kind in ("ibnn", "dkl"):
        if kind == "ibnn":
            from bbo.surrogates.bnn.ibnn import fit_ibnn

            return fit_ibnn(
                data,
                categorical_dims=categorical_dims,
                device=device,
                state=state,
                refit=refit,
                **opts,
            )
        from bbo.surrogates.bnn.dkl import fit_dkl

        return fit_dkl(
            data,
            categorical_dims=categorical_dims,
            device=device,
            seed=seed,
            state=state,
            refit=refit,
            **opts,
        )
    X = torch.as_tensor(data.X, dtype=torch.float64, device=device)
    Y = torch.as_tensor(data.Y, dtype=torch.float64, device=device)
    if kind == "ensemble":
        from bbo.surrogates.bnn.ensemble import fit_ensemble

        model: Model = fit_ensemble(X, Y, categorical_dims=categorical_dims, seed=seed, **opts)
    else:
        from bbo.surrogates.bnn.hmc import fit_hmc

        model = fit_hmc(X, Y, categorical_dims=categorical_dims, seed=seed, **opts)
    return model, {"n_fit": len(data.X)}


__all__ = ["KINDS", "KIND_OPTIONS", "fit_bnn"]
