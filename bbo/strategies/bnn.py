"""Bayesian optimization with Bayesian-neural-network surrogates (strategy ``bnn``).

The pipeline is the GP strategy's (:mod:`bbo.strategies.pipeline`): Sobol' initial design,
failed/infeasible imputation, output warping, the local model for large histories, pending
points and the acquisition registry. Only the model factory differs (:class:`BNNFactory`),
its model chosen by ``kind`` (:mod:`bbo.surrogates.bnn`):

* ``ensemble`` (default): deep ensemble of 10 MLPs, trained as one batch;
* ``hmc``: fully Bayesian MLP, 32 posterior draws by HMC;
* ``ibnn``: GP with the infinite-width BNN kernel;
* ``dkl``: deep kernel learning (GP on a learned residual warping of the inputs).

For the sampled kinds (``ensemble``, ``hmc``) every MC acquisition averages over all the
members (one "sample" per member, :class:`~bbo.acquisition.registry.MemberSampler`), and
the default acquisition is ``qLogNEI`` even for a single point (the analytic ``LogEI``
would replace the members by a Gaussian). The GP-based kinds use the GP's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from botorch.models.model import Model

from bbo.space import Space
from bbo.strategies.base import strategy_options
from bbo.strategies.bnn_options import KIND_OPTION_NAMES, BNNOptions, check_kind_option
from bbo.strategies.pipeline import (
    BOStrategy,
    ImputedData,
    TrainData,
    default_acquisition,
    default_n_init,
)
from bbo.surrogates.bnn import fit_bnn

__all__ = [
    "KIND_OPTION_NAMES",
    "BNNFactory",
    "BNNOptions",
    "BNNStrategy",
    "check_kind_option",
]


@dataclass
class BNNFactory:
    """The model step of ``bnn``: :func:`bbo.surrogates.bnn.fit_bnn` of ``kind`` with the
    kind ``options``. The network's seed is drawn from the strategy's ``seed`` and the
    number of training points (``SeedSequence([seed, n, 1])``), so the same data give the
    same model; the last model is reused when the data have not changed (the study asks
    again after a duplicate). For the sampled kinds (``ensemble``, ``hmc``) the default
    acquisition is ``qLogNEI`` even for one point (``qLogNEHVI`` for several objectives):
    MC over the members, where the analytic ``LogEI`` would replace them by a Gaussian; the
    GP-based kinds use the GP's defaults."""

    space: Space
    kind: str
    options: dict[str, Any]
    seed: int
    _last: tuple[str, Model, dict[str, Any]] | None = None

    def fit(
        self,
        data: TrainData,
        *,
        device: torch.device,
        seed: int,
        state: dict[str, Any],
        refit: bool,
    ) -> tuple[Model, dict[str, Any]]:
        gp_data = data.gp_data()
        key = gp_data.key()
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        fit_seed = int(np.random.SeedSequence([self.seed, len(data.X), 1]).generate_state(1)[0])
        model, new_state = fit_bnn(
            self.kind,
            gp_data,
            categorical_dims=self.space.categorical_dims,
            device=device,
            seed=fit_seed,
            state=state,
            refit=refit,
            options=self.options,
        )
        self._last = (key, model, new_state)
        return model, new_state

    def default_acquisition(self, q: int, m: int, k: int, p: int) -> str:
        if self.kind in ("ensemble", "hmc"):
            return "qLogNEHVI" if m > 1 else "qLogNEI"
        return default_acquisition(q, m, k, p)


class BNNStrategy(BOStrategy):
    """BNN-BO: the pipeline with :class:`~bbo.strategies.pipeline.ImputedData` and
    :class:`BNNFactory`, configured by :class:`BNNOptions` (parsed, or as keywords)."""

    name = "bnn"
    Options = BNNOptions

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: BNNOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.options = opts = strategy_options(BNNOptions, options, kwargs)
        self.kind = opts.kind
        self.kind_options = opts.kind_options()
        super().__init__(
            self.name,
            space,
            seed=seed,
            data=ImputedData(
                space, opts.max_exact, opts.warp, opts.n_init or default_n_init(space.dim)
            ),
            factory=BNNFactory(space, opts.kind, self.kind_options, int(seed)),
            acquisition=opts.acquisition,
            n_init=opts.n_init,
            acq_settings=opts.acq_settings(),
            device=device,
        )
