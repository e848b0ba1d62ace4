"""The options of ``auto`` (:class:`AutoOptions`): ``gp``'s, flat, and the portfolio's.

Torch-free (see :mod:`bbo.strategies.gp_options`); :mod:`bbo.strategies.portfolio`
re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bbo.strategies.gp_options import GPOptions
from bbo.strategies.localdfo import DFO_METHODS
from bbo.strategies.options import check_choice, check_int, option_error
from bbo.strategies.pools import DEFAULT_SOURCES, SOURCES

STATISTIC_MODELS = ("test", "gp", "wasserstein")


def _llm_options(llm: Mapping[str, Any]) -> Any:
    """The ``llm`` strategy's options object for the mapping ``llm`` (validated)."""
    from bbo.strategies.llm.options import LLMOptions

    return LLMOptions.parse(llm)


@dataclass(frozen=True)
class AutoOptions(GPOptions):
    """Options of ``auto``: ``pool_size`` (64 candidates per ask shared by the sources),
    ``sources`` (a subset of :data:`SOURCES`; default :data:`DEFAULT_SOURCES`),
    ``trust_region`` (True: single-point asks on a continuous space search TuRBO's box
    around the incumbent), ``global_every`` (3: every third such ask searches the whole box;
    0: never),
    ``explore_after`` (0: off; None: ``max(5, min(d, 20))``; see
    :mod:`bbo.strategies.portfolio`), ``cmaes_after`` (5000 completed trials), ``cmaes_dim``
    (1000 columns), ``statistic_model`` (``"test"``: the skewness test of
    :mod:`bbo.strategies.portfolio` chooses the model of a statistic other than the mean;
    ``"gp"`` or ``"wasserstein"``), ``llm`` (a
    mapping of the ``llm`` strategy's options: an LLM proposer; off by default) and every
    option of ``gp`` (:class:`~bbo.strategies.gp.GPOptions`), flat. ``local_dfo``
    (false; true or ``"cobyqa"``, ``"cobyla"``: a local run of that method takes some asks,
    :mod:`bbo.strategies.localdfo`)."""

    strategy = "auto"

    pool_size: int = 64
    sources: tuple[str, ...] = DEFAULT_SOURCES
    explore_after: int | None = 0
    cmaes_after: int = 5000
    cmaes_dim: int = 1000
    trust_region: bool = True
    global_every: int = 3
    statistic_model: str = "test"
    local_dfo: bool | str = False
    llm: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        owner = self.strategy
        for name in ("pool_size", "cmaes_after", "cmaes_dim"):
            check_int(owner, name, getattr(self, name), low=0)
        if self.explore_after is not None:
            check_int(owner, "explore_after", self.explore_after, low=0)
        check_int(owner, "global_every", self.global_every, low=0)
        check_choice(owner, "statistic_model", self.statistic_model, STATISTIC_MODELS)
        if self.local_dfo is True:
            object.__setattr__(self, "local_dfo", DFO_METHODS[0])
        if self.local_dfo is not False:
            rule = f"must be true, false or one of {list(DFO_METHODS)}"
            if not isinstance(self.local_dfo, str) or self.local_dfo not in DFO_METHODS:
                raise option_error(owner, "local_dfo", rule, self.local_dfo)
        if not isinstance(self.trust_region, bool):
            raise option_error(owner, "trust_region", "must be true or false", self.trust_region)
        sources = self.sources
        if not isinstance(sources, (list, tuple)) or [s for s in sources if s not in SOURCES]:
            raise option_error(owner, "sources", f"must be a list of {list(SOURCES)}", sources)
        object.__setattr__(self, "sources", tuple(sources))
        if self.llm is not None:
            if not isinstance(self.llm, Mapping):
                raise option_error(owner, "llm", "must be a mapping of llm options", self.llm)
            _llm_options(self.llm)
        super().__post_init__()


__all__ = ["STATISTIC_MODELS", "AutoOptions"]
