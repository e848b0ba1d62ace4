"""study.yaml's ``objective`` section: how a trial is evaluated (a command, a Python function
or outside workers over gRPC), its direction, outcome constraints and the statistic of the
replicate samples (part of :mod:`bbo.run.config`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bbo.exceptions import BboError
from bbo.statistics import PARAMS
from bbo.trial import parse_constraints, parse_objectives

FORBID = ConfigDict(extra="forbid")
Direction = Literal["minimize", "maximize"]


class ExternalConfig(BaseModel):
    """``objective.external``: ``bbo run`` serves the study over gRPC (``bbo serve``'s
    server) and waits, showing progress, while outside workers ask and tell
    (``bbo.connect(host:port)``, or any gRPC client of ``bbo.v1``)."""

    model_config = FORBID

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(
        50051, ge=0, le=65535, description="TCP port; 0 picks a free one (printed at start)"
    )
    token_env: str | None = Field(
        None,
        description="environment variable holding the accepted bearer token(s), "
        "comma-separated; a non-loopback `host` needs one",
    )
    lease: float = Field(
        300.0,
        gt=0,
        description="seconds an asked trial stays RUNNING without a heartbeat or tell; then "
        "its point is offered again",
    )


class ObjectiveConfig(BaseModel):
    """How one trial is evaluated: a command line, a Python function, or outside workers."""

    model_config = FORBID

    direction: Direction | dict[str, Direction] = Field(
        "minimize",
        description="`minimize`, `maximize`, or a mapping {metric: direction} for named or "
        "several objectives",
    )
    constraints: list[str] = Field(
        default_factory=list,
        description="outcome constraints on told metrics, e.g. ['latency <= 20', "
        "'accuracy >= 0.9']; a trial is feasible when all hold",
    )
    statistic: str | dict[str, Any] | None = Field(
        None,
        description="what is optimized of the replicate samples each evaluation returns "
        "({'samples': [...]}): mean (default), median, quantile, cvar, mean_std or exceed, "
        "with its parameter beside it (`statistic: cvar` + `alpha: 0.95`) or inline "
        "(`cvar(0.95)`, `p95`), or {objective: statistic} for named objectives. See "
        "docs/statistics.md",
    )
    q: float | None = Field(None, description="`statistic: quantile`: the level, in (0, 1)")
    alpha: float | None = Field(
        None, description="`statistic: cvar`: the mean of the worst 1 - alpha fraction"
    )
    lambda_: float | None = Field(
        None, alias="lambda", description="`statistic: mean_std`: mean + lambda * std"
    )
    threshold: float | None = Field(
        None, description="`statistic: exceed`: the probability of a sample above it"
    )
    noisy: bool = Field(
        False,
        description="the objective is observed with noise (a stochastic simulator, a training "
        "run): the study recommends the evaluated point of best predicted value (GP posterior "
        "mean), not the luckiest observation",
    )
    command: list[str] | None = Field(
        None,
        min_length=1,
        description="argv template; `{name}` is replaced by str(value) of parameter `name` "
        "(str.format: `{x:.3f}` formats, literal braces are doubled `{{ }}`). "
        "A leading `python`/`python3` runs the interpreter running bbo (sys.executable). The "
        "last non-empty stdout line must be a number, a JSON object of metrics, or "
        '{"samples": [...]}. Exactly one of `command`, `python` and `external`.',
    )
    python: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="`package.module:function`, called as function(**params) in worker "
        "processes; returns a number, a dict of metrics or {'samples': [...]}. The yaml "
        "file's directory and `cwd` are put on sys.path.",
    )
    external: ExternalConfig | None = Field(
        None,
        description="serve the study over gRPC and wait for outside workers to ask and tell "
        "(`external: {}` for the defaults). Exactly one of `command`, `python` and `external`.",
    )
    timeout: float | None = Field(
        None, gt=0, description="seconds per evaluation; a slower one is killed and FAILED"
    )
    retries: int = Field(
        0,
        ge=0,
        description="re-run a crashed evaluation (non-zero exit, exception, time-out, no "
        "result) up to this many more times before the trial is told FAILED",
    )
    env: dict[str, str] = Field(
        default_factory=dict, description="extra environment variables for the evaluations"
    )
    cwd: str | None = Field(
        None,
        description="working directory of the evaluations; a relative path is relative to "
        "the yaml file's directory. Default: the directory bbo is started from.",
    )

    @field_validator("direction", mode="before")
    @classmethod
    def _direction(cls, v: Any) -> Any:
        """One clear error instead of one per union member."""
        try:
            parse_objectives(v)
        except BboError as e:
            raise PydanticCustomError("direction", "{rule}", {"rule": str(e)}) from None
        return v

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v: list[str]) -> list[str]:
        try:
            parse_constraints(v)
        except BboError as e:
            raise PydanticCustomError("constraint", "{rule}", {"rule": str(e)}) from None
        return v

    def statistic_spec(self) -> Any:
        """``statistic`` with a beside-it parameter folded in (``{"name": "cvar", "alpha":
        0.95}``), for :meth:`bbo.study.spec.StudySpec.create`."""
        given = {
            k: v
            for k, v in (("q", self.q), ("alpha", self.alpha), ("lambda", self.lambda_))
            if v is not None
        }
        if self.threshold is not None:
            given["threshold"] = self.threshold
        if not given:
            return self.statistic
        if not isinstance(self.statistic, str) or self.statistic.strip() not in PARAMS:
            raise PydanticCustomError(
                "statistic",
                "statistic: {keys} go beside a statistic's bare name (`statistic: cvar` with "
                "`alpha: 0.95`), got statistic={stat!r}",
                {"keys": ", ".join(f"`{k}`" for k in given), "stat": self.statistic},
            )
        return {"name": self.statistic.strip(), **given}

    @model_validator(mode="after")
    def _statistic(self) -> ObjectiveConfig:
        try:
            parse_objectives(self.direction, self.statistic_spec())
        except BboError as e:
            raise PydanticCustomError("statistic", "statistic: {rule}", {"rule": str(e)}) from None
        return self

    @model_validator(mode="after")
    def _one_kind(self) -> ObjectiveConfig:
        given = [k for k in ("command", "python", "external") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "objective_kind",
                "exactly one of `command`, `python` and `external` must be given, got {got}",
                {"got": ", ".join(f"`{k}`" for k in given) if given else "none"},
            )
        return self
