"""Space edits over the wire (issue 18 item 6): the EditSpace RPC on a real ``bbo serve`` on a
loopback port (raw stubs: what a client in any language sees), its errors, the Python
RemoteStudy, and the writer scope it needs."""

from __future__ import annotations

import signal
from pathlib import Path

import grpc
import pytest
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.auth import read_tokens
from bbo.server.edits import space_edit_from_pb, space_edit_to_pb

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.study.storage import SpaceEdit

from .test_lifecycle import _serve

X = pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0))
WIDE = pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=2.0))
N = pb.Parameter(name="n", int_param=pb.IntParam(low=1, high=5))


def _code(fn, *args) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, timeout=30)
    return err.value.code(), err.value.details()


def test_edit_space_through_bbo_serve(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            spec = pb.StudySpec(space=[X], strategy="random", seed=0)
            stub.CreateStudy(pb.CreateStudyRequest(name="e", spec=spec), timeout=30)
            asked = stub.Ask(pb.AskRequest(study="e", count=3, client_id="w"), timeout=30).trials
            for t in asked:
                tell = pb.TellRequest(study="e", trial_id=t.id, value=t.params["x"].double_value)
                stub.Tell(tell, timeout=30)

            # an added parameter without the value old trials had: INVALID_ARGUMENT, nothing stored
            code, msg = _code(stub.EditSpace, pb.EditSpaceRequest(study="e", space=[WIDE, N]))
            assert code == grpc.StatusCode.INVALID_ARGUMENT and "`defaults.n`" in msg
            code, msg = _code(stub.EditSpace, pb.EditSpaceRequest(study="nope", space=[WIDE]))
            assert code == grpc.StatusCode.NOT_FOUND
            got = stub.GetStudy(pb.GetStudyRequest(name="e"), timeout=30)
            assert got.spec.space[0].float_param.high == 1.0 and len(got.spec.space) == 1

            req = pb.EditSpaceRequest(
                study="e", space=[WIDE, N], defaults={"n": pb.Scalar(int_value=2)}
            )
            res = stub.EditSpace(req, timeout=30)
            assert res.edited and res.edit.id >= 1 and res.study.trial_count == 3
            assert res.edit.changes[0] == "x: [0.0, 1.0] -> [0.0, 2.0] (widened)"
            assert res.edit.defaults["n"].int_value == 2
            assert [p.name for p in res.study.spec.space] == ["x", "n"]
            again = stub.EditSpace(req, timeout=30)  # a retry: nothing more
            assert not again.edited and not again.HasField("edit")
            (t,) = stub.Ask(pb.AskRequest(study="e", client_id="w2"), timeout=30).trials
            assert set(t.params) == {"x", "n"} and 1 <= t.params["n"].int_value <= 5
            # a queued point outside the new space blocks narrowing: FAILED_PRECONDITION
            point = pb.Point(params={"x": pb.Scalar(double_value=1.5), "n": pb.Scalar(int_value=1)})
            stub.Enqueue(pb.EnqueueRequest(study="e", points=[point]), timeout=30)
            code, msg = _code(stub.EditSpace, pb.EditSpaceRequest(study="e", space=[X, N]))
            assert code == grpc.StatusCode.FAILED_PRECONDITION and "queued point" in msg
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    study = bbo.Study.load("e", url)  # stored durably, with its history
    assert len(study.trials) == 4 and [len(e.changes) for e in study.space_edits] == [2]


def test_the_python_client_edits_like_a_local_study(client):
    study = client.create_study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=0, name="ed")
    for t in study.ask(3):
        study.tell(t, t.params["x"])
    with pytest.raises(ex.InvalidArgumentError, match="type cannot change"):
        study.edit_space({"x": bbo.Int(0, 1)})
    edit = study.edit_space({"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 5)}, defaults={"n": 4})
    assert edit is not None and edit.defaults == {"n": 4} and "n" in study.space
    assert study.edit_space({"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 5)}) is None
    assert set(study.ask().params) == {"x", "n"}


def test_space_edit_round_trips_on_the_wire():
    e = SpaceEdit({}, {}, {"n": 4, "act": "relu"}, ("added n", "added act"), 7, 12.5)
    assert space_edit_from_pb(space_edit_to_pb(e)) == e


def test_edit_space_needs_writer_access(tmp_path: Path):
    writer_token, reader_token = "writer-token-0123456789", "reader-token-0123456789"
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{writer_token} writer team/*\n{reader_token} reader team/*\n")
    with (
        ServerThread("memory://", ServerConfig(tokens=read_tokens(tokens))) as srv,
        bbo.connect(srv.target, token=writer_token) as w,
        bbo.connect(srv.target, token=reader_token) as r,
    ):
        w.create_study({"x": bbo.Float(0.0, 1.0)}, name="team/e", strategy="random")
        with pytest.raises(ex.PermissionDeniedError, match="EditSpace needs writer access"):
            r.get_study("team/e").edit_space({"x": bbo.Float(0.0, 2.0)})
        assert r.get_study("team/e").space == bbo.Space({"x": bbo.Float(0.0, 1.0)})
        assert w.get_study("team/e").edit_space({"x": bbo.Float(0.0, 2.0)}) is not None
