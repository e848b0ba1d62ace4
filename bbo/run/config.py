"""study.yaml: the pydantic model of a study file and its loader.

The model checks the *shape* of a study file (types, required and unknown keys); the rules
of the search space (``low < high``, ``log`` needs ``low > 0``, unique choices ...) are not
repeated here: each parameter is handed to :func:`bbo.space.param_from_dict`, whose
InvalidSpaceError becomes a validation error located at ``space.<name>``.

:func:`load_config` turns every problem into :class:`ConfigError` whose message holds one
line per error, ``<file>: <dotted.field.path>: <rule>``.

Paths: a relative ``objective.cwd`` is resolved against the directory of the yaml file;
without ``cwd`` commands run in the directory ``bbo`` was started from. A relative SQLite
``storage`` path, a bare ``FILE.db`` path, and the default ``sqlite:///<name>.db`` resolve
against the directory of the yaml file (:func:`resolve_storage`, applied by
:func:`load_config`): the study is stored next to its file wherever ``bbo`` is started.
"""

from __future__ import annotations

import string
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bbo.exceptions import BboError, InvalidSpaceError
from bbo.pruners import ALIASES, PRUNERS, make_pruner
from bbo.run.config_fidelity import FidelityConfig
from bbo.run.config_file import did_you_mean, format_errors, load_config
from bbo.run.config_objective import FORBID as _FORBID
from bbo.run.config_objective import ExternalConfig, ObjectiveConfig
from bbo.space import Space, param_from_dict
from bbo.strategies import STRATEGY_NAMES
from bbo.study.spec import StudySpec, prior_names
from bbo.study.storage import as_storage_url

Choice = bool | int | float | str


def _space_rule(e: InvalidSpaceError) -> PydanticCustomError:
    return PydanticCustomError("space_rule", "{rule}", {"rule": str(e)})


class _ParamBase(BaseModel):
    model_config = _FORBID

    @model_validator(mode="after")
    def _check_rules(self) -> _ParamBase:
        try:
            param_from_dict(self.model_dump())
        except InvalidSpaceError as e:
            raise _space_rule(e) from None
        return self


class PriorConfig(BaseModel):
    """A belief about where the optimum lies (docs/concepts.md, :mod:`bbo.space.prior`):
    ``{mean, sd}`` for float and int (``sd`` in decades for ``log: true``), ``{choice,
    weight}`` or ``{probs}`` for categorical and ordinal."""

    model_config = _FORBID

    mean: float | None = Field(None, description="believed optimum, inside [low, high]")
    sd: float | None = Field(
        None, description="> 0; in the parameter's units, in decades (log10) for `log: true`"
    )
    choice: Choice | None = Field(None, description="the preferred choice")
    weight: float | None = Field(
        None, description="probability of `choice`, in (0, 1); default 0.5 (2/3 of two)"
    )
    probs: list[float] | None = Field(
        None, description="one probability > 0 per choice, in order, summing to 1"
    )


PRIOR_DESCRIPTION = "prior belief about the optimum; weights the search early on, then fades"
When = dict[str, list[Choice]] | None
WHEN_FIELD = Field(
    None,
    description="conditional parameter: active only when each named parameter (int, "
    "categorical or ordinal) takes one of the listed values, e.g. `{optimizer: [sgd]}`; "
    "left out of a trial otherwise (docs/concepts.md)",
)


class FloatParam(_ParamBase):
    """A real number in ``[low, high]``."""

    type: Literal["float"]
    low: float = Field(description="lower bound (included)")
    high: float = Field(description="upper bound (included); `low < high` must hold")
    log: bool = Field(False, description="search log(value) uniformly; needs `low > 0`")
    prior: PriorConfig | None = Field(None, description=PRIOR_DESCRIPTION)
    when: When = WHEN_FIELD


