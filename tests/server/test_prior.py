"""Priors on the optimum over gRPC: Parameter.prior (field 6) round-trips, a study created
remotely keeps them, and bad ones are INVALID_ARGUMENT naming the field and the rule."""

from __future__ import annotations

import grpc
import pytest
from bbo.server.convert import space_from_pb, space_to_pb, spec_from_pb, spec_to_pb

import bbo
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.study.spec import StudySpec

PARAMS = {
    "lr": bbo.Float(1e-5, 1e-1, log=True, prior=bbo.Prior(mean=1e-3, sd=0.5)),
    "n": bbo.Int(1, 8, prior={"mean": 3, "sd": 2}),
    "act": bbo.Categorical(["relu", "tanh", True, 2], prior={"choice": True, "weight": 0.7}),
    "w": bbo.Ordinal([16, 32, 64], prior={"probs": [0.2, 0.3, 0.5]}),
    "c": bbo.Categorical(["a", "b"], prior={"choice": "b"}),
    "free": bbo.Float(0.0, 1.0),
}


def test_priors_round_trip_through_the_proto():
    spec = StudySpec.create(PARAMS, seed=1)
    msg = pb.StudySpec.FromString(spec_to_pb(spec).SerializeToString())
    assert spec_from_pb(msg) == spec
    by_name = {p.name: p for p in msg.space}
    assert by_name["lr"].prior.mean == 1e-3 and by_name["lr"].prior.sd == 0.5
    assert by_name["act"].prior.choice.bool_value is True
    assert list(by_name["w"].prior.probs) == [0.2, 0.3, 0.5]
    assert not by_name["free"].HasField("prior")
    assert not by_name["c"].prior.HasField("weight")


@pytest.mark.parametrize(
    ("prior", "rule"),
    [
        (pb.ParameterPrior(mean=5.0, sd=0.1), "low <= prior.mean <= high"),
        (pb.ParameterPrior(mean=0.5, sd=0.0), "prior.sd > 0"),
        (pb.ParameterPrior(mean=0.5), "both `mean` and `sd`"),
        (pb.ParameterPrior(probs=[0.5, 0.5]), "`prior` takes `mean` and `sd`"),
    ],
)
def test_bad_priors_are_refused_by_the_conversion(prior, rule):
    p = pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0), prior=prior)
    with pytest.raises(bbo.InvalidSpaceError, match="parameter 'x'") as e:
        space_from_pb([p])
    assert rule in str(e.value)


def test_create_study_with_priors_on_a_real_server(client):
    study = client.create_study(PARAMS, strategy="random", seed=0, name="prior-remote")
    assert study.spec.space == bbo.Space(PARAMS)
    assert client.get_study("prior-remote").spec.space["lr"].prior == PARAMS["lr"].prior
    sources = [t.attrs["source"] for t in study.ask(4)]
    assert sources == ["prior", "random", "prior", "random"]


def test_bad_prior_is_invalid_argument_naming_the_field(stub):
    space = space_to_pb(bbo.Space({"c": bbo.Categorical(["a", "b"])}))
    space[0].prior.CopyFrom(pb.ParameterPrior(probs=[0.7, 0.7]))
    req = pb.CreateStudyRequest(name="prior-raw", spec=pb.StudySpec(space=space))
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateStudy(req)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "prior.probs" in e.value.details() and "sum to 1" in e.value.details()
