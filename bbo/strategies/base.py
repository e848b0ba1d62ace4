"""The strategy protocol (OSS Vizier's Designer, stateless by default).

A strategy turns a :class:`History` into suggestions and never touches storage::

    suggest(n, history) -> list[Suggestion]

``history`` holds every trial of the study. Strategies that keep internal state between
asks (a CMA-ES population, an LLM prompt memory) also implement ``state_dict()`` /
``load_state_dict()``; the study stores that state so a restarted process or a stateless
server continues the same run. Same seed and same history -> same suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.strategies.options import Options as OptionsBase
from bbo.trial import Constraint, Objective, Trial, TrialState

if TYPE_CHECKING:
    import torch

OptionsT = TypeVar("OptionsT", bound=OptionsBase)


@dataclass(frozen=True)
class Suggestion:
    """One proposed configuration and the source that proposed it (``"sobol"``, ...)."""

    params: dict[str, Any]
    source: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class History:
    """What a strategy sees: the study's trials, encoded on demand.

    ``extra_pending`` are configurations already chosen earlier in the same ask (not yet
    stored); they count as pending. ``skipped`` counts suggestions drawn earlier in the same
    ask and rejected as duplicates, so that sequence designs move past them.
    """

    space: Space
    objectives: tuple[Objective, ...]
    trials: tuple[Trial, ...]
    extra_pending: tuple[Mapping[str, Any], ...] = ()
    skipped: int = 0
    constraints: tuple[Constraint, ...] = ()

    def with_pending(self, params: list[Mapping[str, Any]], skipped: int = 0) -> History:
        return replace(
            self, extra_pending=self.extra_pending + tuple(params), skipped=self.skipped + skipped
        )

    @property
    def n_seen(self) -> int:
        """Suggestions drawn so far (stored trials, extra pending, skipped duplicates): the
        position in a sequence design such as Sobol'."""
        return len(self.trials) + len(self.extra_pending) + self.skipped

    def _in(self, *states: TrialState) -> list[Trial]:
        return [t for t in self.trials if t.state in states]

    @cached_property
    def completed(self) -> list[Trial]:
        return self._in(TrialState.COMPLETED)

    @cached_property
    def X(self) -> np.ndarray:
        """``n x d`` index view of the COMPLETED trials."""
        return self.space.encode_many([t.params for t in self.completed])

    @cached_property
    def Y(self) -> np.ndarray:
        """``n x m`` objective values of the COMPLETED trials, sign-flipped so that lower is
        better for every objective (``Y[:, j] = sign_j * value_j``)."""
        if not self.completed:
            return np.zeros((0, len(self.objectives)))
        return np.array(
            [[o.sign * t.values[o.name] for o in self.objectives] for t in self.completed],
            dtype=float,
        )

    @cached_property
    def C(self) -> np.ndarray:
        """``n x k`` constraint slacks of the COMPLETED trials: feasible where ``<= 0``."""
        return np.array(
            [[c.slack(t.values[c.metric]) for c in self.constraints] for t in self.completed],
            dtype=float,
        ).reshape(len(self.completed), len(self.constraints))

    @cached_property
    def X_pending(self) -> np.ndarray:
        """``p x d``: RUNNING trials and extra pending configurations."""
        running = [t.params for t in self._in(TrialState.RUNNING)]
        return self.space.encode_many([*running, *self.extra_pending])

    @cached_property
    def X_failed(self) -> np.ndarray:
        """``f x d``: FAILED trials (crashed evaluations)."""
        return self.space.encode_many([t.params for t in self._in(TrialState.FAILED)])

    @cached_property
    def X_infeasible(self) -> np.ndarray:
        """``i x d``: INFEASIBLE trials."""
        return self.space.encode_many([t.params for t in self._in(TrialState.INFEASIBLE)])


@runtime_checkable
class Strategy(Protocol):
    """What the study calls. ``name`` is the registry name."""

    name: str

    def suggest(self, n: int, history: History) -> list[Suggestion]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def strategy_options(
    opts_type: type[OptionsT], options: OptionsBase | None, kwargs: Mapping[str, Any]
) -> OptionsT:
    """The options a strategy is built with, the common part of every constructor
    ``Cls(space, *, seed, device=None, options=None, **kwargs)``: ``options`` when given
    (parsed already, as :func:`bbo.strategies.make_strategy` passes them), else the keyword
    arguments of a direct construction (``DEStrategy(space, seed=0, popsize=8)``) parsed by
    ``opts_type.parse``, which refuses unknown names and bad values. Giving both, or options
    of another strategy, raises :class:`InvalidArgumentError`."""
    if options is None:
        return opts_type.parse(kwargs)
    if not isinstance(options, opts_type):
        raise InvalidArgumentError(
            f"strategy {opts_type.strategy!r} takes {opts_type.__name__}, got "
            f"{type(options).__name__}"
        )
    if kwargs:
        raise InvalidArgumentError(
            f"strategy {opts_type.strategy!r}: give `options` or keyword options "
            f"{sorted(kwargs)}, not both"
        )
    return options


class StatelessStrategy:
    """Base for strategies whose suggestions are a pure function of (seed, history).

    Subclasses set ``name`` and ``Options`` (their :class:`bbo.strategies.options.Options`
    subclass); the constructor takes the options parsed or as keywords (see
    :func:`strategy_options`) and accepts the process's ``device``, which stateless designs
    do not use."""

    name = ""
    Options: ClassVar[type[OptionsBase]] = OptionsBase

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        device: str | torch.device | None = None,
        options: OptionsBase | None = None,
        **kwargs: Any,
    ) -> None:
        self.space = space
        self.seed = int(seed)
        self.options = strategy_options(type(self).Options, options, kwargs)

    def suggest(self, n: int, history: History) -> list[Suggestion]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None
