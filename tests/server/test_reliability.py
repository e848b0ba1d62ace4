"""End to end with ``bbo serve`` started as users start it (a subprocess on a loopback port,
a SQLite file): 16 concurrent clients x 50 evaluations while the server is killed with
SIGKILL and restarted on the same file; then a graceful SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import bbo
from bbo.space import params_key

CLIENTS, EVALS = 16, 50
SPACE = bbo.Space({"x": bbo.Float(-5.0, 10.0), "y": bbo.Float(0.0, 15.0), "k": bbo.Int(0, 9)})


def objective(p: dict) -> float:
    return (p["x"] - 1.0) ** 2 + (p["y"] - 2.0) ** 2 + p["k"]


class Server:
    """``bbo serve`` in a subprocess; ``start`` waits for its 'listening' line."""

    def __init__(self, storage: str, port: int = 0, extra: tuple[str, ...] = ()) -> None:
        self.storage, self.port, self.extra = storage, port, extra
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bbo.cli.app",
                "serve",
                "--storage",
                self.storage,
                "--port",
                str(self.port),
                "--log-level",
                "WARNING",
                *self.extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            m = re.search(r"listening on [\d.]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain
                return self
        raise AssertionError(f"bbo serve did not start: {''.join(lines)}")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def storage(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'serve.db'}"


@pytest.fixture
def served(storage: str) -> Iterator[Server]:
    srv = Server(storage).start()
    yield srv
    srv.stop()


@pytest.mark.slow
def test_16_clients_survive_kill_and_restart(served: Server, storage: str):
    with bbo.connect(served.target) as admin:
        admin.create_study(SPACE, name="load", strategy="random", seed=5)
    told: list[tuple[int, dict, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            with bbo.connect(served.target, retry_timeout=60.0) as c:
                s = c.get_study("load")
                for _ in range(EVALS):
                    t = s.ask(lease=120.0)
                    v = objective(t.params)
                    done = s.tell(t, v)
                    assert done.value == v
                    with lock:
                        told.append((t.id, t.params, v))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for th in threads:
        th.start()
    deadline = time.time() + 60
    while len(told) < CLIENTS * EVALS // 3 and time.time() < deadline and not errors:
        time.sleep(0.02)
    served.proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
    served.proc.wait(10)  # type: ignore[union-attr]
    at_kill = len(told)
    time.sleep(0.5)  # clients now see UNAVAILABLE and back off
    served.start()  # same port, same SQLite file
    for th in threads:
        th.join(120)
    assert not errors, errors[:3]
    assert 0 < at_kill < CLIENTS * EVALS and len(told) == CLIENTS * EVALS

    with bbo.connect(served.target) as c:
        trials = c.get_study("load").trials
    assert len(trials) == CLIENTS * EVALS  # nothing lost, nothing asked twice
    assert all(t.state == bbo.TrialState.COMPLETED for t in trials)
    by_id = {t.id: t for t in trials}
    assert sorted(by_id) == sorted(i for i, _, _ in told)  # every evaluation stored once
    for i, params, v in told:
        assert by_id[i].params == params and by_id[i].value == v
    assert len({params_key(t.params) for t in trials}) == len(trials)  # no duplicate points

    served.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    assert served.proc.wait(30) == 0  # type: ignore[union-attr]
    reopened = bbo.Study.load("load", storage)
    assert len(reopened.trials) == CLIENTS * EVALS


@pytest.mark.slow
def test_two_replicas_on_one_sqlite_file_serve_one_study(served: Server, storage: str):
    """Two ``bbo serve`` processes on one file: each batches its own asks; the storage's
    compare-and-set numbering keeps trial ids and points distinct across them."""
    other = Server(storage).start()
    try:
        with bbo.connect(served.target) as admin:
            admin.create_study(SPACE, name="shared", strategy="random", seed=1)
        errors: list[BaseException] = []

        def client(target: str) -> None:
            try:
                with bbo.connect(target) as c:
                    s = c.get_study("shared")
                    for _ in range(10):
                        t = s.ask(lease=60.0)
                        s.tell(t, objective(t.params))
            except BaseException as e:
                errors.append(e)

        threads = [
            threading.Thread(target=client, args=(srv.target,))
            for srv in (served, other)
            for _ in range(4)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert not errors, errors[:3]
        trials = bbo.Study.load("shared", storage).trials
        assert [t.id for t in trials] == list(range(80))
        assert all(t.state == bbo.TrialState.COMPLETED for t in trials)
        assert len({params_key(t.params) for t in trials}) == 80
        assert {t.attrs["source"] for t in trials} == {"random"}  # no retry, no random-fill
    finally:
        other.stop()
