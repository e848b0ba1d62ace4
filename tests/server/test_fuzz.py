"""Malformed and hostile requests never crash the server and always get a mapped status.

Raw random bytes (undecodable messages) and random well-formed messages with hostile field
values (NaN, inf, negative counts, huge ids, odd strings) go to every method of a real
in-process server; the status is OK or one of the mapped codes, never UNKNOWN, and the
server still serves afterwards. A hypothesis run with a fixed seed: deterministic.
"""

from __future__ import annotations

import math

import grpc
import pytest
from bbo.server.app import SERVICE_NAME, ServerConfig, ServerThread
from bbo.server.service import Limits
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import bbo
from bbo.api.v1 import optimizer_pb2 as pb

MAPPED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
}
METHODS = list(pb.DESCRIPTOR.services_by_name["Optimizer"].methods_by_name)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture(scope="module")
def target():
    with ServerThread("memory://", ServerConfig(limits=Limits(max_ask=8, max_samples=50))) as srv:
        with bbo.connect(srv.target) as c:
            study = c.create_study(
                bbo.Space({"x": bbo.Float(0.0, 1.0), "c": bbo.Categorical(["a", "b"])}),
                name="fz",
                strategy="random",
                seed=0,
            )
            study.ask(3)
        yield srv


@pytest.fixture(scope="module")
def channel(target):
    with grpc.insecure_channel(target.target) as ch:
        yield ch


def _call(channel, method: str, payload: bytes) -> grpc.StatusCode:
    fn = channel.unary_unary(f"/{SERVICE_NAME}/{method}")  # bytes in, bytes out
    try:
        fn(payload, timeout=10)
    except grpc.RpcError as e:
        return e.code()
    return grpc.StatusCode.OK


@seed(4)
@FUZZ
@given(method=st.sampled_from(METHODS), payload=st.binary(max_size=200))
def test_random_bytes_get_a_status(channel, method, payload):
    code = _call(channel, method, payload)
    assert code in MAPPED, code  # undecodable: INVALID_ARGUMENT, not grpc's own UNKNOWN


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 1.0, -1.0])
studies = st.sampled_from(["fz", "", "nope"]) | text
scalars = st.builds(pb.Scalar, string_value=text) | st.builds(pb.Scalar, double_value=floats)

requests = st.one_of(
    st.builds(
        pb.AskRequest,
        study=studies,
        count=st.integers(-5, 20),
        client_id=text,
        lease_seconds=floats,
    ),
    st.builds(
        pb.TellRequest,
        study=studies,
        trial_id=st.integers(-(2**63), 2**63 - 1) | st.integers(-2, 6),
        request_id=text,
        values=st.dictionaries(text, floats, max_size=4),
        samples=st.lists(floats, max_size=60),
        failed=st.booleans(),
        infeasible=st.booleans(),
        reason=text,
        pruned=st.booleans(),
    ),
    st.builds(
        pb.ReportRequest,
        study=studies,
        trial_id=st.integers(-(2**63), 2**63 - 1) | st.integers(-2, 6),
        step=st.integers(-(2**63), 2**63 - 1) | st.integers(-2, 6),
        value=floats,
        request_id=text,
    ),
    st.builds(
        pb.HeartbeatRequest,
        study=studies,
        trial_ids=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=5),
        lease_seconds=floats,
    ),
    st.builds(
        pb.ListTrialsRequest,
        study=studies,
        page_size=st.integers(-3, 20_000),
        page_token=text,
        states=st.lists(st.integers(0, 9), max_size=3),
    ),
    st.builds(pb.GetBestRequest, study=studies),
    st.builds(
        pb.EnqueueRequest,
        study=studies,
        points=st.lists(
            st.builds(
                pb.Point,
                params=st.dictionaries(st.sampled_from(["x", "c"]) | text, scalars, max_size=3),
            ),
            max_size=3,
        ),
        skip_if_exists=st.booleans(),
    ),
    st.builds(
        pb.CreateStudyRequest,
        name=text,
        spec=st.builds(
            pb.StudySpec,
            space=st.lists(
                st.builds(
                    pb.Parameter,
                    name=text,
                    float_param=st.builds(pb.FloatParam, low=floats, high=floats),
                )
                | st.builds(
                    pb.Parameter,
                    name=text,
                    categorical_param=st.builds(
                        pb.CategoricalParam, choices=st.lists(scalars, max_size=3)
                    ),
                )
                | st.builds(pb.Parameter, name=text),
                max_size=3,
            ),
            objectives=st.lists(
                st.builds(pb.Objective, name=text, direction=st.integers(0, 5)), max_size=2
            ),
            strategy=st.sampled_from(["", "random", "magic"]),
            pruner=st.sampled_from([{}, {"name": "median"}, {"name": "asha", "x": 1}])
            | st.dictionaries(text, floats, max_size=3),
        ),
    ),
)


@seed(5)
@FUZZ
@given(request=requests)
def test_hostile_messages_get_a_mapped_status(channel, request):
    method = {
        pb.AskRequest: "Ask",
        pb.TellRequest: "Tell",
        pb.ReportRequest: "Report",
        pb.HeartbeatRequest: "Heartbeat",
        pb.ListTrialsRequest: "ListTrials",
        pb.GetBestRequest: "GetBest",
        pb.CreateStudyRequest: "CreateStudy",
        pb.EnqueueRequest: "Enqueue",
    }[type(request)]
    code = _call(channel, method, request.SerializeToString())
    assert code in MAPPED, (code, request)


def test_the_server_still_serves_and_stored_nothing_invalid(target, channel):
    with bbo.connect(target.target) as c:
        s = c.get_study("fz")
        assert s.tell(s.ask(), 0.5).value == 0.5
        for t in s.trials:
            assert all(math.isfinite(v) for v in t.values.values())
            assert all(math.isfinite(v) for v in t.samples or ())
