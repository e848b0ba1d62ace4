"""Conversion between the wire messages (``bbo.v1``) and bbo's value objects.

Used by the servicer and by the Python client (``bbo.connect``), so both ends read and write
the same forms. Every ``*_from_pb`` validates: a malformed message raises a
:class:`~bbo.exceptions.InvalidArgumentError` subclass naming the field and the rule.

Struct fields (``strategy_options``, trial ``attrs``) carry JSON; protobuf's Struct holds
every number as a double, so integral numbers are read back as ``int`` (``{"n_init": 10}``
stays 10, not 10.0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from bbo.server.conditions import when_from_pb, when_to_pb
from bbo.server.prior import prior_from_pb, prior_to_pb
from google.protobuf import json_format, struct_pb2

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidArgumentError, InvalidSpaceError, InvalidValueError
from bbo.space import Space
from bbo.space.params import MAX_INT_BOUND
from bbo.statistics import MEAN, Statistic
from bbo.study.spec import StudySpec
from bbo.trial import Constraint, Objective, Report, Trial, TrialState

# ------------------------------------------------------------------------------------ scalars


def scalar_to_pb(v: Any) -> pb.Scalar:
    """A parameter value or choice (str, int, float, bool) as a Scalar."""
    if isinstance(v, bool):
        return pb.Scalar(bool_value=v)
    if isinstance(v, int):
        return pb.Scalar(int_value=v)
    if isinstance(v, float):
        return pb.Scalar(double_value=v)
    if isinstance(v, str):
        return pb.Scalar(string_value=v)
    raise InvalidValueError(f"a parameter value must be str, int, float or bool, got {v!r}")


def scalar_from_pb(s: pb.Scalar, where: str) -> Any:
    kind = s.WhichOneof("kind")
    if kind is None:
        raise InvalidValueError(f"`{where}`: a Scalar must set one of its values, got none")
    return getattr(s, kind)


# -------------------------------------------------------------------------------------- space

_DIRECTION = {
    "minimize": pb.DIRECTION_MINIMIZE,
    "maximize": pb.DIRECTION_MAXIMIZE,
}
_OP = {"<=": pb.COMPARISON_OP_LESS_EQUAL, ">=": pb.COMPARISON_OP_GREATER_EQUAL}


def space_to_pb(space: Space) -> list[pb.Parameter]:
    out = []
    for name, d in space.to_dict().items():
        kind = d["type"]
        if kind == "float":
            out.append(pb.Parameter(name=name, float_param=pb.FloatParam(**_range(d))))
        elif kind == "int":
            out.append(pb.Parameter(name=name, int_param=pb.IntParam(**_range(d))))
        elif kind == "categorical":
            choices = [scalar_to_pb(c) for c in d["choices"]]
            out.append(
                pb.Parameter(name=name, categorical_param=pb.CategoricalParam(choices=choices))
            )
        else:
            values = [scalar_to_pb(c) for c in d["values"]]
            out.append(pb.Parameter(name=name, ordinal_param=pb.OrdinalParam(values=values)))
        if d.get("prior") is not None:  # a belief about the optimum (server/prior.py)
            out[-1].prior.CopyFrom(prior_to_pb(d["prior"]))
        if d.get("when"):  # a conditional parameter (server/conditions.py)
            out[-1].when.extend(when_to_pb(d["when"]))
    return out


def _range(d: Mapping[str, Any]) -> dict[str, Any]:
    return {"low": d["low"], "high": d["high"], "log": d["log"]}


def _int_bound(where: str, v: int) -> None:
    """The rule of :class:`bbo.space.Int`, named by the field's path on the wire."""
    if not -MAX_INT_BOUND <= v <= MAX_INT_BOUND:
        raise InvalidSpaceError(
            f"`|{where}| <= 2**53` must hold (integers are searched as doubles, exact up "
            f"to 2**53), got {v}"
        )


def space_from_pb(params: Iterable[pb.Parameter]) -> Space:
    """The Space of a ``repeated Parameter``; rules are checked by the parameter types."""
    d: dict[str, dict[str, Any]] = {}
    for i, p in enumerate(params):
        if not p.name:
            raise InvalidSpaceError(f"`spec.space[{i}].name` must be a non-empty string")
        if p.name in d:
            raise InvalidSpaceError(f"parameter names must be unique, got {p.name!r} twice")
        kind = p.WhichOneof("kind")
        where = f"spec.space[{i}] ({p.name})"
        if kind == "float_param":
            f = p.float_param
            d[p.name] = {"type": "float", "low": f.low, "high": f.high, "log": f.log}
        elif kind == "int_param":
            n = p.int_param
            for bound in ("low", "high"):
                _int_bound(f"spec.space[{i}].int_param.{bound}", getattr(n, bound))
            d[p.name] = {"type": "int", "low": n.low, "high": n.high, "log": n.log}
        elif kind == "categorical_param":
            cs = [scalar_from_pb(c, f"{where}.choices") for c in p.categorical_param.choices]
            d[p.name] = {"type": "categorical", "choices": cs}
        elif kind == "ordinal_param":
            vs = [scalar_from_pb(c, f"{where}.values") for c in p.ordinal_param.values]
            d[p.name] = {"type": "ordinal", "values": vs}
        else:
            raise InvalidSpaceError(f"`{where}` must set one of float/int/categorical/ordinal")
        if p.HasField("prior"):
            d[p.name]["prior"] = prior_from_pb(p.prior, where)
        if len(p.when):
            d[p.name]["when"] = when_from_pb(p.when, where)
    if not d:
        raise InvalidSpaceError("`spec.space` must hold at least one parameter")
    return Space.from_dict(d)


