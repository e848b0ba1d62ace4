"""Intermediate values over the wire (issue 17): the Report RPC, the pruner of a StudySpec,
Tell ``pruned``, and the Python client's ``report``/``should_prune`` on a real server on a
loopback port (the raw stubs are what a client in any language sees)."""

from __future__ import annotations

import math
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
from bbo.pruners import ThresholdPruner
from bbo.study.like import StudyLike

from .test_lifecycle import _serve

SPACE = [pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0))]
THRESHOLD = {"name": "threshold", "upper": 1.0}  # prunes a report above 1.0


def _struct(d: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(d)
    return s


def _study(stub, pruner: dict | None = THRESHOLD) -> str:
    name = f"rep-{uuid.uuid4().hex[:8]}"
    spec = pb.StudySpec(space=SPACE, strategy="random", seed=0)
    if pruner is not None:
        spec.pruner.CopyFrom(_struct(pruner))
    stub.CreateStudy(pb.CreateStudyRequest(name=name, spec=spec))
    return name


def _ask(stub, study: str) -> pb.Trial:
    (trial,) = stub.Ask(pb.AskRequest(study=study)).trials
    return trial


def _code(stub, method: str, request) -> tuple[grpc.StatusCode, str]:
    try:
        getattr(stub, method)(request)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


def test_report_answers_the_pruner_of_the_study_spec(stub):
    study = _study(stub)
    spec = stub.GetStudy(pb.GetStudyRequest(name=study)).spec
    assert spec.pruner["name"] == "threshold" and spec.pruner["upper"] == 1.0  # every option
    assert spec.pruner["n_warmup_steps"] == 0
    t = _ask(stub, study)
    res = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=0, value=0.5))
    assert not res.should_prune
    assert (res.report.trial_id, res.report.step, res.report.value) == (t.id, 0, 0.5)
    res = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=2, value=3.0))
    assert res.should_prune and res.report.seq > 0 and res.report.reported_at > 0


def test_without_a_pruner_reports_are_stored_and_never_prune(stub):
    study = _study(stub, pruner=None)
    assert not stub.GetStudy(pb.GetStudyRequest(name=study)).spec.HasField("pruner")
    t = _ask(stub, study)
    for step, value in enumerate([5.0, 50.0, 500.0]):
        res = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=step, value=value))
        assert not res.should_prune
    told = stub.Tell(pb.TellRequest(study=study, trial_id=t.id, pruned=True, reason="mine"))
    assert told.trial.state == pb.TRIAL_STATE_PRUNED and told.trial.value == 500.0
    assert told.trial.values == {"value": 500.0} and told.trial.reason == "mine"


def test_a_retried_report_gets_the_stored_report_back(stub):
    study = _study(stub)
    t = _ask(stub, study)
    req = pb.ReportRequest(study=study, trial_id=t.id, step=4, value=2.5, request_id="r-1")
    first = stub.Report(req)
    again = stub.Report(req)  # a retry: the same request id and content
    other_id = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=4, value=2.5))
    assert first == again == other_id and first.should_prune
    stub.Tell(pb.TellRequest(study=study, trial_id=t.id, pruned=True, request_id="t-1"))
    assert stub.Report(req).report == first.report  # even after the trial finished
    stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=4, value=2.5))


