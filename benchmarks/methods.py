"""Methods under comparison: one ask/tell interface, a registry, and the run loop.

Every method is an :class:`Optimizer` built by a factory ``(instance, seed, budget)``:
``ask()`` returns one configuration (native values), ``tell(params, metrics)`` reports the
metrics of the last asked configuration, and ``add(params, metrics)`` tells a configuration
that was not asked (used by the speed benchmark to build a history). Peer adapters live in
:mod:`benchmarks.peers`, :mod:`benchmarks.peers_extra` and :mod:`benchmarks.botorch_vanilla`
and import their library lazily, so this module works without the peers installed.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from benchmarks.problems import OBJECTIVE, Instance
from benchmarks.scoring import Observation

BBO_CANDIDATES = ("auto", "gp", "sobol", "random")


class Optimizer(Protocol):
    """The one interface every method adapter implements (sequential ask/tell)."""

    def ask(self) -> dict[str, Any]: ...

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None: ...

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None: ...


Factory = Callable[[Instance, int, int], Optimizer]


class RandomSearch:
    """Uniform random search in the encoded unit cube (the floor every method should beat)."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        self._space = instance.space
        self._rng = np.random.default_rng([seed, 12345])

    def ask(self) -> dict[str, Any]:
        return self._space.decode(self._rng.random(self._space.dim))

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        pass

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        pass


class BboStudy:
    """``bbo.Study`` with strategy ``name`` and its ``options``. With ``batch = q > 1`` it
    asks ``q`` trials at once and hands them out one by one (synchronous batches), or with
    ``in_flight`` keeps ``q`` trials asked at all times, each ask made with the other
    ``q - 1`` pending (asynchronous workers); evaluations are still told one at a time."""

    def __init__(
        self,
        name: str,
        instance: Instance,
        seed: int,
        options: dict[str, Any] | None = None,
        batch: int = 1,
        in_flight: bool = False,
    ) -> None:
        import bbo

        self._study = bbo.Study(
            instance.space,
            direction={OBJECTIVE: "minimize"},
            constraints=list(instance.constraints) or None,
            strategy=name,
            strategy_options=options or None,
            seed=seed,
        )
        self._pending: Any = None
        self._batch, self._in_flight = batch, in_flight
        self._queue: list[Any] = []

    def ask(self) -> dict[str, Any]:
        if self._in_flight:
            while len(self._queue) < self._batch:
                self._queue.append(self._study.ask())
        elif not self._queue:
            self._queue = self._study.ask(self._batch) if self._batch > 1 else [self._study.ask()]
        self._pending = self._queue.pop(0)
        return dict(self._pending.params)

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._study.tell(self._pending, dict(metrics))
        self._pending = None

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._study.add(params, dict(metrics))


def bbo_names() -> list[str]:
    """The candidate bbo strategies that bbo registers right now."""
    from bbo.strategies import STRATEGY_NAMES

    return [n for n in BBO_CANDIDATES if n in STRATEGY_NAMES]


def parse_bbo(method: str) -> tuple[str, dict[str, Any]]:
    """``"bbo-<name>"`` or a variant ``"bbo-<name>[key=value;key=value]"`` (values in YAML,
    e.g. ``bbo-auto[sources=[de];explore=false]``, for ablations) -> the strategy name and its
    options. A ``note=...`` item only labels the column (runs of two code versions side by
    side) and is not an option."""
    import yaml

    body = method.removeprefix("bbo-")
    if not body.endswith("]") or "[" not in body:
        return body, {}
    name, _, inner = body[:-1].partition("[")
    options: dict[str, Any] = {}
    for item in filter(None, (x.strip() for x in inner.split(";"))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"method {method!r}: {item!r} is not key=value")
        options[key.strip()] = yaml.safe_load(value)
    options.pop("note", None)
    return name, options


def split_batch(method: str) -> tuple[str, int, bool]:
    """``"<method>@q"`` (synchronous batches of ``q``) or ``"<method>~q"`` (``q`` trials in
    flight, asked one at a time with the others pending) -> the method, ``q`` and whether
    in flight; a plain method is ``(method, 1, False)``."""
    for mark, in_flight in (("@", False), ("~", True)):
        base, sep, q = method.rpartition(mark)
        if sep and q.isdigit() and not base.endswith("["):
            return base, int(q), in_flight
    return method, 1, False


def _bbo_factory(method: str) -> Factory:
    base, batch, in_flight = split_batch(method)
    name, options = parse_bbo(base)

    def make(instance: Instance, seed: int, budget: int) -> Optimizer:
        return BboStudy(name, instance, seed, options, batch, in_flight)

    return make


def _lazy(module: str, attr: str) -> Factory:
    def make(instance: Instance, seed: int, budget: int) -> Optimizer:
        factory: Factory = getattr(importlib.import_module(module), attr)
        return factory(instance, seed, budget)

    return make


# peer method -> (factory, the package it needs)
PEERS: dict[str, tuple[Factory, str]] = {
    "optuna-gp": (_lazy("benchmarks.peers", "optuna_gp"), "optuna"),
    "optuna-tpe": (_lazy("benchmarks.peers", "optuna_tpe"), "optuna"),
    "optuna-cmaes": (_lazy("benchmarks.peers", "optuna_cmaes"), "cmaes"),
    "botorch-vanilla": (_lazy("benchmarks.botorch_vanilla", "BotorchVanilla"), "botorch"),
    "nevergrad-ngopt": (_lazy("benchmarks.peers", "NevergradNGOpt"), "nevergrad"),
    "smac-bb": (_lazy("benchmarks.peers_extra", "SmacBlackBox"), "smac"),
    "vizier": (_lazy("benchmarks.peers_extra", "VizierDefault"), "vizier"),
    "random": (RandomSearch, "numpy"),
}


def default_methods(bbo: list[str] | None = None) -> list[str]:
    """``bbo-<name>`` for each bbo strategy (default: :func:`bbo_names`) then every peer."""
    return [f"bbo-{n}" for n in (bbo if bbo is not None else bbo_names())] + list(PEERS)


def available(method: str) -> bool:
    """Whether the package a method needs can be imported."""
    if method.startswith("bbo-"):
        return parse_bbo(split_batch(method)[0])[0] in bbo_names()
    if method not in PEERS:
        return False
    return importlib.util.find_spec(PEERS[method][1]) is not None


def make_optimizer(method: str, instance: Instance, seed: int, budget: int) -> Optimizer:
    """Build ``method`` for one run (ValueError for unknown names)."""
    if method.startswith("bbo-"):
        return _bbo_factory(method)(instance, seed, budget)
    if method not in PEERS:
        raise ValueError(f"unknown method {method!r}; choose from {default_methods()}")
    return PEERS[method][0](instance, seed, budget)


def run_method(method: str, instance: Instance, budget: int, seed: int) -> list[Observation]:
    """``budget`` sequential ask/observe/tell rounds; observation noise is seeded per run
    (independent of the method), so every method sees the same noise stream."""
    opt = make_optimizer(method, instance, seed, budget)
    noise = np.random.default_rng([seed, 777])
    out: list[Observation] = []
    for _ in range(budget):
        params = opt.ask()
        metrics = instance.observe(params, noise)
        opt.tell(params, metrics)
        out.append((params, metrics))
    return out
