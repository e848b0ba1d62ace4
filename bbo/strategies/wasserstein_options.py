"""The options of ``wasserstein`` (:class:`WassersteinOptions`).

Torch-free (see :mod:`bbo.strategies.gp_options`): the configurations they give the
generator and ``WLCB`` are built on demand, once a strategy is. :mod:`bbo.strategies.wasserstein`
re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbo.strategies.names import ACQUISITION_NAMES, BONUSES
from bbo.strategies.options import Options, check_choice, check_int, option_error

if TYPE_CHECKING:
    from bbo.surrogates.wasserstein import GeneratorConfig

LOCATIONS = ("gp", "network")


@dataclass(frozen=True)
class WassersteinOptions(Options):
    """Options of ``wasserstein``: ``kappa`` (2), ``bonus`` (``"spread"``: the members'
    Wasserstein spread; ``"distance"``: the paper's distance to the observed laws),
    ``members`` (5 generators), ``location`` (``"gp"``: the networks learn the law around a
    GP's mean; ``"network"``: their own), ``p`` (1 or 2: W1 or W2 in the distance bonus),
    ``acquisition`` (``"WLCB"`` or another name of the registry), ``n_init``, ``pool_size``
    (4096), ``polish_steps`` (30; 0 disables), ``n_quantiles`` (32), ``hidden`` (64) and
    ``steps`` (150 Adam steps per fit)."""

    strategy = "wasserstein"

    kappa: float = 2.0
    p: int = 1
    bonus: str = "spread"
    members: int = 5
    location: str = "gp"
    acquisition: str = "WLCB"
    n_init: int | None = None
    pool_size: int = 4096
    polish_steps: int = 30
    n_quantiles: int = 32
    hidden: int = 64
    steps: int = 150

    def __post_init__(self) -> None:
        owner, k = self.strategy, self.kappa
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 <= k < float("inf"):
            raise option_error(owner, "kappa", "must be >= 0", k)
        object.__setattr__(self, "kappa", float(k))
        if isinstance(self.p, bool) or self.p not in (1, 2):
            raise option_error(owner, "p", "must be 1 or 2", self.p)
        object.__setattr__(self, "p", int(self.p))
        check_choice(owner, "bonus", self.bonus, BONUSES)
        check_choice(owner, "location", self.location, LOCATIONS)
        check_choice(owner, "acquisition", self.acquisition, ACQUISITION_NAMES)
        if self.n_init is not None:
            check_int(owner, "n_init", self.n_init)
        for name in ("pool_size", "n_quantiles", "hidden", "members", "steps"):
            check_int(owner, name, getattr(self, name))
        check_int(owner, "polish_steps", self.polish_steps, low=0)

    def generator(self) -> GeneratorConfig:
        from bbo.surrogates.wasserstein import GeneratorConfig  # torch: once a strategy is built

        return GeneratorConfig(
            n_quantiles=self.n_quantiles, hidden=self.hidden, members=self.members, steps=self.steps
        )

    def acq_settings(self) -> dict[str, Any]:
        """The :class:`~bbo.acquisition.AcqContext` settings: ``WLCB``'s, and for a registry
        acquisition 4 restarts from 256 raw samples, one MC sample per quantile level."""
        from bbo.acquisition import OptimizerConfig, WLCBConfig  # torch: as above

        wlcb = WLCBConfig(self.kappa, self.p, self.bonus, self.pool_size, self.polish_steps)
        return {
            "config": OptimizerConfig(num_restarts=4, raw_samples=256),
            "mc_samples": self.n_quantiles,
            "wlcb": wlcb,
        }


__all__ = ["LOCATIONS", "WassersteinOptions"]