# --------------------------------------------------------------------------------------- spec


def spec_to_pb(spec: StudySpec) -> pb.StudySpec:
    return pb.StudySpec(
        space=space_to_pb(spec.space),
        objectives=[
            pb.Objective(
                name=o.name,
                direction=_DIRECTION[o.direction],
                statistic=statistic_to_pb(o.statistic),
            )
            for o in spec.objectives
        ],
        constraints=[
            pb.Constraint(
                metric=c.metric, op=_OP[c.op], bound=c.bound, statistic=statistic_to_pb(c.statistic)
            )
            for c in spec.constraints
        ],
        strategy=spec.strategy,
        strategy_options=struct_to_pb(spec.strategy_options),
        seed=spec.seed,  # None (unset): the server draws one for a new study
        noisy=spec.noisy,
        pruner=struct_to_pb(spec.pruner) if spec.pruner is not None else None,
        prior_studies=list(spec.prior_studies),
        parameter_constraints=list(spec.space.constraint_texts),
        fidelity=pb.Fidelity(**spec.fidelity) if spec.fidelity is not None else None,
    )


def spec_from_pb(s: pb.StudySpec) -> StudySpec:
    """The StudySpec of a message, checked (``seed`` is None when unset: a new study draws
    one, a reopened one keeps its own); the strategy's options are checked by the study
    that opens it."""
    objectives = []
    for i, o in enumerate(s.objectives):
        if o.direction not in (
            pb.DIRECTION_UNSPECIFIED,
            pb.DIRECTION_MINIMIZE,
            pb.DIRECTION_MAXIMIZE,
        ):
            raise InvalidArgumentError(
                f"`spec.objectives[{i}].direction` must be MINIMIZE or MAXIMIZE, got {o.direction}"
            )
        direction = "maximize" if o.direction == pb.DIRECTION_MAXIMIZE else "minimize"
        stat = statistic_from_pb(o.statistic, f"spec.objectives[{i}].statistic")
        objectives.append(Objective(o.name, direction, stat))
    constraints = []
    ops = {v: k for k, v in _OP.items()}
    for i, c in enumerate(s.constraints):
        if c.op not in ops:
            raise InvalidArgumentError(
                f"`spec.constraints[{i}].op` must be LESS_EQUAL or GREATER_EQUAL, got {c.op}"
            )
        stat = statistic_from_pb(c.statistic, f"spec.constraints[{i}].statistic")
        constraints.append(Constraint(c.metric, ops[c.op], c.bound, stat))
    space = space_from_pb(s.space)
    if s.parameter_constraints:
        try:
            space = space.with_constraints(list(s.parameter_constraints))
        except InvalidSpaceError as e:
            raise InvalidSpaceError(f"`spec.parameter_constraints`: {e}") from None
    return StudySpec.create(
        space,
        objectives or "minimize",
        constraints=constraints,
        strategy=s.strategy or "auto",
        strategy_options=struct_from_pb(s.strategy_options),
        seed=s.seed if s.HasField("seed") else None,
        noisy=s.noisy,
        pruner=pruner_from_pb(s),
        prior_studies=list(s.prior_studies),
        fidelity=fidelity_from_pb(s),
    )


def statistic_to_pb(s: Statistic) -> pb.Statistic | None:
    """None (unset) for the mean: a mean study's message is what it was before."""
    return None if s.is_mean else pb.Statistic(name=s.name, param=s.param)


def statistic_from_pb(m: pb.Statistic, where: str) -> Statistic:
    """The checked statistic of a message (unset or an empty name: the mean);
    InvalidArgumentError naming ``where`` and the rule."""
    if not m.name:
        return MEAN
    try:
        return Statistic(m.name, m.param if m.HasField("param") else None)
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"`{where}`: {e}") from None


def fidelity_from_pb(s: pb.StudySpec) -> dict[str, Any] | None:
    """The checked fidelity of ``spec.fidelity`` (``eta`` 0: 3), or None when unset;
    InvalidArgumentError naming ``spec.fidelity`` and the rule."""
    if not s.HasField("fidelity"):
        return None
    f = s.fidelity
    from bbo.pruners.fidelity import Fidelity

    try:
        return Fidelity(f.name, f.low, f.high, f.eta or 3).to_dict()
    except InvalidArgumentError as e:
        raise InvalidArgumentError(str(e).replace("`fidelity.", "`spec.fidelity.")) from None


