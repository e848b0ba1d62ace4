"""Conditional parameters over gRPC: Parameter.when (field 7) round-trips, a real server
creates the study and asks only active parameters, and bad input is INVALID_ARGUMENT."""

from __future__ import annotations

import grpc
import pytest
from bbo.server.convert import space_from_pb, space_to_pb, spec_from_pb, spec_to_pb

import bbo
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.exceptions import InvalidParamsError, InvalidSpaceError
from bbo.study.spec import StudySpec

PARAMS = {
    "optimizer": bbo.Categorical(["sgd", "adam"]),
    "momentum": bbo.Float(0.0, 1.0, when={"optimizer": ["sgd"]}),
    "nesterov": bbo.Categorical([True, False], when={"optimizer": ["sgd"]}),
    "dampening": bbo.Float(0.0, 0.5, when={"nesterov": [False]}),
    "layers": bbo.Int(1, 3),
    "width": bbo.Ordinal([8, 16], when={"layers": [2, 3], "optimizer": ["adam"]}),
}


def test_when_round_trips_through_the_proto():
    space = bbo.Space(PARAMS)
    msg = space_to_pb(space)
    assert [len(p.when) for p in msg] == [0, 1, 1, 1, 0, 2]
    width = msg[5].when
    assert width[0].parameter == "layers" and [v.int_value for v in width[0].values] == [2, 3]
    assert msg[3].when[0].values[0].bool_value is False
    wire = [pb.Parameter.FromString(p.SerializeToString()) for p in msg]
    assert space_from_pb(wire) == space
    spec = StudySpec.create(PARAMS, seed=1)
    assert spec_from_pb(pb.StudySpec.FromString(spec_to_pb(spec).SerializeToString())) == spec


def test_bad_conditions_on_the_wire_name_the_field():
    good = space_to_pb(bbo.Space(PARAMS))
    twice = pb.Parameter(name="m", float_param=pb.FloatParam(low=0, high=1))
    twice.when.extend([pb.Condition(parameter="optimizer"), pb.Condition(parameter="optimizer")])
    with pytest.raises(InvalidSpaceError, match=r"`spec.space\[6\] \(m\).when\[1\].parameter`"):
        space_from_pb([*good, twice])
    unknown = pb.Parameter(name="m", float_param=pb.FloatParam(low=0, high=1))
    unknown.when.add(parameter="opt").values.add(string_value="sgd")
    with pytest.raises(InvalidSpaceError, match=r"`when.opt` names no parameter"):
        space_from_pb([*good, unknown])


def test_create_study_and_ask_on_a_real_server(client):
    study = client.create_study(PARAMS, strategy="sobol", seed=0, name="cond-remote")
    space = bbo.Space(PARAMS)
    seen = set()
    for _ in range(4):
        for t in study.ask(3):
            assert space.validate(t.params) == t.params
            seen.add(frozenset(t.params))
            study.tell(t, float(t.params["layers"]))
    assert len(seen) >= 3  # several branches of the space
    again = client.get_study("cond-remote")
    assert again.spec.space == space
    with pytest.raises(InvalidParamsError, match="'momentum' is inactive"):
        study.enqueue({"optimizer": "adam", "momentum": 0.5, "layers": 1})


def test_create_study_with_a_cycle_is_invalid_argument(stub):
    a = pb.Parameter(name="a", categorical_param=pb.CategoricalParam())
    a.categorical_param.choices.add(string_value="x")
    a.when.add(parameter="b").values.add(string_value="x")
    b = pb.Parameter(name="b", categorical_param=pb.CategoricalParam())
    b.categorical_param.choices.add(string_value="x")
    b.when.add(parameter="a").values.add(string_value="x")
    req = pb.CreateStudyRequest(name="cond-cycle", spec=pb.StudySpec(space=[a, b]))
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateStudy(req)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "form a cycle (a -> b -> a)" in e.value.details()
