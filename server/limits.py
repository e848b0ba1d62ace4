"""Request limits of the server, checked once at the boundary (before any storage work).

A request over a limit is RESOURCE_EXHAUSTED, a malformed field INVALID_ARGUMENT; each
message names the field and the rule and never echoes a long value in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from bbo.server.convert import scalar_to_pb
from bbo.server.errors import show

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidArgumentError, ResourceExhaustedError
from bbo.study.spec import StudySpec

#: Bytes an answered trial may carry beyond its parameters: ids, times, client id, and the
#: ``attrs`` a strategy adds (source, its notes). Used to size an Ask's answer beforehand.
TRIAL_SLACK = 1024
MAX_TRIAL_ID = 2**63 - 1  # the wire's int64


@dataclass(frozen=True)
class Limits:
    """Per-request limits; a request over one is RESOURCE_EXHAUSTED."""

    max_ask: int = 64  # trials per Ask
    max_samples: int = 10_000  # replicate samples per Tell
    max_metrics: int = 256  # metrics per Tell
    max_page: int = 10_000  # trials per ListTrials page
    max_ids: int = 10_000  # trial ids per Heartbeat
    max_points: int = 10_000  # points per Enqueue
    default_lease: float = 300.0  # seconds, when an Ask or Heartbeat gives none
    max_lease: float = 7 * 86400.0
    max_text: int = 4096  # characters of names, client ids, request ids, reasons, choices

    def text(self, field: str, value: str, required: bool = True) -> None:
        """A string field: non-empty when ``required``, at most ``max_text`` characters."""
        if required and not value:
            raise InvalidArgumentError(f"`{field}` must be a non-empty string, got {value!r}")
        if len(value) > self.max_text:
            raise ResourceExhaustedError(
                f"`{field}` must hold at most {self.max_text} characters, got {len(value)}"
            )

    def spec_strings(self, spec: pb.StudySpec) -> None:
        """Every string of a StudySpec message: parameter names and string choices,
        objective names, constraint metrics, parameter constraints and the strategy name
        (``strategy_options`` is JSON, bounded by the message size)."""
        for i, p in enumerate(spec.space):
            self.text(f"spec.space[{i}].name", p.name, required=False)
            kind = p.WhichOneof("kind")
            if kind in ("categorical_param", "ordinal_param"):
                field = "choices" if kind == "categorical_param" else "values"
                for j, c in enumerate(getattr(getattr(p, kind), field)):
                    if c.WhichOneof("kind") == "string_value":
                        self.text(f"spec.space[{i}].{kind}.{field}[{j}]", c.string_value, False)
        for i, o in enumerate(spec.objectives):
            self.text(f"spec.objectives[{i}].name", o.name, required=False)
        for i, c in enumerate(spec.constraints):
            self.text(f"spec.constraints[{i}].metric", c.metric, required=False)
        self.text("spec.strategy", spec.strategy, required=False)
        for i, name in enumerate(spec.prior_studies):
            self.text(f"spec.prior_studies[{i}]", name, required=False)
        for i, text in enumerate(spec.parameter_constraints):
            self.text(f"spec.parameter_constraints[{i}]", text, required=False)


def page_token(token: str) -> int:
    """The trial id a ``next_page_token`` carries: a decimal in ``0..2**63-1``."""
    if not (token.isascii() and token.isdigit() and int(token) <= MAX_TRIAL_ID):
        raise InvalidArgumentError(
            f"`page_token` must be a next_page_token (a trial id, 0 <= id < 2**63), "
            f"got {show(token)}"
        )
    return int(token)


def trial_bytes(spec: StudySpec, client_id: str) -> int:
    """An upper bound of the encoded size of one answered trial of a study with ``spec``:
    each parameter at its longest value, plus :data:`TRIAL_SLACK`."""
    params: dict[str, pb.Scalar] = {}
    for name, d in spec.space.to_dict().items():
        if d["type"] in ("categorical", "ordinal"):
            choices = d["choices"] if d["type"] == "categorical" else d["values"]
            params[name] = max((scalar_to_pb(c) for c in choices), key=lambda s: s.ByteSize())
        elif d["type"] == "int":
            params[name] = pb.Scalar(int_value=-1)  # ten bytes, the longest varint
        else:
            params[name] = pb.Scalar(double_value=1.5)
    trial = pb.Trial(
        id=MAX_TRIAL_ID,
        retry_of=MAX_TRIAL_ID,
        params=params,
        client_id=client_id,
        value=1.5,
        lease_expires_at=1.5,
        created_at=1.5,
    )
    return trial.ByteSize() + TRIAL_SLACK


def metric_samples(request: pb.TellRequest, lim: Limits) -> dict[str, list[float]] | None:
    """``metric_samples`` of a Tell as ``{metric: replicates}`` (None when unset), within
    the server's limits; with ``samples`` too, INVALID_ARGUMENT."""
    if not request.metric_samples:
        return None
    if request.samples:
        raise InvalidArgumentError("tell exactly one of `samples` and `metric_samples`")
    if len(request.metric_samples) > lim.max_metrics:
        raise ResourceExhaustedError(
            f"`metric_samples` must hold at most {lim.max_metrics} metrics, got "
            f"{len(request.metric_samples)}"
        )
    out = {}
    for name, reps in request.metric_samples.items():
        if len(reps.values) > lim.max_samples:
            raise ResourceExhaustedError(
                f"`metric_samples[{name!r}]` must hold at most {lim.max_samples} replicates "
                f"(server limit --max-samples), got {len(reps.values)}"
            )
        out[name] = list(reps.values)
    return out
