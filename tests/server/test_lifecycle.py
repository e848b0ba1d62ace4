"""Server lifecycle and the cost of an ask (issue 15): trials asked without a client id
survive a restart of ``bbo serve`` (leases govern them); an early ABANDONED or RUNNING
trial does not make every later ask read the whole study; reflection answers v1 as well
as v1alpha; an open health Watch does not hold a graceful shutdown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
from bbo.server.app import SERVICE_NAME, ServerConfig, ServerThread
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.study.storage import MemoryStorage

SPEC = pb.StudySpec(
    space=[pb.Parameter(name="x", float_param=pb.FloatParam(low=0.0, high=1.0))],
    strategy="random",
    seed=0,
)


def _serve(url: str) -> tuple[subprocess.Popen[str], str]:
    """``bbo serve`` as users start it; returns the process and its target."""
    args = ["serve", "--storage", url, "--port", "0", "--log-level", "WARNING"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bbo.cli.app", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, f"127.0.0.1:{m.group(1)}"
    raise AssertionError("bbo serve did not start")


def test_a_restart_does_not_abandon_trials_asked_without_client_id(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    proc, target = _serve(url)
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            stub.CreateStudy(pb.CreateStudyRequest(name="r", spec=SPEC), timeout=30)
            (first,) = stub.Ask(pb.AskRequest(study="r", lease_seconds=600), timeout=30).trials
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    proc, target = _serve(url)  # another process: the first server is gone
    try:
        with grpc.insecure_channel(target) as ch:
            stub = pb_grpc.OptimizerStub(ch)
            (second,) = stub.Ask(pb.AskRequest(study="r", lease_seconds=600), timeout=30).trials
            trials = stub.ListTrials(pb.ListTrialsRequest(study="r"), timeout=30).trials
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert second.id == first.id + 1 and not second.HasField("retry_of")
    assert trials[0].state == pb.TRIAL_STATE_RUNNING, trials[0].reason  # its lease holds it


class CountingStorage(MemoryStorage):
    """The memory storage, counting the trials its ``get_trials`` reads return."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0

    def get_trials(self, study_id, *, states=None, since=None, limit=None, numbers=None):
        out = super().get_trials(study_id, states=states, since=since, limit=limit, numbers=numbers)
        self.rows += len(out)
        return out


def test_an_early_unfinished_trial_does_not_make_asks_read_the_whole_study():
    storage = CountingStorage()
    with ServerThread(storage) as srv, grpc.insecure_channel(srv.target) as ch:
        stub = pb_grpc.OptimizerStub(ch)
        stub.CreateStudy(pb.CreateStudyRequest(name="reads", spec=SPEC), timeout=10)
        stub.Ask(pb.AskRequest(study="reads", client_id="slow", lease_seconds=3600), timeout=10)
        stub.Ask(pb.AskRequest(study="reads", lease_seconds=0.05), timeout=10)  # will expire
        time.sleep(0.1)
        per_ask = []
        for i in range(120):
            before = storage.rows
            (t,) = stub.Ask(pb.AskRequest(study="reads"), timeout=10).trials
            per_ask.append(storage.rows - before)
            stub.Tell(pb.TellRequest(study="reads", trial_id=t.id, value=float(i)), timeout=10)
        trials = stub.ListTrials(pb.ListTrialsRequest(study="reads"), timeout=10).trials
    assert trials[0].state == pb.TRIAL_STATE_RUNNING  # held by "slow"
    assert trials[1].state == pb.TRIAL_STATE_ABANDONED  # lease expired, retried
    assert any(t.retry_of == 1 for t in trials)
    # each ask reads the new trial of the previous round and the unfinished ones, not the
    # ~120 finished trials behind trial 0
    assert max(per_ask[10:]) <= 5, per_ask


def test_reflection_answers_v1_and_v1alpha():
    with ServerThread("memory://") as srv, grpc.insecure_channel(srv.target) as ch:
        for version in ("v1", "v1alpha"):
            call = ch.stream_stream(
                f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
            )
            requests = [
                reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE_NAME),
                reflection_pb2.ServerReflectionRequest(
                    file_containing_symbol="grpc.reflection.v1.ServerReflection"
                ),
            ]
            listed, optimizer, refl = list(call(iter(requests), timeout=10))
            names = {s.name for s in listed.list_services_response.service}
            assert {SERVICE_NAME, "grpc.reflection.v1.ServerReflection"} <= names, version
            assert "grpc.reflection.v1alpha.ServerReflection" in names
            assert optimizer.file_descriptor_response.file_descriptor_proto, version
            assert refl.file_descriptor_response.file_descriptor_proto, version


def test_an_open_health_watch_does_not_hold_shutdown():
    srv = ServerThread("memory://", ServerConfig(grace=30.0))
    seen: list[int] = []
    ended = threading.Event()
    ch = grpc.insecure_channel(srv.target)

    def watch() -> None:
        stream = health_pb2_grpc.HealthStub(ch).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=60
        )
        try:
            for res in stream:
                seen.append(res.status)
        except grpc.RpcError:
            pass
        ended.set()

    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [health_pb2.HealthCheckResponse.SERVING]
    t0 = time.monotonic()
    srv.stop()
    took = time.monotonic() - t0
    assert ended.wait(5)
    ch.close()
    assert took < 10, f"stop took {took:.1f} s: the watch held the 30 s grace"
    assert seen[-1] == health_pb2.HealthCheckResponse.NOT_SERVING
