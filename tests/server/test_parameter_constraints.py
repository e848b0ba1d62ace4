"""Linear parameter constraints over gRPC: CreateStudy carries them (StudySpec field 10),
asks honour them, enqueued points are held to them, and bad ones are INVALID_ARGUMENT."""

from __future__ import annotations

import grpc
import pytest
from bbo.server.convert import spec_from_pb, spec_to_pb

import bbo
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidParamsError, InvalidSpaceError
from bbo.study.spec import StudySpec

PARAMS = {"x": bbo.Float(0.0, 10.0), "n": bbo.Int(1, 20), "lr": bbo.Float(1e-3, 1.0, log=True)}
RULES = ["x + n <= 12", "x - 5*lr >= 0.5"]


def test_spec_round_trips_through_the_proto():
    spec = StudySpec.create(PARAMS, parameter_constraints=RULES, seed=1)
    msg = spec_to_pb(spec)
    assert list(msg.parameter_constraints) == RULES
    assert spec_from_pb(pb.StudySpec.FromString(msg.SerializeToString())) == spec
    assert list(spec_to_pb(StudySpec.create(PARAMS)).parameter_constraints) == []


def test_create_study_with_constraints_on_a_real_server(client):
    study = client.create_study(
        PARAMS, strategy="sobol", seed=0, name="pc-remote", parameter_constraints=RULES
    )
    assert study.spec.space.constraint_texts == tuple(RULES)
    for _ in range(3):
        for t in study.ask(3):
            p = t.params
            assert p["x"] + p["n"] <= 12 and p["x"] - 5 * p["lr"] >= 0.5
            study.tell(t, p["x"])
    again = client.get_study("pc-remote")
    assert again.spec.space.constraint_texts == tuple(RULES)
    with pytest.raises(InvalidParamsError, match=r"'x \+ n <= 12' does not hold"):
        study.enqueue({"x": 9.0, "n": 9, "lr": 0.01})
    with pytest.raises(InvalidSpaceError, match="cannot all hold"):
        client.create_study(PARAMS, name="pc-bad", parameter_constraints=["x + n <= 0.5"])


def test_bad_constraints_are_invalid_argument_naming_the_field(stub):
    space = spec_to_pb(StudySpec.create(PARAMS)).space
    for rule, text in [("non-linear term", "x*n <= 3"), ("unknown parameter", "y <= 3")]:
        req = pb.CreateStudyRequest(
            name="pc-raw", spec=pb.StudySpec(space=space, parameter_constraints=[text])
        )
        with pytest.raises(grpc.RpcError) as e:
            stub.CreateStudy(req)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "spec.parameter_constraints" in e.value.details()
        assert rule in e.value.details()


def test_an_overlong_constraint_is_resource_exhausted(stub):
    space = spec_to_pb(StudySpec.create(PARAMS)).space
    text = " + ".join(["x"] * 2000) + " <= 1"
    req = pb.CreateStudyRequest(
        name="pc-long", spec=pb.StudySpec(space=space, parameter_constraints=[text])
    )
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateStudy(req)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "spec.parameter_constraints[0]" in e.value.details()
