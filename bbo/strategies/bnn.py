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

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
from botorch.models.model import Model

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.base import strategy_options
from bbo.strategies.gp import GPOptions
from bbo.strategies.options import RUNTIME_NOT_OPTION, check_choice, check_int, option_error
from bbo.strategies.pipeline import (
    BOStrategy,
    ImputedData,
    TrainData,
    default_acquisition,
    default_n_init,
)
from bbo.surrogates.bnn import KIND_OPTIONS, KINDS, fit_bnn

# every option some kind takes (:data:`bbo.surrogates.bnn.KIND_OPTIONS`), in a stable order
KIND_OPTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(n for k in KINDS for n in KIND_OPTIONS[k]))


def check_kind_option(owner: str, kind: str, name: str, v: object) -> Any:
    """The value of the kind option ``name`` of ``kind``: ``hidden`` is a positive int or,
    where the kind takes layer widths, a list of them (one width becomes ``[width]``);
    every other kind option is a positive int. A name of another kind, or of none, raises
    :class:`InvalidArgumentError` naming the kind that takes it."""
    if name not in KIND_OPTIONS[kind]:
        valid = [k for k in KINDS if name in KIND_OPTIONS[k]]
        raise InvalidArgumentError(
            f"{owner} option `{name}` applies to kind {valid[0]!r}, not {kind!r}"
            if valid
            else f"{owner} takes no option `{name}`"
        )
    ok = lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 1  # noqa: E731
    if name == "hidden" and isinstance(KIND_OPTIONS[kind]["hidden"], list):
        if isinstance(v, (list, tuple)) and len(v) >= 1 and all(ok(x) for x in v):
            return [int(x) for x in v]
        if ok(v):
            return [int(v)]  # type: ignore[call-overload]
        raise option_error(owner, "hidden", "must be a layer width >= 1 or a list of them", v)
    return check_int(owner, name, v)


@dataclass(frozen=True)
class BNNOptions(GPOptions):
    """Options of ``bnn``: ``kind`` (``ensemble``, ``hmc``, ``ibnn``, ``dkl``), the kind's own
    options (:data:`bbo.surrogates.bnn.KIND_OPTIONS`: ``members``, ``hidden``, ``epochs``
    for ``ensemble``; ``samples``, ``chains``, ``hidden``, ``warmup``, ``leapfrog``,
    ``thin``, ``map_epochs`` for ``hmc``; ``depth`` for ``ibnn``; ``hidden`` for ``dkl``;
    ``maxiter`` for both; None: the kind's default) and every option of ``gp``
    (:class:`~bbo.strategies.gp.GPOptions`)."""

    strategy = "bnn"

    kind: str = "ensemble"
    members: int | None = None
    hidden: int | list[int] | None = field(default=None, hash=False)
    epochs: int | None = None
    samples: int | None = None
    chains: int | None = None
    warmup: int | None = None
    leapfrog: int | None = None
    thin: int | None = None
    map_epochs: int | None = None
    depth: int | None = None
    maxiter: int | None = None

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> BNNOptions:
        """As :meth:`Options.parse`; an unknown name says ``bnn takes no option `<name>```."""
        known = {f.name for f in fields(cls)}
        unknown = (
            sorted(str(k) for k in options if k not in known)
            if isinstance(options, Mapping)
            else []
        )
        if "device" in unknown:
            raise InvalidArgumentError(RUNTIME_NOT_OPTION)
        if unknown:
            raise InvalidArgumentError(f"{cls.strategy} takes no option `{unknown[0]}`")
        return super().parse(options)

    def __post_init__(self) -> None:
        check_choice(self.strategy, "kind", self.kind, KINDS)
        for name in KIND_OPTION_NAMES:
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, check_kind_option(self.strategy, self.kind, name, v))
        super().__post_init__()

    def kind_options(self) -> dict[str, Any]:
        """The kind options given (the others take :data:`KIND_OPTIONS`' defaults)."""
        return {
            n: getattr(self, n) for n in KIND_OPTIONS[self.kind] if getattr(self, n) is not None
        }


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
