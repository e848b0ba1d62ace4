"""Queued points over the wire (issue 18): the Enqueue RPC on a real server on a loopback
port (raw stubs: what a client in any language sees), the Python RemoteStudy, scopes, and a
queue that survives a server restart."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import grpc
import pytest
from bbo.client import RemoteStudy
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.auth import read_tokens
from google.protobuf import struct_pb2

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.study.like import StudyLike

from .test_lifecycle import _serve

SPACE = [
    pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0)),
    pb.Parameter(name="n", int_param=pb.IntParam(low=1, high=5)),
]


def _point(x: float, n: int) -> pb.Point:
    return pb.Point(params={"x": pb.Scalar(double_value=x), "n": pb.Scalar(int_value=n)})


def _study(stub) -> str:
    name = f"q-{uuid.uuid4().hex[:8]}"
    spec = pb.StudySpec(space=SPACE, strategy="random", seed=0)
    stub.CreateStudy(pb.CreateStudyRequest(name=name, spec=spec))
    return name


def test_enqueued_points_are_asked_first_in_order(stub):
    name = _study(stub)
    res = stub.Enqueue(pb.EnqueueRequest(study=name, points=[_point(0.5, 2), _point(0.25, 3)]))
    assert (res.added, res.queued_count) == (2, 2)
    assert stub.GetStudy(pb.GetStudyRequest(name=name)).queued_count == 2
    asked = stub.Ask(pb.AskRequest(study=name, count=3, client_id="w")).trials
    got = [(t.params["x"].double_value, t.params["n"].int_value) for t in asked[:2]]
    assert got == [(0.5, 2), (0.25, 3)]
    sources = [t.attrs.fields["source"].string_value for t in asked]
    assert sources == ["enqueued", "enqueued", "random"]
    assert stub.GetStudy(pb.GetStudyRequest(name=name)).queued_count == 0


def test_skip_if_exists_makes_a_retried_enqueue_apply_once(stub):
    name = _study(stub)
    req = pb.EnqueueRequest(study=name, points=[_point(0.5, 2)], skip_if_exists=True)
    assert stub.Enqueue(req).added == 1
    again = stub.Enqueue(req)
    assert (again.added, again.queued_count) == (0, 1)
    attrs = struct_pb2.Struct()
    attrs.update({"why": "baseline"})
    stub.Enqueue(pb.EnqueueRequest(study=name, points=[_point(0.75, 1)], attrs=attrs))
    trials = stub.Ask(pb.AskRequest(study=name, count=2, client_id="w")).trials
    assert trials[1].attrs.fields["why"].string_value == "baseline"


def test_a_retried_request_id_queues_once_even_after_the_points_were_asked(stub):
    name = _study(stub)
    req = pb.EnqueueRequest(study=name, points=[_point(0.5, 2), _point(0.5, 2)], request_id="r1")
    assert (stub.Enqueue(req).added, stub.Enqueue(req).added) == (2, 2)  # the first answer
    assert stub.GetStudy(pb.GetStudyRequest(name=name)).queued_count == 2
    asked = stub.Ask(pb.AskRequest(study=name, count=2, client_id="w")).trials
    assert [t.attrs.fields["enqueue_request_id"].string_value for t in asked] == ["r1", "r1"]
    again = stub.Enqueue(req)  # handed out since: still not queued again
    assert (again.added, again.queued_count) == (2, 0)
    other = stub.Enqueue(pb.EnqueueRequest(study=name, points=[_point(0.5, 2)], request_id="r2"))
    assert (other.added, other.queued_count) == (1, 1)
    plain = pb.EnqueueRequest(study=name, points=[_point(0.5, 2)])  # no id: queued each time
    assert stub.Enqueue(plain).added == stub.Enqueue(plain).added == 1
    assert stub.GetStudy(pb.GetStudyRequest(name=name)).queued_count == 3


def test_the_python_client_sends_one_request_id_for_the_retries(client, monkeypatch):
    study = client.create_study(
        {"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 5)}, strategy="random", seed=0, name="q-rid"
    )
    sent: list[str] = []
    call = study.client.call

    def lost_answer(method, req, *a, **kw):  # the first answer is lost: the call is retried
        if method == "Enqueue":
            sent.append(req.request_id)
            call(method, req, *a, **kw)
            sent.append(req.request_id)
        return call(method, req, *a, **kw)

    monkeypatch.setattr(study.client, "call", lost_answer)
    assert study.enqueue([{"x": 0.5, "n": 2}, {"x": 0.25, "n": 3}]) == 2
    assert study.queued_count == 2  # not 4
    assert len(sent[0]) == 32 and sent == [sent[0]] * 2
    assert study.enqueue({"x": 0.75, "n": 1}) == 1 and study.queued_count == 3  # a new id
    assert len(set(sent)) == 2


@pytest.mark.parametrize(
    ("point", "code", "words"),
    [
        (_point(1.5, 2), "INVALID_ARGUMENT", "parameter 'x': value 1.5 is outside [0.0, 1.0]"),
        (
            pb.Point(params={"x": pb.Scalar(double_value=0.5)}),
            "INVALID_ARGUMENT",
            "missing parameter(s) ['n']",
        ),
        (
            pb.Point(params={"x": pb.Scalar(double_value=0.5), "n": pb.Scalar(string_value="a")}),
            "INVALID_ARGUMENT",
            "parameter 'n': value 'a' must be an integer",
        ),
        (
            pb.Point(params={"x": pb.Scalar(double_value=0.5), "n": pb.Scalar()}),
            "INVALID_ARGUMENT",
            "`points[1].params['n']`: a Scalar must set one of its values",
        ),
    ],
)
def test_a_bad_point_is_invalid_argument_and_nothing_is_queued(stub, point, code, words):
    name = _study(stub)
    stub.Enqueue(pb.EnqueueRequest(study=name, points=[_point(0.1, 1)]))
    with pytest.raises(grpc.RpcError) as err:
        stub.Enqueue(pb.EnqueueRequest(study=name, points=[_point(0.2, 1), point]))
    assert err.value.code() == getattr(grpc.StatusCode, code)
    assert words in err.value.details()
    assert stub.GetStudy(pb.GetStudyRequest(name=name)).queued_count == 1


def test_an_empty_or_unknown_enqueue_is_refused(stub):
    name = _study(stub)
    with pytest.raises(grpc.RpcError) as err:
        stub.Enqueue(pb.EnqueueRequest(study=name))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "`points` must hold at least one point" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        stub.Enqueue(pb.EnqueueRequest(study="no-such-study", points=[_point(0.1, 1)]))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_python_client_enqueues_like_a_local_study(client):
    study = client.create_study(
        {"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 5)}, strategy="random", seed=0, name="q-py"
    )
    assert isinstance(study, RemoteStudy) and StudyLike in RemoteStudy.__mro__
    assert study.enqueue([{"x": 0.5, "n": 2}, {"x": 0.25, "n": 3}]) == 2
    assert study.enqueue({"x": 0.5, "n": 2}, skip_if_exists=True) == 0
    assert study.queued_count == 2
    with pytest.raises(ex.InvalidParamsError, match="parameter 'n': value 9 is outside"):
        study.enqueue({"x": 0.5, "n": 9})  # checked before the round trip
    first, second = study.ask(2)
    assert first.params == {"x": 0.5, "n": 2} and second.params == {"x": 0.25, "n": 3}
    assert first.attrs["source"] == "enqueued" and study.queued_count == 0
    study.tell(first, 0.1)


def test_enqueue_needs_the_scope_of_a_tell(tmp_path: Path):
    writer_token, reader_token = "writer-token-0123456789", "reader-token-0123456789"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{writer_token} writer team/*\n{reader_token} reader team/*\n")
    with (
        ServerThread("memory://", ServerConfig(tokens=read_tokens(tokens))) as srv,
        bbo.connect(srv.target, token=writer_token) as w,
        bbo.connect(srv.target, token=reader_token) as r,
    ):
        study = w.create_study({"x": bbo.Float(0.0, 1.0)}, name="team/q", strategy="random")
        assert study.enqueue({"x": 0.5}) == 1
        with pytest.raises(ex.PermissionDeniedError, match="Enqueue needs writer access"):
            r.get_study("team/q").enqueue({"x": 0.25})
        assert r.get_study("team/q").queued_count == 1


def test_the_queue_survives_a_server_restart(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    spec = pb.StudySpec(space=SPACE, strategy="random", seed=0)
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            stub.CreateStudy(pb.CreateStudyRequest(name="r", spec=spec), timeout=30)
            points = [_point(0.5, 2), _point(0.75, 4)]
            req = pb.EnqueueRequest(study="r", points=points, request_id="before-restart")
            stub.Enqueue(req, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            assert stub.Enqueue(req, timeout=30).added == 2  # a retry across the restart
            assert stub.GetStudy(pb.GetStudyRequest(name="r"), timeout=30).queued_count == 2
            trials = stub.Ask(pb.AskRequest(study="r", count=2, client_id="w"), timeout=30).trials
            assert [t.params["x"].double_value for t in trials] == [0.5, 0.75]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


# ------------------------------------------------------------------ prior studies (warm start)
def test_create_study_carries_prior_studies_and_refuses_unknown_ones(client, stub):
    space = {"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 5)}
    src = client.create_study(space, strategy="sobol", seed=0, name="ws-src")
    for _ in range(6):
        t = src.ask()
        src.tell(t, (t.params["x"] - 0.3) ** 2 + t.params["n"])
    study = client.create_study(
        space, strategy="gp", seed=0, name="ws-new", prior_studies=["ws-src"]
    )
    assert study.spec.prior_studies == ("ws-src",)
    msg = stub.GetStudy(pb.GetStudyRequest(name="ws-new"))
    assert list(msg.spec.prior_studies) == ["ws-src"]
    first = study.ask()
    assert first.attrs["source"] == "prior"  # the prior GP's best predicted point
    with pytest.raises(ex.InvalidArgumentError, match="`prior_studies`: no study named 'nope'"):
        client.create_study(space, name="ws-bad", prior_studies=["nope"])
    spec = pb.StudySpec(space=SPACE, prior_studies=["ws-src", "ws-src"])
    with pytest.raises(grpc.RpcError) as err:
        stub.CreateStudy(pb.CreateStudyRequest(name="ws-dup", spec=spec))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "`prior_studies` must name each study once" in err.value.details()
    assert "ws-bad" not in client.list_studies() and "ws-dup" not in client.list_studies()
