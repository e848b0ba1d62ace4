"""The contract of docs/grpc.md, over the wire: idempotency, leases, batching, paging,
the Pareto set, errors and limits (an in-process server on a loopback port)."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from bbo.client import Client, RemoteStudy
from bbo.server.app import ServerConfig, ServerThread
from bbo.server.errors import TABLE, error_from_rpc, status_of
from bbo.server.service import Limits

import bbo
from bbo import exceptions as ex
from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.space import params_key

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0), "c": bbo.Categorical(["a", "b", "c"])})


def _study(client: Client, **kw) -> RemoteStudy:
    kw.setdefault("strategy", "random")
    return client.create_study(SPACE, name=f"t-{uuid.uuid4().hex[:8]}", seed=0, **kw)


def _code(fn, req) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as e:
        fn(req, timeout=10)
    return e.value.code()


def test_ask_is_idempotent_per_client_id(client):
    s = _study(client)
    first = s.ask(2, client_id="worker-1", lease=30)
    again = s.ask(2, client_id="worker-1", lease=60)
    assert [t.id for t in again] == [t.id for t in first] == [0, 1]
    assert again[0].params == first[0].params
    assert again[0].lease_expires_at > first[0].lease_expires_at + 20  # lease renewed ...
    assert s.trial(0).lease_expires_at == pytest.approx(again[0].lease_expires_at, abs=1)  # stored
    other = s.ask(client_id="worker-2")
    assert other.id == 2 and other.client_id == "worker-2"
    s.tell(first[0], 0.5)
    topped = s.ask(2, client_id="worker-1")  # one still held, one new
    assert [t.id for t in topped] == [1, 3]
    anon = [s.ask().id for _ in range(2)]  # a fresh client id per call: new trials
    assert anon == [4, 5]


def test_tell_retry_with_the_same_request_id_gets_the_same_answer(client, stub):
    s = _study(client)
    t = s.ask()
    req = pb.TellRequest(study=s.name, trial_id=t.id, request_id="r-1", value=0.25)
    first = stub.Tell(req, timeout=10)
    assert stub.Tell(req, timeout=10) == first  # a retry: applied once, same answer
    assert first.trial.attrs["request_id"] == "r-1" and first.trial.value == 0.25
    conflict = pb.TellRequest(study=s.name, trial_id=t.id, request_id="r-2", value=0.5)
    assert _code(stub.Tell, conflict) == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(ex.TrialFinishedError, match="different result"):
        s.tell(t, 0.5)
    assert s.trial(t.id).value == 0.25 and len(s.trials) == 1


def test_expired_lease_is_reoffered_and_late_tells_follow_the_rule(client):
    s = _study(client)
    lost, kept = s.ask(2, lease=0.4)
    assert s.heartbeat([kept], 60.0) == 1
    time.sleep(0.6)
    retry = s.ask()
    assert (retry.retry_of, retry.params) == (lost.id, lost.params)
    assert s.trial(lost.id).state == bbo.TrialState.ABANDONED
    assert s.trial(lost.id).reason == "lease expired"
    assert s.trial(kept.id).state == bbo.TrialState.RUNNING
    assert s.heartbeat([lost], 60.0) == 0  # an abandoned trial has no lease to extend
    late = s.tell(lost, 1.0)  # accepted: its retry has not finished
    assert late.state == bbo.TrialState.COMPLETED
    # a second lost trial whose retry finishes first: its late tell is refused
    (gone,) = s.ask(1, lease=0.3)
    time.sleep(0.5)
    (retry2,) = s.ask(1)
    assert retry2.retry_of == gone.id
    s.tell(retry2, 2.0)
    with pytest.raises(ex.TrialFinishedError, match=f"re-evaluated as trial {retry2.id}"):
        s.tell(gone, 3.0)


def _queued(pool, busy: int, batcher, calls: int, worker) -> list[int]:
    """Run ``worker(i)`` for ``i < calls`` in threads while every thread of ``pool`` is
    busy, until the first call's batch is taken (waiting for a thread) and every other call
    has queued behind it; then free the pool. Returns the batch sizes this made."""
    before = batcher.batches
    release = threading.Event()
    blockers = [pool.submit(release.wait) for _ in range(busy)]
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(calls)]
    for th in threads:
        th.start()
    deadline = time.time() + 10
    while (not batcher.sizes[before:] or batcher.sizes[-1] + len(batcher._queue) < calls) and (
        time.time() < deadline
    ):
        time.sleep(0.01)
    release.set()
    for th in threads:
        th.join(10)
    for b in blockers:
        b.result(5)
    return batcher.sizes[before:]


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory) -> Iterator[ServerThread]:
    """A server on a SQLite file: its Asks and Tells run on the thread pools (on the
    in-memory storage, Tells and random Asks run on the event loop)."""
    path = tmp_path_factory.mktemp("semantics") / "s.db"
    srv = ServerThread(f"sqlite:///{path}", ServerConfig(limits=Limits(max_ask=16)))
    yield srv
    srv.stop()


def test_concurrent_tells_are_stored_by_one_group(sqlite_server):
    """Tells queued while a group is stored are stored together by the next one (one
    transaction); each is answered on its own: a conflicting tell in the group fails alone."""
    server = sqlite_server
    with (
        bbo.connect(server.target, retry_timeout=5.0) as client,
        grpc.insecure_channel(server.target) as ch,
    ):
        _tells_grouped(server, client, pb_grpc.OptimizerStub(ch))


def _tells_grouped(server: ServerThread, client: Client, stub: pb_grpc.OptimizerStub) -> None:
    s = _study(client)
    trials = s.ask(9)
    s.tell(trials[0], 0.5)
    answers: dict[int, object] = {}

    def worker(i: int) -> None:
        value = 0.9 if i == 0 else float(i)  # trial 0 holds 0.5: a conflicting tell
        req = pb.TellRequest(study=s.name, trial_id=trials[i].id, value=value)
        try:
            answers[i] = stub.Tell(req, timeout=10).trial.value
        except grpc.RpcError as e:
            answers[i] = e.code()

    tells = server.service._studies[s.name].tells
    sizes = _queued(server.service.io_pool, 8, tells, 9, worker)
    assert len(sizes) == 2 and sum(sizes) == 9  # the second group held the queued tells
    assert answers == {0: grpc.StatusCode.FAILED_PRECONDITION, **{i: float(i) for i in range(1, 9)}}
    assert [t.value for t in s.trials] == [0.5, *map(float, range(1, 9))]


def test_concurrent_asks_are_served_by_one_batch(sqlite_server):
    """Asks queued while a batch computes are answered together by the next computation,
    each with its own distinct trials."""
    server = sqlite_server
    with bbo.connect(server.target, retry_timeout=5.0) as client:
        _asks_batched(server, client)


def _asks_batched(server: ServerThread, client: Client) -> None:
    s = _study(client)
    s.ask()  # loads the study into the server's cache
    results: dict[int, list] = {}

    def worker(i: int) -> None:
        results[i] = s.ask(2)

    asks = server.service._studies[s.name].asks
    sizes = _queued(server.service.ask_pool, 2, asks, 10, worker)
    assert len(sizes) == 2 and sum(sizes) == 10  # the second batch served the queued asks
    trials = [t for ts in results.values() for t in ts]
    assert len(trials) == 20 and all(len(ts) == 2 for ts in results.values())
    assert len({t.id for t in trials}) == 20
    assert len({params_key(t.params) for t in trials}) == 20  # no duplicate points


def test_list_trials_pages_and_since(client, stub):
    s = _study(client)
    ts = s.ask(7)
    for t in ts[:3]:
        s.tell(t, float(t.id))
    assert [t.id for t in s.get_trials(page_size=2)] == list(range(7))  # 4 pages
    assert [t.id for t in s.get_trials(since=4)] == [5, 6]
    done = s.get_trials(states=[bbo.TrialState.COMPLETED])
    assert [t.id for t in done] == [0, 1, 2] and done[1].value == 1.0
    page = stub.ListTrials(pb.ListTrialsRequest(study=s.name, page_size=3), timeout=10)
    assert [t.id for t in page.trials] == [0, 1, 2] and page.next_page_token == "2"
    bad = pb.ListTrialsRequest(study=s.name, page_token="x")
    assert _code(stub.ListTrials, bad) == grpc.StatusCode.INVALID_ARGUMENT


def test_best_and_pareto_set(client):
    s = client.create_study(
        SPACE,
        {"loss": "minimize", "acc": "maximize"},
        strategy="random",
        seed=1,
        name=f"mo-{uuid.uuid4().hex[:8]}",
    )
    assert s.best == []
    ts = s.ask(4)
    s.tell(ts[0], {"loss": 1.0, "acc": 0.9})
    s.tell(ts[1], {"loss": 2.0, "acc": 0.95})
    s.tell(ts[2], {"loss": 2.0, "acc": 0.8})  # dominated by ts[0]
    s.tell(ts[3], {"loss": 0.5, "acc": 0.5, "latency": 3.0})
    assert sorted(t.id for t in s.best) == [0, 1, 3]
    single = _study(client)
    assert single.best is None
    a, b = single.ask(2)
    single.tell(a, 2.0)
    single.tell(b, samples=[0.5, 1.5, 1.0])
    assert single.best.id == b.id and single.best.samples == (0.5, 1.5, 1.0)


def test_studies_get_list_delete_and_conflicts(client):
    s = _study(client, strategy="gp", strategy_options={"n_init": 5, "acquisition": "qUCB"})
    got = client.get_study(s.name)
    assert got.spec == s.spec and got.spec.strategy == "gp"
    assert got.spec.strategy_options == {"n_init": 5, "acquisition": "qUCB"}  # 5 stays an int
    assert s.name in client.list_studies()
    same = client.create_study(SPACE, name=s.name, strategy="sobol")  # get: same definition
    assert client.get_study(s.name).spec.strategy == "sobol"  # strategy may change on reopen
    assert same.seed == s.seed  # seed=None keeps the stored seed
    with pytest.raises(ex.StudyConflictError, match="already exists with a different definition"):
        client.create_study(bbo.Space({"y": bbo.Int(0, 3)}), name=s.name)
    client.delete_study(s.name)
    with pytest.raises(ex.StudyNotFoundError, match="no study named"):
        client.get_study(s.name)
    with pytest.raises(ex.StudyNotFoundError):
        s.ask()


def test_errors_and_limits_map_to_status_codes(client, stub):
    s = _study(client)
    t = s.ask()
    cases = [
        (stub.Ask, pb.AskRequest(study=s.name, count=17), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (stub.Ask, pb.AskRequest(study=s.name, count=-1), grpc.StatusCode.INVALID_ARGUMENT),
        (stub.Ask, pb.AskRequest(study="", count=1), grpc.StatusCode.INVALID_ARGUMENT),
        (stub.Ask, pb.AskRequest(study="nope"), grpc.StatusCode.NOT_FOUND),
        (
            stub.Ask,
            pb.AskRequest(study=s.name, lease_seconds=math.inf),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            stub.Tell,
            pb.TellRequest(study=s.name, trial_id=t.id, value=math.nan),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            stub.Tell,
            pb.TellRequest(study=s.name, trial_id=t.id, samples=[1.0] * 101),
            grpc.StatusCode.RESOURCE_EXHAUSTED,
        ),
        (stub.Tell, pb.TellRequest(study=s.name, trial_id=t.id), grpc.StatusCode.INVALID_ARGUMENT),
        (
            stub.Tell,
            pb.TellRequest(study=s.name, trial_id=99, value=1.0),
            grpc.StatusCode.NOT_FOUND,
        ),
        (
            stub.Tell,
            pb.TellRequest(study=s.name, trial_id=t.id, value=1.0, failed=True),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (stub.CreateStudy, pb.CreateStudyRequest(name="e"), grpc.StatusCode.INVALID_ARGUMENT),
    ]
    for fn, req, code in cases:
        assert _code(fn, req) == code, req
    with pytest.raises(grpc.RpcError) as nan:
        stub.Tell(pb.TellRequest(study=s.name, trial_id=t.id, value=math.nan), timeout=10)
    err = error_from_rpc(nan.value)  # what the Python client raises
    assert type(err) is ex.InvalidValueError
    assert "metric 'value' must be finite, got nan" in str(err)
    with pytest.raises(ex.ResourceExhaustedError, match=r"`count <= 16` must hold"):
        s.ask(17)
    bad_space = pb.CreateStudyRequest(
        name="bad",
        spec=pb.StudySpec(space=[pb.Parameter(name="x", float_param=pb.FloatParam(low=3, high=1))]),
    )
    with pytest.raises(grpc.RpcError) as e:
        stub.CreateStudy(bad_space, timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "`low < high` must hold" in e.value.details()
    assert s.trial(t.id).state == bbo.TrialState.RUNNING  # nothing changed


def test_the_error_table_covers_every_class():
    assert TABLE[ex.TrialFinishedError] == grpc.StatusCode.FAILED_PRECONDITION
    assert TABLE[ex.StudyConflictError] == grpc.StatusCode.ALREADY_EXISTS
    assert TABLE[ex.InvalidParamsError] == grpc.StatusCode.INVALID_ARGUMENT
    assert TABLE[ex.UnauthenticatedError] == grpc.StatusCode.UNAUTHENTICATED
    assert all(code != grpc.StatusCode.UNKNOWN for code in TABLE.values())
    code, details, _ = status_of(ZeroDivisionError("boom"))
    assert code == grpc.StatusCode.INTERNAL and "ZeroDivisionError: boom" in details
    assert status_of(ex.TrialNotFoundError("no trial 3"))[2] == (
        ("bbo-error", "TrialNotFoundError"),
    )


def test_health_and_reflection(server, client):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(server.target) as ch:
        health = health_pb2_grpc.HealthStub(ch)
        for name in ("", "bbo.v1.Optimizer"):
            res = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
            assert res.status == health_pb2.HealthCheckResponse.SERVING
        refl = reflection_pb2_grpc.ServerReflectionStub(ch)
        (res,) = refl.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
        )
        names = {s.name for s in res.list_services_response.service}
        assert {"bbo.v1.Optimizer", "grpc.health.v1.Health"} <= names
        # what grpcurl does: build the messages from the server's descriptors, then call
        from google.protobuf import descriptor_pool, json_format, message_factory
        from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
            ProtoReflectionDescriptorDatabase,
        )

        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(ch))
        method = pool.FindServiceByName("bbo.v1.Optimizer").methods_by_name["ListStudies"]
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        call = ch.unary_unary(
            "/bbo.v1.Optimizer/ListStudies",
            request_serializer=request_cls.SerializeToString,
            response_deserializer=response_cls.FromString,
        )
        name = _study(client).name
        answer = json_format.MessageToDict(call(request_cls(), timeout=10))
        assert name in [st["name"] for st in answer["studies"]]


def test_docs_error_table_is_the_code_table():
    """docs/grpc.md's error table lists every class under the status the code gives it."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs/grpc.md").read_text()
    section = text.split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) == 3 and cells[0].isupper() and cells[0].replace("_", "").isalpha():
            for name in cells[1].replace("`", "").split(","):
                documented[name.strip()] = cells[0]
    assert documented == {cls.__name__: code.name for cls, code in TABLE.items()}