class IntParam(_ParamBase):
    """An integer in ``[low, high]``, both included."""

    type: Literal["int"]
    low: int = Field(description="lower bound (included)")
    high: int = Field(description="upper bound (included); `low < high` must hold")
    log: bool = Field(False, description="log-uniform search; needs `low > 0`")
    prior: PriorConfig | None = Field(None, description=PRIOR_DESCRIPTION)
    when: When = WHEN_FIELD


class CategoricalParam(_ParamBase):
    """One of an unordered list of choices."""

    type: Literal["categorical"]
    choices: list[Choice] = Field(description="non-empty list of unique values")
    prior: PriorConfig | None = Field(None, description=PRIOR_DESCRIPTION)
    when: When = WHEN_FIELD


class OrdinalParam(_ParamBase):
    """One of an ordered list of values (neighbours in the list are neighbours)."""

    type: Literal["ordinal"]
    values: list[Choice] = Field(description="non-empty list of unique values, in order")
    prior: PriorConfig | None = Field(None, description=PRIOR_DESCRIPTION)
    when: When = WHEN_FIELD


ParamConfig = Annotated[
    FloatParam | IntParam | CategoricalParam | OrdinalParam, Field(discriminator="type")
]


class ResourcesConfig(BaseModel):
    """Ray resources reserved by each evaluation."""

    model_config = _FORBID

    num_cpus: float = Field(1.0, ge=0, description="CPUs per evaluation")
    num_gpus: float = Field(0.0, ge=0, description="GPUs per evaluation (fractions share one)")


class ExecutorConfig(BaseModel):
    """Where evaluations run: `local` (threads and processes of this machine) or `ray` (a
    Ray cluster; bbo submits one Ray task per evaluation). `executor: ray` is short for
    `executor: {type: ray}`."""

    model_config = _FORBID

    type: Literal["local", "ray"] = Field("local", description="`local` or `ray`")
    address: str | None = Field(
        None,
        description="Ray only: cluster address (`auto`, `ray://head:10001`, `host:6379`); "
        "unset starts a local Ray instance on this machine",
    )
    resources: ResourcesConfig = Field(
        default_factory=lambda: ResourcesConfig.model_validate({}),
        description="Ray only: resources per evaluation",
    )
    runtime_env: dict[str, Any] | None = Field(
        None,
        description="Ray only: runtime_env for the job, e.g. {working_dir: ., pip: [...]} "
        "so that cluster nodes get the objective's files",
    )

    @model_validator(mode="after")
    def _ray_only(self) -> ExecutorConfig:
        if self.type == "local":
            extra = [k for k in ("address", "runtime_env") if getattr(self, k) is not None]
            if "resources" in self.model_fields_set:
                extra.append("resources")
            if extra:
                raise PydanticCustomError(
                    "ray_only",
                    "{keys} need(s) `type: ray`, got type: local",
                    {"keys": ", ".join(f"`{k}`" for k in extra)},
                )
        return self


def _one_of(kind: str, v: str, names: tuple[str, ...]) -> str:
    """``v`` if it is one of ``names``; otherwise the ``unknown_<kind>`` error with a hint."""
    if v not in names:
        raise PydanticCustomError(
            f"unknown_{kind}",
            "must be one of {valid}, got {got}{hint}",
            {"valid": str(list(names)), "got": repr(v), "hint": did_you_mean(v, names)},
        )
    return v


class StrategyConfig(BaseModel):
    """The proposal strategy: `name`, and any other key is passed as a strategy option."""

    model_config = ConfigDict(extra="allow")

    name: str = Field("auto", description=f"one of {list(STRATEGY_NAMES)}")

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        return _one_of("strategy", v, STRATEGY_NAMES)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


PRUNER_NAMES = (*PRUNERS, *ALIASES, "none")


