"""``botorch-vanilla``: the plain BoTorch loop a user would write from the tutorials.

* Encode configurations to the unit cube with ``bbo.Space.encode`` (log floats in log scale,
  integers and categoricals as one relaxed dimension each).
* Initial design: ``2 (d + 1)`` scrambled Sobol points (seeded).
* Then each step: ``SingleTaskGP`` with default priors and ``Normalize`` / ``Standardize``
  transforms fitted by ``fit_gpytorch_mll``; ``qLogNoisyExpectedImprovement`` (the objective
  is negated: BoTorch maximizes); ``optimize_acqf(q=1, num_restarts=10, raw_samples=512)`` on
  ``[0, 1]^d``. Mixed spaces: the continuous relaxation is optimized and the optimum decoded
  (rounded) by ``Space.decode``; categoricals are treated as one ordinal dimension.
* Outcome constraint: a separate GP per constraint metric in a ``ModelListGP``, passed as
  ``constraints`` to qLogNEI (feasible when the sampled constraint value is ``<= 0``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.problems import CONSTRAINT, OBJECTIVE, Instance

NUM_RESTARTS = 10
RAW_SAMPLES = 512


class BotorchVanilla:
    """Sobol initial design, then SingleTaskGP + qLogNEI + optimize_acqf, one point a step."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        import torch
        from torch.quasirandom import SobolEngine

        self._torch = torch
        self._instance = instance
        self._seed = seed
        self._d = instance.dim
        self._n_init = 2 * (self._d + 1)
        self._init = SobolEngine(self._d, scramble=True, seed=seed).draw(self._n_init)
        self._init = self._init.to(torch.double)
        self._X: list[np.ndarray] = []
        self._Y: list[list[float]] = []
        self._asked = 0

    def _record(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._X.append(self._instance.space.encode(params))
        row = [-metrics[OBJECTIVE]]
        if self._instance.constraint is not None:
            row.append(metrics[CONSTRAINT])
        self._Y.append(row)

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._record(params, metrics)

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._record(params, metrics)

    def ask(self) -> dict[str, Any]:
        step = self._asked
        self._asked += 1
        if step < self._n_init and len(self._X) < self._n_init:
            x = self._init[step].numpy()
        else:
            x = self._next_point(step)
        return self._instance.space.decode(np.asarray(x, dtype=float))

    def _next_point(self, step: int) -> np.ndarray:
        torch = self._torch
        from botorch.acquisition.logei import qLogNoisyExpectedImprovement
        from botorch.acquisition.objective import GenericMCObjective
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import ModelListGP, SingleTaskGP
        from botorch.models.transforms import Normalize, Standardize
        from botorch.optim import optimize_acqf
        from gpytorch.mlls import ExactMarginalLogLikelihood, SumMarginalLogLikelihood

        torch.manual_seed(self._seed * 100_003 + step)  # botorch draws from torch's RNG
        X = torch.tensor(np.array(self._X), dtype=torch.double)
        Y = torch.tensor(np.array(self._Y), dtype=torch.double)
        d = X.shape[-1]
        gps = [
            SingleTaskGP(
                X,
                Y[:, i : i + 1],
                input_transform=Normalize(d),
                outcome_transform=Standardize(1),
            )
            for i in range(Y.shape[1])
        ]
        kwargs: dict[str, Any] = {}
        if len(gps) == 1:
            model: Any = gps[0]
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        else:
            model = ModelListGP(*gps)
            fit_gpytorch_mll(SumMarginalLogLikelihood(model.likelihood, model))
            kwargs["objective"] = GenericMCObjective(_objective_column)
            kwargs["constraints"] = [_constraint_column]
        acqf = qLogNoisyExpectedImprovement(model, X_baseline=X, prune_baseline=True, **kwargs)
        bounds = torch.stack([torch.zeros(d), torch.ones(d)]).to(torch.double)
        cand, _ = optimize_acqf(
            acqf, bounds=bounds, q=1, num_restarts=NUM_RESTARTS, raw_samples=RAW_SAMPLES
        )
        return cand[0].detach().numpy()


def _objective_column(Z: Any, X: Any = None) -> Any:
    """Samples ``... x m`` -> the objective utility column (output 0)."""
    return Z[..., 0]


def _constraint_column(Z: Any) -> Any:
    """Samples ``... x m`` -> the constraint slack column (output 1; feasible when <= 0)."""
    return Z[..., 1]