def test_a_pruned_tell_keeps_the_last_report_and_its_retry_is_idempotent(stub):
    study = _study(stub)
    t = _ask(stub, study)
    for step, value in [(1, 0.9), (3, 0.7), (5, 0.6)]:
        stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=step, value=value))
    tell = pb.TellRequest(study=study, trial_id=t.id, pruned=True, request_id="p")
    first = stub.Tell(tell)
    assert first.trial.state == pb.TRIAL_STATE_PRUNED and first.trial.value == 0.6
    assert stub.Tell(tell) == first
    # pruned without a report: PRUNED without a value
    u = _ask(stub, study)
    told = stub.Tell(pb.TellRequest(study=study, trial_id=u.id, pruned=True)).trial
    assert told.state == pb.TRIAL_STATE_PRUNED and not told.HasField("value")
    listed = stub.ListTrials(pb.ListTrialsRequest(study=study, states=[pb.TRIAL_STATE_PRUNED]))
    assert [x.id for x in listed.trials] == [t.id, u.id]


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"step": 1, "value": math.nan}, "INVALID_ARGUMENT", "finite"),
        ({"step": 1, "value": math.inf}, "INVALID_ARGUMENT", "finite"),
        ({"step": 1, "value": -math.inf}, "INVALID_ARGUMENT", "finite"),
        ({"step": -1, "value": 1.0}, "INVALID_ARGUMENT", "`step` must be an integer >= 0"),
        ({"value": 1.0}, "INVALID_ARGUMENT", "`step` must be set"),
        ({"step": 1}, "INVALID_ARGUMENT", "`value` must be set"),
        ({"step": 1, "value": 1.0, "trial_id": None}, "INVALID_ARGUMENT", "`trial_id` must be"),
        ({"step": 3, "value": 0.5}, "FAILED_PRECONDITION", "must not go backwards"),
        ({"step": 5, "value": 0.7}, "FAILED_PRECONDITION", "different value"),
        ({"step": 1, "value": 1.0, "trial_id": 10**6}, "NOT_FOUND", "no trial 1000000"),
        ({"step": 1, "value": 1.0, "trial_id": -1}, "NOT_FOUND", "no trial -1"),
        ({"step": 1, "value": 1.0, "study": "no-such-study"}, "NOT_FOUND", "no-such-study"),
        ({"step": 1, "value": 1.0, "study": ""}, "INVALID_ARGUMENT", "`study`"),
        ({"step": 9, "value": 1.0, "request_id": "r" * 5000}, "RESOURCE_EXHAUSTED", "request_id"),
    ],
)
def test_bad_reports_get_their_status_and_change_nothing(stub, fields, code, words):
    study = _study(stub)
    t = _ask(stub, study)
    stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=5, value=0.6))
    req = pb.ReportRequest(study=study, trial_id=t.id)
    for k, v in fields.items():
        if v is None:
            req.ClearField(k)
        else:
            setattr(req, k, v)
    got, details = _code(stub, "Report", req)
    assert got.name == code and words in details, details
    res = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=6, value=0.5))
    assert res.report.step == 6  # the trial still takes reports


def test_reports_of_a_finished_trial_are_failed_precondition(stub):
    study = _study(stub)
    t = _ask(stub, study)
    stub.Tell(pb.TellRequest(study=study, trial_id=t.id, value=0.3))
    got, details = _code(
        stub, "Report", pb.ReportRequest(study=study, trial_id=t.id, step=1, value=0.3)
    )
    assert got == grpc.StatusCode.FAILED_PRECONDITION and "COMPLETED" in details


def test_pruned_with_another_result_or_a_bad_pruner_is_invalid_argument(stub):
    study = _study(stub)
    t = _ask(stub, study)
    got, details = _code(
        stub, "Tell", pb.TellRequest(study=study, trial_id=t.id, value=1.0, pruned=True)
    )
    assert got == grpc.StatusCode.INVALID_ARGUMENT and "`pruned=True`" in details
    for pruner, words in [
        ({"name": "magic"}, "`spec.pruner.name` must be one of"),
        ({"name": "asha", "reduction_factor": 1}, "`spec.pruner.reduction_factor`"),
        ({"name": "percentile"}, "`spec.pruner.percentile` is required"),
        ({"name": "median", "wat": 1}, "`spec.pruner`: pruner 'median' has no option(s)"),
        ({"name": "median", "n_warmup_steps": math.nan}, "`spec.pruner`"),
    ]:
        spec = pb.StudySpec(space=SPACE, pruner=_struct(pruner))
        got, details = _code(stub, "CreateStudy", pb.CreateStudyRequest(name="bad-p", spec=spec))
        assert got == grpc.StatusCode.INVALID_ARGUMENT and words in details, details
    assert _code(stub, "GetStudy", pb.GetStudyRequest(name="bad-p"))[0].name == "NOT_FOUND"


def test_reopening_keeps_or_replaces_the_pruner(stub):
    study = _study(stub)
    spec = pb.StudySpec(space=SPACE, strategy="random", seed=0)  # no pruner: kept
    kept = stub.CreateStudy(pb.CreateStudyRequest(name=study, spec=spec)).study.spec
    assert kept.pruner["name"] == "threshold"
    spec.pruner.CopyFrom(_struct({"name": "median"}))
    res = stub.CreateStudy(pb.CreateStudyRequest(name=study, spec=spec))
    assert not res.created and res.study.spec.pruner["name"] == "median"


# ---------------------------------------------------------------------- the Python client
def _train(study: StudyLike, epochs: int = 9) -> bbo.Trial:
    """One trial of a training loop written against StudyLike (local or remote alike)."""
    trial = study.ask()
    for epoch in range(1, epochs + 1):
        loss = trial.params["x"] + 1.0 / epoch
        if trial.report(loss, step=epoch):
            assert trial.should_prune()
            return study.tell(trial, pruned=True)
    return study.tell(trial, loss)