class PrunerConfig(BaseModel):
    """The pruner that stops unpromising trials from their reported intermediate values:
    `name`, and any other key is passed as a pruner option (docs/pruning.md)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description=f"one of {list(PRUNER_NAMES)}")

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        return _one_of("pruner", v, PRUNER_NAMES)

    @model_validator(mode="after")
    def _options(self) -> PrunerConfig:
        try:
            make_pruner(self.spec())
        except BboError as e:
            raise PydanticCustomError("pruner", "{rule}", {"rule": str(e)}) from None
        return self

    def spec(self) -> dict[str, Any]:
        """``{"name": ..., option: value}``: the spec :func:`bbo.pruners.make_pruner` reads."""
        return {"name": self.name, **(self.model_extra or {})}


class StudyConfig(BaseModel):
    """A study file (study.yaml) for ``bbo run``."""

    model_config = ConfigDict(extra="forbid", title="bbo study.yaml")

    name: str = Field(min_length=1, pattern=r"\S", description="study name (resume key)")
    space: dict[str, ParamConfig] = Field(
        min_length=1, description="parameter name -> {type: float|int|categorical|ordinal, ...}"
    )
    objective: ObjectiveConfig = Field(description="how one trial is evaluated")
    strategy: StrategyConfig = Field(
        default_factory=lambda: StrategyConfig(name="auto"),
        description="proposal strategy; default auto",
    )
    budget: int = Field(
        ge=1,
        description="number of finished trials (COMPLETED, FAILED, INFEASIBLE, PRUNED) to reach",
    )
    pruner: PrunerConfig | None = Field(
        None,
        description="stop unpromising trials early from the values they report, e.g. "
        "{name: asha, min_resource: 1, reduction_factor: 3}; unset: keep the stored one "
        "(none for a new study)",
    )
    fidelity: FidelityConfig | None = Field(
        None,
        description="multi-fidelity: {name: epochs, low: 1, high: 81, eta: 3}; trials run to "
        "`high` and are stopped at Hyperband rungs (excludes `pruner`); unset: keep the stored "
        "one (none for a new study)",
    )
    workers: int = Field(1, ge=1, description="parallel evaluations")
    executor: ExecutorConfig = Field(
        default_factory=lambda: ExecutorConfig.model_validate({}),
        description="`local` (default) or `ray`; see the executor fields",
    )
    max_failures: int | None = Field(
        None,
        ge=1,
        description="stop `bbo run` (exit 1) once this many trials FAILED in this run; "
        "unset: never stop for failures. A rerun resumes.",
    )
    seed: int | None = Field(None, description="random seed; unset keeps the stored one")
    prior_studies: list[str] = Field(
        default_factory=list,
        description="names of earlier studies in the same storage whose completed trials "
        "inform the model (warm start: matched parameters, the same objective metric; see "
        "docs/warm-start.md); each must exist when the study opens. Unset keeps the stored "
        "ones",
    )
    parameter_constraints: list[str] = Field(
        default_factory=list,
        description="linear constraints on the float and int parameters that every "
        "suggestion satisfies, e.g. ['x1 + 2*x2 <= 10', 'lr - 0.5*wd >= 0']: numbers times "
        "parameters added or subtracted, a constant on either side, `<=` or `>=`; in the "
        "parameters' own values (also for log-scaled ones). Refused when they cannot all "
        "hold; part of the study's identity (see docs/concepts.md)",
    )
    initial_points: list[dict[str, Choice]] = Field(
        default_factory=list,
        description="configurations to evaluate first, in order, before any suggestion: a "
        "list of mappings {parameter: value} naming every parameter (e.g. a known good "
        "default). Queued when the study opens; a point already evaluated or queued is not "
        "queued again, so a resumed run does not repeat them",
    )
    storage: str | None = Field(
        None,
        description="storage URL (or a bare FILE.db path); default sqlite:///<name>.db. "
        "Relative SQLite paths resolve against the directory of the study file.",
    )

    @field_validator("prior_studies")
    @classmethod
    def _prior_names(cls, v: list[str]) -> list[str]:
        try:
            prior_names(v)
        except BboError as e:
            raise PydanticCustomError("prior_studies", "{rule}", {"rule": str(e)}) from None
        return v

    @field_validator("initial_points")
    @classmethod
    def _points_in_space(
        cls, v: list[dict[str, Choice]], info: ValidationInfo
    ) -> list[dict[str, Choice]]:
        """Each point names every parameter with a value in its domain (checked against
        the space, which is validated before: a broken space is reported alone)."""
        params = info.data.get("space")
        if not params:
            return v
        try:
            space = Space.from_dict(
                {n: p.model_dump() for n, p in params.items()},
                info.data.get("parameter_constraints") or (),
            )
        except InvalidSpaceError:
            return v
        for i, point in enumerate(v):
            try:
                space.check_feasible(point)
            except BboError as e:
                raise PydanticCustomError(
                    "initial_point", "point {i}: {rule}", {"i": i, "rule": str(e)}
                ) from None
        return v

    @field_validator("executor", mode="before")
    @classmethod
    def _executor_shorthand(cls, v: Any) -> Any:
        return {"type": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _cross_checks(self) -> StudyConfig:
        try:
            space = Space.from_dict({n: p.model_dump() for n, p in self.space.items()})
        except InvalidSpaceError as e:
            raise PydanticCustomError("space_rule", "space: {rule}", {"rule": str(e)}) from None
        try:
            space = self.build_space()
        except InvalidSpaceError as e:
            raise PydanticCustomError(
                "parameter_constraints", "parameter_constraints: {rule}", {"rule": str(e)}
            ) from None
        if self.fidelity is not None and self.pruner is not None:
            raise PydanticCustomError(
                "fidelity",
                "fidelity: `fidelity` and `pruner` exclude each other (a study with a fidelity "
                "stops trials at its rungs itself); drop one",
            )
        if self.fidelity is not None and self.fidelity.name in space:
            raise PydanticCustomError(
                "fidelity",
                "fidelity.name: must not be a parameter's name, got {name}",
                {"name": repr(self.fidelity.name)},
            )
        fid = self.fidelity.name if self.fidelity is not None else None
        for arg in self.objective.command or []:
            for name in _placeholders(arg):
                if name not in space and name != fid:
                    raise PydanticCustomError(
                        "unknown_placeholder",
                        "objective.command: placeholder {name} in {arg} names no "
                        "parameter; parameters are {names}",
                        {"name": "{" + name + "}", "arg": repr(arg), "names": str(list(space))},
                    )
        try:
            self.spec().check_strategy()
        except BboError as e:
            raise PydanticCustomError("strategy", "strategy: {rule}", {"rule": str(e)}) from None
        return self

    def spec(self) -> StudySpec:
        """The study's definition (:class:`bbo.study.spec.StudySpec`): what is stored."""
        return StudySpec.create(
            self.build_space(),
            self.objective.direction,
            constraints=self.objective.constraints,
            strategy=self.strategy.name,
            strategy_options=self.strategy.options,
            seed=self.seed,
            noisy=self.objective.noisy,
            pruner=self.pruner.spec() if self.pruner is not None else None,
            statistic=self.objective.statistic_spec(),
            prior_studies=self.prior_studies,
            fidelity=self.fidelity.model_dump() if self.fidelity is not None else None,
        )

    def build_space(self) -> Space:
        """The space with its parameter constraints."""
        return Space.from_dict(
            {n: p.model_dump() for n, p in self.space.items()}, self.parameter_constraints
        )

    @property
    def storage_url(self) -> str:
        return as_storage_url(self.storage or f"sqlite:///{self.name}.db")


def _placeholders(template: str) -> list[str]:
    """Field names of ``{name}`` placeholders in ``template`` (``{{`` escapes a brace)."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError:
        return []


__all__ = [
    "ExecutorConfig",
    "ExternalConfig",
    "FidelityConfig",
    "ObjectiveConfig",
    "PrunerConfig",
    "ResourcesConfig",
    "StrategyConfig",
    "StudyConfig",
    "format_errors",
    "load_config",
]
