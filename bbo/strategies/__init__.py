"""Strategies by name. Modules are imported only when a strategy is validated or built."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.base import History, StatelessStrategy, Strategy, Suggestion
from bbo.strategies.options import Options
from bbo.trial import Objective

if TYPE_CHECKING:
    import torch

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


def strategy_class(name: str) -> Any:
    """The class registered as ``name``; InvalidArgumentError lists the valid names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = (
            difflib.get_close_matches(name, STRATEGY_NAMES, n=1) if isinstance(name, str) else []
        )
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidArgumentError(
            f"`strategy` must be one of {list(STRATEGY_NAMES)}, got {name!r}{hint}"
        )
    module, cls_name = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls_name)


def validate_options(name: str, options: Mapping[str, Any] | Options | None) -> Options:
    """The typed options of strategy ``name`` (its class's ``Options``), validated without
    building the strategy: InvalidArgumentError names the option, the rule and the value."""
    opts_type: type[Options] = strategy_class(name).Options
    if isinstance(options, Options):
        if not isinstance(options, opts_type):
            raise InvalidArgumentError(
                f"strategy {name!r} takes {opts_type.__name__}, got {type(options).__name__}"
            )
        return options
    return opts_type.parse(options)


def make_strategy(
    name: str,
    space: Space,
    objectives: tuple[Objective, ...],
    *,
    seed: int,
    options: Mapping[str, Any] | Options | None = None,
    device: str | torch.device | None = None,
) -> Strategy:
    """Build the strategy registered as ``name`` from its options (a mapping, parsed by
    :func:`validate_options`, or the parsed object). ``device`` is the process's runtime
    setting (:func:`bbo.runtime.resolve_device`), never one of the options."""
    cls = strategy_class(name)
    strategy: Strategy = cls(
        space, seed=seed, device=device, options=validate_options(name, options)
    )
    return strategy


__all__ = [
    "STRATEGY_NAMES",
    "History",
    "Options",
    "StatelessStrategy",
    "Strategy",
    "Suggestion",
    "make_strategy",
    "strategy_class",
    "validate_options",
]
