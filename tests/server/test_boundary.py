"""Validation at the wire boundary (issue 15), against a real server on a loopback port:
Int bounds the wire can carry, a stored study that cannot be encoded, page tokens, long
values in error messages, bounded names, the size of an Ask's answer, an unset trial id,
and a device in the strategy options."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import grpc
import pytest
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.errors import MAX_DETAILS

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.study.storage import MemoryStorage

FLOAT_X = pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0))


def _error(fn, req) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as e:
        fn(req, timeout=10)
    return e.value


def _create(stub, name: str, *params: pb.Parameter, **spec) -> pb.CreateStudyResponse:
    spec.setdefault("strategy", "random")
    req = pb.CreateStudyRequest(name=name, spec=pb.StudySpec(space=list(params), **spec))
    return stub.CreateStudy(req, timeout=10)


def test_int_bounds_must_fit_the_wire(stub):
    for low, high, field in ((0, 2**63 - 1, "high"), (-(2**63), 0, "low"), (0, 2**53 + 2, "high")):
        param = pb.Parameter(name="n", int_param=pb.IntParam(low=low, high=high))
        err = _error(stub.CreateStudy, pb.CreateStudyRequest(name="big", spec=pb.StudySpec(
            space=[param], strategy="random")))  # fmt: skip
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert f"spec.space[0].int_param.{field}" in err.details() and "2**53" in err.details()
    ok = pb.Parameter(name="n", int_param=pb.IntParam(low=-(2**53), high=2**53))
    got = _create(stub, "big-ok", ok).study.spec.space[0].int_param
    assert (got.low, got.high) == (-(2**53), 2**53)  # exact both ways
    assert stub.ListStudies(pb.ListStudiesRequest(), timeout=10).studies


def test_a_stored_study_that_cannot_be_encoded_never_breaks_listing(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    # stored by an older version, before Int refused bounds beyond 2**53: 2**63 - 1 was
    # stored as 2**63, beyond int64
    bbo.Study({"n": bbo.Int(0, 10)}, storage=url, name="broken", strategy="random")
    with sqlite3.connect(tmp_path / "studies.db") as db:
        (spec,) = db.execute("SELECT spec FROM studies WHERE name = 'broken'").fetchone()
        spec = json.loads(spec)
        spec["space"]["n"]["high"] = 2**63
        db.execute("UPDATE studies SET spec = ? WHERE name = 'broken'", (json.dumps(spec),))
    bbo.Study({"x": bbo.Float(0.0, 1.0)}, storage=url, name="fine", strategy="random")
    for _ in range(2):  # and again after a restart
        with ServerThread(url) as srv, grpc.insecure_channel(srv.target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            listed = stub.ListStudies(pb.ListStudiesRequest(), timeout=10).studies
            by_name = {s.name: s for s in listed}
            assert set(by_name) == {"broken", "fine"}
            assert not by_name["broken"].spec.space  # listed by name, without its spec
            assert by_name["fine"].spec.space[0].name == "x"
            err = _error(stub.GetStudy, pb.GetStudyRequest(name="broken"))
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "cannot be sent on the wire" in err.details()
            with bbo.connect(srv.target) as c:
                assert sorted(c.list_studies()) == ["broken", "fine"]
    with ServerThread(url) as srv, bbo.connect(srv.target) as c:
        c.delete_study("broken")
        assert c.list_studies() == ["fine"]


def test_page_token_out_of_range_is_invalid_argument(tmp_path: Path):
    with (
        ServerThread(f"sqlite:///{tmp_path / 'p.db'}") as srv,
        grpc.insecure_channel(srv.target) as ch,
    ):
        stub = pb_grpc.OptimizerStub(ch)
        _create(stub, "pages", FLOAT_X)
        stub.Ask(pb.AskRequest(study="pages", count=3), timeout=10)
        for token in ("9" * 30, "9223372036854775808", "-1", "1e3", "x", "٣"):
            req = pb.ListTrialsRequest(study="pages", page_token=token)
            err = _error(stub.ListTrials, req)
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, token
            assert "page_token" in err.details()
        last = pb.ListTrialsRequest(study="pages", page_token=str(2**63 - 1))
        assert not stub.ListTrials(last, timeout=10).trials
        page = stub.ListTrials(pb.ListTrialsRequest(study="pages", page_size=2), timeout=10)
        rest = pb.ListTrialsRequest(study="pages", page_token=page.next_page_token)
        assert [t.id for t in stub.ListTrials(rest, timeout=10).trials] == [2]


@pytest.mark.parametrize("char", ["x", "é"])
def test_long_values_are_cut_in_error_messages(stub, char):
    options = pb.StudySpec().strategy_options
    options.update({"n_init": char * 50_000})
    spec = pb.StudySpec(space=[FLOAT_X], strategy="gp", strategy_options=options)
    err = _error(stub.CreateStudy, pb.CreateStudyRequest(name="echo", spec=spec))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT  # the real status, not "Stream removed"
    details = err.details()
    assert "n_init" in details and "characters cut" in details
    assert len(details.encode()) <= MAX_DETAILS + 100


def test_every_name_is_bounded(stub, server):
    n = server.config.limits.max_text + 1
    long = "p" * n
    cases = {
        "spec.space[0].name": pb.StudySpec(
            space=[pb.Parameter(name=long, float_param=pb.FloatParam(low=0, high=1))]
        ),
        "spec.objectives[0].name": pb.StudySpec(
            space=[FLOAT_X], objectives=[pb.Objective(name=long)]
        ),
        "spec.constraints[0].metric": pb.StudySpec(
            space=[FLOAT_X],
            constraints=[pb.Constraint(metric=long, op=pb.COMPARISON_OP_LESS_EQUAL)],
        ),
        "spec.space[0].categorical_param.choices[1]": pb.StudySpec(
            space=[
                pb.Parameter(
                    name="c",
                    categorical_param=pb.CategoricalParam(
                        choices=[pb.Scalar(string_value="a"), pb.Scalar(string_value=long)]
                    ),
                )
            ]
        ),
        "spec.strategy": pb.StudySpec(space=[FLOAT_X], strategy=long),
    }
    for field, spec in cases.items():
        err = _error(stub.CreateStudy, pb.CreateStudyRequest(name="names", spec=spec))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, field
        assert f"`{field}` must hold at most" in err.details()
    huge = pb.Parameter(name="p" * 1_000_000, float_param=pb.FloatParam(low=0, high=1))
    err = _error(stub.CreateStudy, pb.CreateStudyRequest(name="huge", spec=pb.StudySpec(
        space=[huge], strategy="random")))  # fmt: skip
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    _create(stub, "names", FLOAT_X)
    (trial,) = stub.Ask(pb.AskRequest(study="names"), timeout=10).trials
    req = pb.TellRequest(study="names", trial_id=trial.id, values={"value": 1.0, long: 2.0})
    err = _error(stub.Tell, req)
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "values key" in err.details()


def test_an_ask_too_large_to_answer_creates_nothing():
    limit = 100_000
    with (
        ServerThread("memory://", ServerConfig(max_message_bytes=limit)) as srv,
        grpc.insecure_channel(srv.target) as ch,
    ):
        stub = pb_grpc.OptimizerStub(ch)
        params = [
            pb.Parameter(
                name=f"c{i}",
                categorical_param=pb.CategoricalParam(
                    choices=[pb.Scalar(string_value="v" * 3999 + str(k)) for k in range(4)]
                ),
            )
            for i in range(5)
        ]  # a trial carries 5 x 4000 bytes
        _create(stub, "wide", *params)
        err = _error(stub.Ask, pb.AskRequest(study="wide", count=8))
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-message-bytes" in err.details() and "count=8" in err.details()
        listed = stub.ListTrials(pb.ListTrialsRequest(study="wide"), timeout=10)
        assert not listed.trials  # no undeliverable trial was created
        assert len(stub.Ask(pb.AskRequest(study="wide", count=2), timeout=10).trials) == 2


def test_tell_needs_an_explicit_trial_id(stub):
    _create(stub, "tid", FLOAT_X)
    (trial,) = stub.Ask(pb.AskRequest(study="tid"), timeout=10).trials
    assert trial.id == 0  # ids start at 0: an unset id must not be read as trial 0
    err = _error(stub.Tell, pb.TellRequest(study="tid", value=0.5))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "`trial_id` must be set" in (
        err.details()
    )
    listed = stub.ListTrials(pb.ListTrialsRequest(study="tid"), timeout=10).trials
    assert listed[0].state == pb.TRIAL_STATE_RUNNING  # untouched
    told = stub.Tell(pb.TellRequest(study="tid", trial_id=0, value=0.5), timeout=10).trial
    assert told.id == 0 and told.value == 0.5


def test_device_is_not_a_strategy_option(stub):
    options = pb.StudySpec().strategy_options
    options.update({"device": "cuda:7"})
    spec = pb.StudySpec(space=[FLOAT_X], strategy="gp", strategy_options=options)
    err = _error(stub.CreateStudy, pb.CreateStudyRequest(name="dev", spec=spec))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "`device` is not a strategy option" in err.details()


def test_a_device_the_host_lacks_is_refused_at_start():
    from bbo.cli.app import app
    from typer.testing import CliRunner

    with pytest.raises(ex.InvalidArgumentError, match="--device"):
        ServerThread(MemoryStorage(), ServerConfig(device="cuda:99"))
    res = CliRunner().invoke(app, ["serve", "--storage", "memory://", "--device", "cuda:99"])
    assert res.exit_code == 2 and "--device" in res.output
