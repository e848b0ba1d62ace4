"""Strategies by name. Modules are imported only when a strategy is built."""

from __future__ import annotations

import importlib
from typing import Any

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.base import History, StatelessStrategy, Strategy, Suggestion
from bbo.study.trial import Objective

# name -> "module:Class"; ``auto`` is the portfolio of bbo.strategies.portfolio
_REGISTRY: dict[str, str] = {
    "random": "bbo.strategies.random:RandomSearch",
    "sobol": "bbo.strategies.sobol:SobolSearch",
    "gp": "bbo.strategies.gp:GPStrategy",
    "bnn": "bbo.strategies.bnn:BNNStrategy",
    "wasserstein": "bbo.strategies.wasserstein:WassersteinStrategy",
    "cmaes": "bbo.strategies.cmaes:CMAESStrategy",
    "de": "bbo.strategies.de:DEStrategy",
    "llm": "bbo.strategies.llm:LLMStrategy",
    "auto": "bbo.strategies.portfolio:AutoStrategy",
}

STRATEGY_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def make_strategy(
    name: str,
    space: Space,
    objectives: tuple[Objective, ...],
    *,
    seed: int,
    options: dict[str, Any] | None = None,
) -> Strategy:
    """Build the strategy registered as ``name``; InvalidArgumentError lists valid names."""
    if name not in _REGISTRY:
        raise InvalidArgumentError(
            f"`strategy` must be one of {list(STRATEGY_NAMES)}, got {name!r}"
        )
    module, cls_name = _REGISTRY[name].split(":")
    cls = getattr(importlib.import_module(module), cls_name)
    opts = dict(options or {})
    try:
        strategy: Strategy = cls(space, seed=seed, **opts)
    except TypeError:
        raise InvalidArgumentError(f"strategy {name!r} takes no option(s) {sorted(opts)}") from None
    return strategy


__all__ = [
    "STRATEGY_NAMES",
    "History",
    "StatelessStrategy",
    "Strategy",
    "Suggestion",
    "make_strategy",
]