def pruner_from_pb(s: pb.StudySpec) -> dict[str, Any] | None:
    """The checked pruner spec of ``spec.pruner`` (every option filled in), or None when
    it is unset or empty; InvalidArgumentError naming ``spec.pruner`` and the rule."""
    if not s.HasField("pruner"):
        return None
    d = struct_from_pb(s.pruner, "spec.pruner")
    if not d:
        return None
    from bbo.pruners import make_pruner, pruner_spec

    try:
        return pruner_spec(make_pruner(d))
    except (InvalidArgumentError, TypeError, ValueError) as e:
        msg = str(e)
        if "`pruner." in msg:
            raise InvalidArgumentError(msg.replace("`pruner.", "`spec.pruner.")) from None
        raise InvalidArgumentError(f"`spec.pruner`: {msg}") from None


# ------------------------------------------------------------------------------------- struct


def struct_to_pb(d: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    try:
        s.update(dict(d))
    except (ValueError, TypeError) as e:
        raise InvalidValueError(f"not representable as JSON: {d!r} ({e})") from None
    return s


def struct_from_pb(s: struct_pb2.Struct, where: str = "spec.strategy_options") -> dict[str, Any]:
    """A Struct as a JSON-ready mapping (whole numbers as ints); NaN or infinity, which
    cannot be stored, is INVALID_ARGUMENT naming ``where``."""
    try:
        out = _intify(json_format.MessageToDict(s))
    except ValueError as e:
        raise InvalidArgumentError(
            f"`{where}` must hold only strings, finite numbers, booleans, lists and mappings ({e})"
        ) from None
    return out if isinstance(out, dict) else {}


def _intify(v: Any) -> Any:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, dict):
        return {k: _intify(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_intify(x) for x in v]
    return v


# ------------------------------------------------------------------------------------- trials

STATE_TO_PB = {
    TrialState.RUNNING: pb.TRIAL_STATE_RUNNING,
    TrialState.COMPLETED: pb.TRIAL_STATE_COMPLETED,
    TrialState.FAILED: pb.TRIAL_STATE_FAILED,
    TrialState.INFEASIBLE: pb.TRIAL_STATE_INFEASIBLE,
    TrialState.ABANDONED: pb.TRIAL_STATE_ABANDONED,
    TrialState.PRUNED: pb.TRIAL_STATE_PRUNED,
}
STATE_FROM_PB: dict[int, TrialState] = {int(v): k for k, v in STATE_TO_PB.items()}


def state_from_pb(v: int, where: str) -> TrialState:
    if v not in STATE_FROM_PB:
        raise InvalidArgumentError(
            f"`{where}` must be a TrialState other than UNSPECIFIED, got {v}"
        )
    return STATE_FROM_PB[v]


def trial_to_pb(t: Trial) -> pb.Trial:
    m = pb.Trial(
        id=t.id,
        params={k: scalar_to_pb(v) for k, v in t.params.items()},
        state=STATE_TO_PB[t.state],
        values=t.values,
        samples=list(t.samples or ()),
        metric_samples={k: pb.Replicates(values=v) for k, v in (t.metric_samples or {}).items()},
        reason=t.reason or "",
        attrs=struct_to_pb(t.attrs),
        client_id=t.client_id or "",
        lease_expires_at=t.lease_expires_at or 0.0,
        created_at=t.created_at,
        finished_at=t.finished_at or 0.0,
    )
    if t.value is not None:
        m.value = t.value
    if t.retry_of is not None:
        m.retry_of = t.retry_of
    return m


def trial_from_pb(m: pb.Trial) -> Trial:
    return Trial(
        id=m.id,
        params={k: scalar_from_pb(v, f"trial.params[{k!r}]") for k, v in m.params.items()},
        state=state_from_pb(m.state, "trial.state"),
        values=dict(m.values),
        value=m.value if m.HasField("value") else None,
        samples=tuple(m.samples) if m.samples else None,
        metric_samples=(
            {k: tuple(v.values) for k, v in m.metric_samples.items()} if m.metric_samples else None
        ),
        reason=m.reason or None,
        attrs=struct_from_pb(m.attrs, "trial.attrs"),
        retry_of=m.retry_of if m.HasField("retry_of") else None,
        client_id=m.client_id or None,
        lease_expires_at=m.lease_expires_at or None,
        created_at=m.created_at,
        finished_at=m.finished_at or None,
    )


# ------------------------------------------------------------------------------ queued points


def point_to_pb(params: Mapping[str, Any]) -> pb.Point:
    return pb.Point(params={k: scalar_to_pb(v) for k, v in params.items()})


def point_from_pb(m: pb.Point, where: str) -> dict[str, Any]:
    """The params of a Point (checked against the space by the study that queues it)."""
    return {k: scalar_from_pb(v, f"{where}.params[{k!r}]") for k, v in m.params.items()}


# ------------------------------------------------------------------------------------ reports


def report_to_pb(r: Report) -> pb.TrialReport:
    return pb.TrialReport(
        trial_id=r.trial, step=r.step, value=r.value, reported_at=r.reported_at, seq=r.seq
    )


def report_from_pb(m: pb.TrialReport) -> Report:
    return Report(m.trial_id, m.step, m.value, m.reported_at, m.seq)