def test_a_study_definition_is_checked_at_the_boundary(client, stub):
    """The StudySpec is checked where the message enters: a seed outside int64's
    non-negative range, options that cannot be stored (NaN) and a runtime setting given as
    an option are INVALID_ARGUMENT naming the rule, and nothing is stored."""
    space = [pb.Parameter(name="x", float_param=pb.FloatParam(low=0, high=1))]
    opts = {"n_init": math.nan}
    cases = [
        (pb.StudySpec(space=space, seed=-1), "`seed` must be an integer in [0, 2**63 - 1]"),
        (
            pb.StudySpec(space=space, strategy="random", strategy_options=cv_struct(opts)),
            "`spec.strategy_options` must hold only strings, finite numbers",
        ),
        (
            pb.StudySpec(space=space, strategy="gp", strategy_options=cv_struct({"device": "cpu"})),
            "`device` is not a strategy option",
        ),
    ]
    for spec, message in cases:
        name = f"bad-{uuid.uuid4().hex[:8]}"
        with pytest.raises(grpc.RpcError) as e:
            stub.CreateStudy(pb.CreateStudyRequest(name=name, spec=spec), timeout=30)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()
        assert message in e.value.details()
        assert name not in client.list_studies()


def cv_struct(d):
    from bbo.server.convert import struct_to_pb

    return struct_to_pb(d)


def test_get_best_recommends_by_the_model_on_a_noisy_study(client):
    """``noisy`` travels in the StudySpec, and GetBest answers the server's recommendation
    (the point of best posterior mean), not the lucky draw."""
    line = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    s = client.create_study(line, strategy="sobol", seed=0, name="noisy-remote", noisy=True)
    assert s.spec.noisy and client.get_study("noisy-remote").spec.noisy
    trials = s.ask(16) + s.ask(9)
    lucky = min(trials, key=lambda t: abs(t.params["x"] - 0.8))  # inside: neighbours disagree
    assert abs(lucky.params["x"] - 0.8) < 0.05
    rng = np.random.default_rng(0)
    for t in trials:
        y = (t.params["x"] - 0.3) ** 2 + float(rng.normal(0, 0.02))
        s.tell(t, -0.05 if t.id == lucky.id else y)
    best = s.best
    assert best is not None and best.id != lucky.id and abs(best.params["x"] - 0.3) < 0.15
