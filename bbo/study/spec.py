"""The definition of a study, validated once where it enters and stored as is."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.statistics import Statistic
from bbo.trial import Constraint, Objective, parse_constraints, parse_objectives

MAX_SEED = 2**63 - 1  # the proto's int64
# options that older versions stored with the study but that are runtime settings now
_RUNTIME_KEYS = ("device",)


@dataclass(frozen=True)
class StudySpec:
    """Space, objectives, constraints, strategy with its options, and seed: everything that
    defines a study, and nothing that belongs to the process running it (the device).

    Built once at each boundary (:meth:`create` for Python keyword arguments, the study.yaml
    model, the proto's StudySpec), stored with :meth:`to_dict` and read back with
    :meth:`from_dict`. Space, objectives and constraints are the study's identity
    (reopening with others is refused); strategy, options and seed may change on resume.
    ``seed=None`` means "not chosen": a new study draws one, a reopened one keeps its own.
    ``noisy``: the objective is observed with noise (a simulator, a training run), so the
    study recommends the point of best predicted value, not the luckiest observation
    (:attr:`bbo.Study.best`); it may change on resume. ``pruner``: the spec of the pruner
    that judges reported intermediate values (``{"name": "asha", ...}`` with every option,
    :mod:`bbo.pruners`), None for none; it may change on resume (None keeps the stored one).
    ``prior_studies``: names of earlier studies in the same storage whose completed trials
    inform the model (:mod:`bbo.study.prior`); empty on resume keeps the stored ones.
    ``fidelity``: the resource of a multi-fidelity study (``{"name": "epochs", "low": 1,
    "high": 81, "eta": 3}``, :mod:`bbo.pruners.fidelity`): the study then stops trials at
    its rungs itself, so it excludes ``pruner``; it may change on resume like ``pruner``
    (None keeps the stored one).
    The linear parameter constraints (``"x1 + 2*x2 <= 10"``) belong to the space
    (:attr:`Space.constraints`), so every strategy sees them; they are stored as the list
    ``parameter_constraints`` beside ``space`` (absent when there are none) and are part of
    the study's identity.
    """

    space: Space
    objectives: tuple[Objective, ...] = (Objective("value"),)
    constraints: tuple[Constraint, ...] = ()
    strategy: str = "auto"
    strategy_options: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    noisy: bool = False
    pruner: dict[str, Any] | None = None
    prior_studies: tuple[str, ...] = ()
    fidelity: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.space, Space):
            raise InvalidArgumentError(f"`space` must be a bbo.Space, got {self.space!r}")
        if not self.objectives or not all(isinstance(o, Objective) for o in self.objectives):
            raise InvalidArgumentError(f"at least one objective is needed, got {self.objectives}")
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"objective names must be unique, got {names}")
        clash = sorted({c.metric for c in self.constraints} & set(names))
        if clash:
            raise InvalidArgumentError(f"metric(s) {clash} cannot be objective and constraint")
        if not isinstance(self.strategy, str) or not self.strategy:
            raise InvalidArgumentError(f"`strategy` must be a name, got {self.strategy!r}")
        if not isinstance(self.strategy_options, Mapping):
            raise InvalidArgumentError(
                f"`strategy_options` must be a mapping, got {self.strategy_options!r}"
            )
        seed = self.seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            raise InvalidArgumentError(
                f"`seed` must be an integer in [0, 2**63 - 1] or unset, got {seed!r}"
            )
        if not isinstance(self.noisy, bool):
            raise InvalidArgumentError(f"`noisy` must be true or false, got {self.noisy!r}")
        object.__setattr__(self, "prior_studies", prior_names(self.prior_studies))
        if self.pruner is not None:
            from bbo.pruners import make_pruner, pruner_spec

            object.__setattr__(self, "pruner", pruner_spec(make_pruner(self.pruner)))
        if self.fidelity is not None:
            from bbo.pruners.fidelity import make_fidelity

            fid = make_fidelity(self.fidelity)
            object.__setattr__(self, "fidelity", fid.to_dict() if fid is not None else None)
            if fid is not None and fid.name in self.space:
                raise InvalidArgumentError(
                    f"`fidelity.name` must not be a parameter's name, got {fid.name!r}"
                )
            if fid is not None and self.pruner is not None:
                raise InvalidArgumentError(
                    "`fidelity` and `pruner` exclude each other: a study with a fidelity "
                    f"stops trials at its rungs itself (Hyperband), got pruner "
                    f"{self.pruner['name']!r}"
                )

    @classmethod
    def create(
        cls,
        space: Space | Mapping[str, Any],
        direction: str | Mapping[str, str] | Sequence[Objective] = "minimize",
        *,
        constraints: Sequence[str | Constraint] | None = None,
        strategy: str = "auto",
        strategy_options: Mapping[str, Any] | None = None,
        seed: int | None = None,
        noisy: bool = False,
        pruner: Mapping[str, Any] | str | None = None,
        statistic: Any = None,
        prior_studies: Sequence[str] | None = None,
        parameter_constraints: Sequence[str] | None = None,
        fidelity: Any = None,
    ) -> StudySpec:
        """The spec of :class:`bbo.Study`'s keyword arguments, checked: the space, the
        directions and the constraints. The strategy's options are checked by
        :meth:`check_strategy` (which imports the strategy's module), when the study opens
        or where a boundary wants the error early (study.yaml). ``statistic``: what is
        optimized of each objective's replicate samples (:func:`bbo.trial.parse_statistics`,
        :mod:`bbo.statistics`); None keeps the objectives' own (the mean).
        ``parameter_constraints``: linear constraints on the parameters, added to the
        space's own (:class:`bbo.Space` ``constraints=``). ``fidelity``: a
        :class:`bbo.Fidelity` or a mapping ``{name, low, high, eta}``."""
        if not isinstance(space, Space) and isinstance(space, Mapping):
            space = Space(space)
        if parameter_constraints:
            if isinstance(parameter_constraints, str):
                parameter_constraints = [parameter_constraints]
            given = [c for c in parameter_constraints if c not in space.constraint_texts]
            space = space.with_constraints([*space.constraint_texts, *given])
        return cls(
            space=space,
            objectives=parse_objectives(direction, statistic),
            constraints=parse_constraints(constraints),
            strategy=strategy,
            strategy_options=dict(strategy_options or {}),
            seed=seed,
            noisy=noisy,
            pruner={"name": pruner} if isinstance(pruner, str) else pruner,  # type: ignore[arg-type]
            prior_studies=prior_studies or (),  # type: ignore[arg-type]
            fidelity=_fidelity_dict(fidelity),
        )

    def check_strategy(self) -> None:
        """The strategy name and options are valid and the options JSON-ready (they are
        stored); raises InvalidArgumentError naming the option and the rule."""
        from bbo.strategies import validate_options

        validate_options(self.strategy, self.strategy_options)
        self.check_json()

    def check_json(self) -> None:
        """The options survive JSON (they are stored)."""
        _check_json("strategy_options", self.strategy_options)

    def with_seed(self, seed: int) -> StudySpec:
        return replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space.to_dict(),
            **(
                {"parameter_constraints": list(self.space.constraint_texts)}
                if self.space.constraints
                else {}
            ),
            "objectives": [_objective_dict(o) for o in self.objectives],
            "constraints": [str(c) for c in self.constraints],
            "strategy": self.strategy,
            "strategy_options": dict(self.strategy_options),
            "seed": self.seed,
            "noisy": self.noisy,
            **({"pruner": dict(self.pruner)} if self.pruner is not None else {}),
            **({"prior_studies": list(self.prior_studies)} if self.prior_studies else {}),
            **({"fidelity": dict(self.fidelity)} if self.fidelity is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StudySpec:
        """A stored spec. Options that older versions stored but that are runtime settings
        now (``device``) are dropped, so such studies open on any host."""
        options = {
            k: v for k, v in (d.get("strategy_options") or {}).items() if k not in _RUNTIME_KEYS
        }
        seed = d.get("seed")
        return cls(
            space=Space.from_dict(d["space"], d.get("parameter_constraints") or ()),
            objectives=tuple(
                Objective(o["name"], o["direction"], Statistic.parse(o.get("statistic")))
                for o in d["objectives"]
            ),
            constraints=tuple(Constraint.parse(c) for c in d.get("constraints", [])),
            strategy=d.get("strategy", "auto"),
            strategy_options=options,
            seed=int(seed) if seed is not None else None,
            noisy=bool(d.get("noisy", False)),
            pruner=d.get("pruner"),
            prior_studies=tuple(d.get("prior_studies", ())),
            fidelity=d.get("fidelity"),
        )

    def identity(self) -> dict[str, Any]:
        """The part that must match when a study is reopened."""
        d = self.to_dict()
        keys = ("space", "parameter_constraints", "objectives", "constraints")
        return {k: d[k] for k in keys if k in d}

    def conflict(self, name: str, given: StudySpec) -> str:
        """Why the stored spec (``self``) of study ``name`` is not the ``given`` one."""
        diff = []
        if self.space.to_dict() != given.space.to_dict():
            diff.append(f"space {self.space.to_dict()} vs {given.space.to_dict()}")
        if self.space.constraint_texts != given.space.constraint_texts:
            diff.append(
                f"parameter_constraints {list(self.space.constraint_texts)} vs "
                f"{list(given.space.constraint_texts)}"
            )
        if self.constraints != given.constraints:
            diff.append(
                f"constraints {[str(c) for c in self.constraints]} vs "
                f"{[str(c) for c in given.constraints]}"
            )
        if self.objectives != given.objectives:
            diff.append(
                f"objectives {[_objective_text(o) for o in self.objectives]} vs "
                f"{[_objective_text(o) for o in given.objectives]}"
            )
        return (
            f"study {name!r} already exists with a different definition (stored vs given: "
            f"{'; '.join(diff)}); use another name for a new study, or delete the old one"
        )

    @property
    def metrics(self) -> list[str]:
        """Metrics every COMPLETED tell must carry: objectives, then constraints."""
        return [o.name for o in self.objectives] + [c.metric for c in self.constraints]


def _objective_dict(o: Objective) -> dict[str, Any]:
    """The stored form; a mean objective's is what it was before statistics existed."""
    d: dict[str, Any] = {"name": o.name, "direction": o.direction}
    if not o.statistic.is_mean:
        d["statistic"] = o.statistic.to_dict()
    return d


def _objective_text(o: Objective) -> tuple[str, ...]:
    return (o.name, o.direction) if o.statistic.is_mean else (o.name, o.direction, str(o.statistic))


def prior_names(names: Any) -> tuple[str, ...]:
    """``prior_studies`` checked: a list of distinct non-empty study names, as a tuple."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise InvalidArgumentError(f"`prior_studies` must be a list of study names, got {names!r}")
    for n in names:
        if not isinstance(n, str) or not n:
            raise InvalidArgumentError(
                f"`prior_studies` must hold non-empty study names, got {n!r}"
            )
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        raise InvalidArgumentError(f"`prior_studies` must name each study once, got {twice} twice")
    return tuple(names)


def _fidelity_dict(fidelity: Any) -> dict[str, Any] | None:
    """A :class:`bbo.Fidelity` as its stored mapping; anything else as is (checked by
    :class:`StudySpec`)."""
    from bbo.pruners.fidelity import Fidelity

    return fidelity.to_dict() if isinstance(fidelity, Fidelity) else fidelity


def _check_json(where: str, value: Any) -> None:
    """Stored values must survive JSON: finite numbers, string keys."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(
            f"`{where}` must hold only strings, finite numbers, booleans, lists and mappings ({e})"
        ) from None
