"""Objective statistics over the wire (issue 20): the StudySpec's Statistic, replicate
tells of a statistic study, and bad input, on a real server on a loopback port (raw stubs:
what a client in any language sees; and the Python client)."""

from __future__ import annotations

import uuid

import grpc
import numpy as np
import pytest
from bbo.server.convert import spec_from_pb, spec_to_pb

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.statistics import Statistic
from bbo.study.spec import StudySpec

SPACE = [pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0))]
Y = [float(v) for v in range(10)]


def _name() -> str:
    return f"stat-{uuid.uuid4().hex[:8]}"


def _code(fn, request) -> tuple[grpc.StatusCode, str]:
    try:
        fn(request)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


def test_spec_round_trips_with_a_statistic_and_a_mean_spec_sets_none():
    spec = StudySpec.create({"x": bbo.Float(0.0, 1.0)}, "maximize", statistic="cvar(0.9)")
    msg = spec_to_pb(spec)
    assert msg.objectives[0].statistic == pb.Statistic(name="cvar", param=0.9)
    assert spec_from_pb(msg) == spec
    plain = spec_to_pb(StudySpec.create({"x": bbo.Float(0.0, 1.0)}))
    assert not plain.objectives[0].HasField("statistic")


def test_raw_stub_creates_a_cvar_study_and_tells_replicates(stub):
    name = _name()
    objective = pb.Objective(
        name="loss",
        direction=pb.DIRECTION_MINIMIZE,
        statistic=pb.Statistic(name="cvar", param=0.9),
    )
    spec = pb.StudySpec(space=SPACE, objectives=[objective], strategy="random", seed=0)
    stub.CreateStudy(pb.CreateStudyRequest(name=name, spec=spec))
    got = stub.GetStudy(pb.GetStudyRequest(name=name)).spec
    assert got.objectives[0].statistic == pb.Statistic(name="cvar", param=0.9)
    (t,) = stub.Ask(pb.AskRequest(study=name)).trials
    told = stub.Tell(pb.TellRequest(study=name, trial_id=t.id, samples=Y)).trial
    assert told.value == pytest.approx(9.0) and list(told.samples) == Y
    (u,) = stub.Ask(pb.AskRequest(study=name)).trials
    code, msg = _code(stub.Tell, pb.TellRequest(study=name, trial_id=u.id, value=1.0))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "cvar(0.9)" in msg and "at least 10 replicates" in msg
    code, msg = _code(stub.Tell, pb.TellRequest(study=name, trial_id=u.id, samples=[1.0, 2.0]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "got 2" in msg


@pytest.mark.parametrize(
    "statistic, words",
    [
        (pb.Statistic(name="cvar", param=1.5), ["spec.objectives[0].statistic", "(0, 1)"]),
        (pb.Statistic(name="cvar"), ["spec.objectives[0].statistic", "needs `alpha`"]),
        (pb.Statistic(name="var"), ["spec.objectives[0].statistic", "must be one of"]),
    ],
)
def test_bad_statistic_is_invalid_argument_naming_the_field(stub, statistic, words):
    objective = pb.Objective(name="loss", statistic=statistic)
    spec = pb.StudySpec(space=SPACE, objectives=[objective])
    code, msg = _code(stub.CreateStudy, pb.CreateStudyRequest(name=_name(), spec=spec))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    for w in words:
        assert w in msg


def test_python_client_statistic_study(client):
    study = client.create_study(
        {"x": bbo.Float(0.0, 1.0)}, "maximize", strategy="random", seed=0, statistic="p10"
    )
    assert study.objectives[0].statistic == Statistic("quantile", 0.1)
    t = study.tell(study.ask(), samples=Y)
    assert t.value == pytest.approx(np.quantile(Y, 0.1))
    est = study.estimate(t.id)
    assert est is not None and est.low <= t.value <= est.high
    with pytest.raises(ex.InvalidValueError, match="at least 10 replicates"):
        study.tell(study.ask(), samples=[1.0])
    # reopened by name: the stored statistic
    assert client.get_study(study.name).objectives[0].statistic == Statistic("quantile", 0.1)


def test_metric_samples_over_the_wire_with_a_constraint_statistic(stub, client):
    name = _name()
    spec = pb.StudySpec(
        space=SPACE,
        objectives=[pb.Objective(name="loss", statistic=pb.Statistic(name="cvar", param=0.8))],
        constraints=[
            pb.Constraint(
                metric="lat",
                op=pb.COMPARISON_OP_LESS_EQUAL,
                bound=5.0,
                statistic=pb.Statistic(name="quantile", param=0.9),
            )
        ],
        strategy="random",
        seed=0,
    )
    stub.CreateStudy(pb.CreateStudyRequest(name=name, spec=spec))
    (t,) = stub.Ask(pb.AskRequest(study=name)).trials
    req = pb.TellRequest(study=name, trial_id=t.id)
    req.metric_samples["loss"].values.extend(Y)
    req.metric_samples["lat"].values.extend([1.0] * 10)
    told = stub.Tell(req).trial
    assert told.values["loss"] == pytest.approx(8.5) and told.values["lat"] == 1.0
    assert list(told.metric_samples["lat"].values) == [1.0] * 10 and not told.samples
    (u,) = stub.Ask(pb.AskRequest(study=name)).trials
    bad = pb.TellRequest(study=name, trial_id=u.id)
    bad.metric_samples["loss"].values.extend(Y)
    bad.metric_samples["lat"].values.extend([1.0, 2.0])
    code, msg = _code(stub.Tell, bad)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "constraint 'lat'" in msg and "at least 10" in msg
    both = pb.TellRequest(study=name, trial_id=u.id, samples=[1.0])
    both.metric_samples["loss"].values.extend(Y)
    code, msg = _code(stub.Tell, both)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "`metric_samples`" in msg
    # the Python client sends and reads them back
    remote = client.get_study(name)
    v = remote.tell(remote.ask(), samples={"loss": Y, "lat": [9.0] * 10})
    assert v.metric_samples == {"loss": tuple(Y), "lat": (9.0,) * 10}
    assert v.values["lat"] == 9.0 and not v.feasible(remote.constraints)
