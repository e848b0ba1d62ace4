"""Strategies by name. A strategy's module is imported only when it is built; its options
are validated from a module of their own, which imports no torch."""

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

# name -> "module:Class" of the strategy's Options (its class's ``Options``), in modules
# that import no torch: validating a study's options never imports the strategy
_OPTIONS: dict[str, str] = {
    "random": "bbo.strategies.random:RandomOptions",
    "sobol": "bbo.strategies.sobol:SobolOptions",
    "gp": "bbo.strategies.gp_options:GPOptions",
    "bnn": "bbo.strategies.bnn_options:BNNOptions",
    "wasserstein": "bbo.strategies.wasserstein_options:WassersteinOptions",
    "cmaes": "bbo.strategies.cmaes:CMAESOptions",
    "de": "bbo.strategies.de:DEOptions",
    "llm": "bbo.strategies.llm.options:LLMOptions",
    "auto": "bbo.strategies.auto_options:AutoOptions",
}

STRATEGY_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def _check_name(name: object) -> str:
    """``name`` if a strategy is registered under it; InvalidArgumentError lists the names."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = (
            difflib.get_close_matches(name, STRATEGY_NAMES, n=1) if isinstance(name, str) else []
        )
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidArgumentError(
            f"`strategy` must be one of {list(STRATEGY_NAMES)}, got {name!r}{hint}"
        )
    return name


def _load(path: str) -> Any:
    module, attr = path.split(":")
    return getattr(importlib.import_module(module), attr)


def strategy_class(name: str) -> Any:
    """The class registered as ``name``; InvalidArgumentError lists the valid names."""
    return _load(_REGISTRY[_check_name(name)])


def options_class(name: str) -> type[Options]:
    """The options class of strategy ``name`` (``strategy_class(name).Options``), imported
    without the strategy's module, so without torch."""
    opts_type: type[Options] = _load(_OPTIONS[_check_name(name)])
    return opts_type


def validate_options(name: str, options: Mapping[str, Any] | Options | None) -> Options:
    """The typed options of strategy ``name`` (its class's ``Options``), validated without
    building the strategy or importing its module (:func:`options_class`):
    InvalidArgumentError names the option, the rule and the value."""
    opts_type = options_class(name)
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
    "options_class",
    "strategy_class",
    "validate_options",
]
