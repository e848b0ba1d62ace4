"""Bayesian optimization with Bayesian-neural-network surrogates (strategy ``bnn``).

The pipeline is the GP strategy's (:mod:`bbo.strategies.gp`): Sobol' initial design,
failed/infeasible imputation, output warping, the local model for large histories, pending
points and the acquisition registry. Only the model differs, chosen by ``kind``
(:mod:`bbo.surrogates.bnn`):

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

import inspect
from typing import Any

import numpy as np
from botorch.models.model import Model

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.gp import GPStrategy, default_acquisition
from bbo.surrogates.bnn import KIND_OPTIONS, KINDS, fit_bnn
from bbo.surrogates.gp import GPData


def _option(kind: str, name: str, v: object) -> Any:
    """Validate the kind option ``name``: ``hidden`` is a positive int or a list of them
    (layer widths); every other option is a positive int."""
    if name not in KIND_OPTIONS[kind]:
        valid = [k for k in KINDS if name in KIND_OPTIONS[k]]
        raise InvalidArgumentError(
            f"bnn option `{name}` applies to kind {valid[0]!r}, not {kind!r}"
            if valid
            else f"bnn takes no option `{name}`"
        )
    ok = lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 1  # noqa: E731
    if name == "hidden" and isinstance(KIND_OPTIONS[kind]["hidden"], list):
        if isinstance(v, (list, tuple)) and len(v) >= 1 and all(ok(x) for x in v):
            return [int(x) for x in v]
        if ok(v):
            return [int(v)]  # type: ignore[call-overload]
        raise InvalidArgumentError(
            f"bnn option `hidden` must be a layer width >= 1 or a list of them, got {v!r}"
        )
    if not ok(v):
        raise InvalidArgumentError(f"bnn option `{name}` must be an integer >= 1, got {v!r}")
    return v


class BNNStrategy(GPStrategy):
    """BNN-BO. Options: ``kind`` (``ensemble``, ``hmc``, ``ibnn``, ``dkl``), the kind's own
    options (:data:`bbo.surrogates.bnn.KIND_OPTIONS`: ``members``, ``hidden``, ``epochs``
    for ``ensemble``; ``samples``, ``chains``, ``hidden``, ``warmup``, ``leapfrog``,
    ``thin``, ``map_epochs`` for ``hmc``; ``depth`` for ``ibnn``; ``hidden`` for ``dkl``;
    ``maxiter`` for both) and every option of the ``gp`` strategy (``acquisition``,
    ``n_init``, ``device``, ...)."""

    name = "bnn"

    def __init__(self, space: Space, *, seed: int, kind: str = "ensemble", **options: Any) -> None:
        if kind not in KINDS:
            raise InvalidArgumentError(
                f"bnn option `kind` must be one of {list(KINDS)}, got {kind!r}"
            )
        self.kind = kind
        gp_names = set(inspect.signature(GPStrategy.__init__).parameters) - {
            "self",
            "space",
            "seed",
        }
        self.kind_options = {
            k: _option(kind, k, v) for k, v in options.items() if k not in gp_names
        }
        try:
            super().__init__(
                space, seed=seed, **{k: v for k, v in options.items() if k in gp_names}
            )
        except InvalidArgumentError as e:
            raise InvalidArgumentError(str(e).replace("gp option", "bnn option")) from None
        self._last: tuple[str, Model] | None = None

    def _fit_model(self, data: GPData, **kw: Any) -> tuple[Model, dict[str, Any]]:
        """Fit the ``kind`` surrogate; its seed is drawn from the strategy's seed and the
        number of training points, so the same data give the same model (and the last model
        is reused when the data have not changed: the study asks again after a duplicate)."""
        key = data.key()
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._state
        seed = int(np.random.SeedSequence([self.seed, len(data.X), 1]).generate_state(1)[0])
        model, state = fit_bnn(
            self.kind,
            data,
            categorical_dims=self.space.categorical_dims,
            device=kw["device"],
            seed=seed,
            state=kw.get("state"),
            refit=kw.get("refit", True),
            options=self.kind_options,
        )
        self._last = (key, model)
        return model, state

    def _default_acquisition(self, q: int, m: int, k: int, p: int) -> str:
        if self.kind in ("ensemble", "hmc"):
            return "qLogNEHVI" if m > 1 else "qLogNEI"
        return default_acquisition(q, m, k, p)
