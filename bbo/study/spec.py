"""The stored description of a study: what stays fixed while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.trial import Constraint, Objective


@dataclass(frozen=True)
class StudySpec:
    """Space, objectives, strategy and seed: everything needed to resume a study.

    Space, objectives and constraints are the study's identity (reopening with others is refused);
    strategy and seed may change on resume.
    """

    space: Space
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    strategy: str = "auto"
    strategy_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"objective names must be unique, got {names}")
        clash = sorted({c.metric for c in self.constraints} & set(names))
        if clash:
            raise InvalidArgumentError(f"metric(s) {clash} cannot be objective and constraint")

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space.to_dict(),
            "objectives": [{"name": o.name, "direction": o.direction} for o in self.objectives],
            "constraints": [str(c) for c in self.constraints],
            "strategy": self.strategy,
            "strategy_options": dict(self.strategy_options),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudySpec:
        return cls(
            space=Space.from_dict(d["space"]),
            objectives=tuple(Objective(o["name"], o["direction"]) for o in d["objectives"]),
            constraints=tuple(Constraint.parse(c) for c in d.get("constraints", [])),
            strategy=d.get("strategy", "auto"),
            strategy_options=dict(d.get("strategy_options") or {}),
            seed=int(d.get("seed", 0)),
        )

    def identity(self) -> dict[str, Any]:
        """The part that must match when a study is reopened."""
        d = self.to_dict()
        return {k: d[k] for k in ("space", "objectives", "constraints")}

    @property
    def metrics(self) -> list[str]:
        """Metrics every COMPLETED tell must carry: objectives, then constraints."""
        return [o.name for o in self.objectives] + [c.metric for c in self.constraints]