def test_the_client_reports_and_prunes_like_a_local_study(client):
    remote = client.create_study(
        {"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=3, pruner="median", name="py-rep"
    )
    local = bbo.Study({"x": bbo.Float(0.0, 1.0)}, strategy="random", seed=3, pruner="median")
    assert isinstance(remote, RemoteStudy)
    assert remote.spec.pruner == local.spec.pruner
    for study in (remote, local):
        done = [_train(study) for _ in range(16)]
        states = [t.state for t in done]
        assert bbo.TrialState.PRUNED in states and bbo.TrialState.COMPLETED in states
        for t in done:  # the value of a PRUNED trial is its last report
            if t.state == bbo.TrialState.PRUNED:
                curve = [t.params["x"] + 1.0 / e for e in range(1, 10)]
                assert min(abs(t.value - v) for v in curve) < 1e-12
    assert [t.state for t in remote.trials] == [t.state for t in local.trials]
    assert [t.value for t in remote.trials] == pytest.approx([t.value for t in local.trials])


def test_client_errors_and_should_prune(client):
    study = client.create_study(
        {"x": bbo.Float(0.0, 1.0)},
        name="py-rep-2",
        strategy="random",
        pruner=ThresholdPruner(upper=1.0),
    )
    t = study.ask()
    assert not t.should_prune()  # nothing reported by this client yet
    assert not study.report(t.id, 0.5, 0) and not study.should_prune(t)
    assert study.report(t, 2.0, 1) and t.should_prune()
    with pytest.raises(ex.InvalidValueError, match="finite"):
        study.report(t, math.nan, 2)  # refused before a round trip
    with pytest.raises(ex.InvalidArgumentError, match="`step`"):
        study.report(t, 1.0, -1)
    with pytest.raises(ex.FailedPreconditionError, match="different value"):
        study.report(t, 1.0, 0)
    with pytest.raises(ex.TrialNotFoundError):
        study.report(99, 1.0, 0)
    told = study.tell(t, pruned=True)
    assert told.state == bbo.TrialState.PRUNED and told.value == 2.0
    assert not study.should_prune(t)  # told: this client's last report is forgotten
    with pytest.raises(ex.FailedPreconditionError, match="PRUNED"):
        study.report(t, 3.0, 5)
    with pytest.raises(ex.InvalidArgumentError, match="exactly one"):
        study.tell(study.ask(), 1.0, pruned=True)


# ------------------------------------------------------------------- scopes and restarts
ADMIN = "admin-token-0123456789"
WRITER = "writer-token-0123456789"
READER = "reader-token-0123456789"


def test_a_report_needs_the_scope_of_a_tell(tmp_path: Path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{ADMIN}\n{WRITER} writer team/*\n{READER} reader team/*\n")
    space = {"x": bbo.Float(0.0, 1.0)}
    with (
        ServerThread("memory://", ServerConfig(tokens=read_tokens(tokens))) as srv,
        bbo.connect(srv.target, token=ADMIN) as a,
        bbo.connect(srv.target, token=WRITER) as w,
        bbo.connect(srv.target, token=READER) as r,
    ):
        other = a.create_study(space, name="other", strategy="random")
        u = other.ask()
        study = w.create_study(space, name="team/a", strategy="random")
        t = study.ask()
        assert study.report(t, 0.5, 1) is False
        with pytest.raises(ex.PermissionDeniedError, match="Report needs writer access"):
            r.get_study("team/a").report(t, 0.5, 1)
        other_as_w = RemoteStudy(w, a.call("GetStudy", pb.GetStudyRequest(name="other")))
        with pytest.raises(ex.PermissionDeniedError, match="Report needs writer access"):
            other_as_w.report(u, 0.5, 1)
        assert other.report(u, 0.5, 1) is False


def test_reports_survive_a_killed_server(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            study = _study(stub)
            t = _ask(stub, study)
            sent = [
                stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=s, value=v))
                for s, v in [(1, 0.8), (2, 0.9), (4, 1.5)]
            ]
    finally:
        proc.send_signal(signal.SIGKILL)  # kill -9: every answered report was committed
        proc.wait(30)
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            again = stub.Report(pb.ReportRequest(study=study, trial_id=t.id, step=4, value=1.5))
            assert again == sent[-1] and again.should_prune  # the retry after the restart
            got, _ = _code(
                stub, "Report", pb.ReportRequest(study=study, trial_id=t.id, step=3, value=1.0)
            )
            assert got == grpc.StatusCode.FAILED_PRECONDITION  # step 4 is still stored
            told = stub.Tell(pb.TellRequest(study=study, trial_id=t.id, pruned=True)).trial
            assert told.state == pb.TRIAL_STATE_PRUNED and told.value == 1.5
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    local = bbo.Study.load(study, url)
    assert [(r.step, r.value) for r in local.reports(t.id)] == [(1, 0.8), (2, 0.9), (4, 1.5)]
    local.storage.close()
