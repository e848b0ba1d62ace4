"""The options of ``gp`` (:class:`GPOptions`), which ``bnn`` and ``auto`` extend.

Torch-free, like the other option modules (:mod:`bbo.strategies.bnn_options`,
:mod:`~bbo.strategies.wasserstein_options`, :mod:`~bbo.strategies.auto_options`), so that
:func:`bbo.strategies.validate_options` checks a study's options without importing the
strategy, torch or botorch; :mod:`bbo.strategies.gp` re-exports the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bbo.strategies.names import DEFAULT_BETA, MODEL_ACQUISITIONS
from bbo.strategies.options import Options, check_choice, check_int, option_error
from bbo.strategies.warps import WARP_CHOICES
from bbo.surrogates.names import CONDITIONAL, KERNELS, MIXED_KERNELS


@dataclass(frozen=True)
class GPOptions(Options):
    """Options of ``gp`` (and of ``bnn`` and ``auto``, which extend them): ``acquisition``
    (a name of :data:`bbo.acquisition.MODEL_ACQUISITIONS`; None: the default of the ask),
    ``n_init`` (None: ``max(5, d + 1)``), ``max_exact``, ``num_restarts``, ``raw_samples``,
    ``mc_samples``, ``beta`` (qUCB), ``warp``, ``mixed_kernel`` (``"product"`` or
    ``"additive"``) and ``kernel`` (of the continuous columns: ``"rbf"`` or ``"matern52"``;
    see :mod:`bbo.surrogates.gp`), ``prior_beta`` (piBO's confidence in the parameters'
    priors, 10; 0 ignores them: :mod:`bbo.acquisition.prior`), ``conditional`` (the GP's
    inputs on a space with conditional parameters: ``"impute"``, inactive columns at a fixed
    value, or ``"indicators"``, plus one activity column per conditional parameter:
    :mod:`bbo.surrogates.activity`), ``rotation`` (on a space of continuous columns, the GP
    may work in the principal axes of the best points when its marginal likelihood says so:
    :mod:`bbo.surrogates.rotation`). Errors name :attr:`strategy`."""

    strategy = "gp"

    acquisition: str | None = None
    n_init: int | None = None
    max_exact: int = 1000
    num_restarts: int = 10
    raw_samples: int = 512
    mc_samples: int = 256
    beta: float = 4.0
    warp: bool | str = "auto"
    mixed_kernel: str = "product"
    kernel: str = "rbf"
    prior_beta: float = DEFAULT_BETA
    conditional: str = "impute"
    rotation: bool = False

    def __post_init__(self) -> None:
        owner = self.strategy
        if self.acquisition is not None:
            check_choice(owner, "acquisition", self.acquisition, MODEL_ACQUISITIONS)
        if self.n_init is not None:
            check_int(owner, "n_init", self.n_init)
        for name in ("max_exact", "num_restarts", "raw_samples", "mc_samples"):
            check_int(owner, name, getattr(self, name))
        b = self.beta
        if isinstance(b, bool) or not isinstance(b, (int, float)) or not 0 < b < float("inf"):
            raise option_error(owner, "beta", "must be > 0", b)
        object.__setattr__(self, "beta", float(b))
        pb = self.prior_beta
        if isinstance(pb, bool) or not isinstance(pb, (int, float)) or not 0 <= pb < float("inf"):
            raise option_error(owner, "prior_beta", "must be >= 0 and finite", pb)
        object.__setattr__(self, "prior_beta", float(pb))
        if not isinstance(self.warp, bool):
            check_choice(owner, "warp", self.warp, WARP_CHOICES)
        check_choice(owner, "mixed_kernel", self.mixed_kernel, MIXED_KERNELS)
        check_choice(owner, "kernel", self.kernel, KERNELS)
        check_choice(owner, "conditional", self.conditional, CONDITIONAL)
        if not isinstance(self.rotation, bool):
            raise option_error(owner, "rotation", "must be true or false", self.rotation)

    def acq_settings(self) -> dict[str, Any]:
        """The :class:`~bbo.acquisition.AcqContext` settings these options give."""
        from bbo.acquisition import OptimizerConfig  # torch: only once a strategy is built

        return {
            "config": OptimizerConfig(num_restarts=self.num_restarts, raw_samples=self.raw_samples),
            "mc_samples": self.mc_samples,
            "beta": self.beta,
            "prior_beta": self.prior_beta,
        }


__all__ = ["GPOptions"]
