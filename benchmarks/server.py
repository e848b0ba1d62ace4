"""``python -m benchmarks.server``: ask+tell round trips per second and their latency
through ``bbo serve``.

The server runs as users run it (``bbo serve`` in its own process, loopback port); clients
are threads spread over a few client processes, each looping ask -> evaluate (a closed-form
function, microseconds) -> tell, and timing every round trip (two RPCs). Scenarios:

* ``random``, 1 and 32 concurrent clients, on the in-memory storage and on a SQLite file;
* ``gp`` after a history of n = 100 evaluations, 8 concurrent clients (their Asks are
  coalesced into q-batches: the mean batch size is reported);
* a baseline: a bare Python ``grpc.aio`` echo server (one unary RPC per round trip, no
  work), measured in the same run with the same client code.

Peers (Optuna, Ax, Vizier) are not compared: none ships a comparable ask/tell gRPC server
in its Python package (OSS Vizier's needs its own service stack). The default sizes are
small (seconds per scenario) because the machine is shared; ``--rounds`` scales them.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

ECHO = "/bench.Echo/Call"


def _spawn(argv: list[str]) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on [\w.]+:(\d+)", line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, int(m.group(1))
    raise RuntimeError(f"{argv} did not start")


def start_bbo(storage: str) -> tuple[subprocess.Popen[str], int]:
    return _spawn(
        [
            sys.executable,
            "-m",
            "bbo.cli.app",
            "serve",
            "--storage",
            storage,
            "--port",
            "0",
            "--log-level",
            "WARNING",
            "--max-ask",
            "64",
        ]
    )


def start_echo() -> tuple[subprocess.Popen[str], int]:
    return _spawn([sys.executable, "-m", "benchmarks.server", "--echo-server"])


async def _echo_server() -> None:
    import grpc

    async def call(request: bytes, context: Any) -> bytes:
        return request

    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler(
        "bench.Echo", {"Call": grpc.unary_unary_rpc_method_handler(call)}
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(f"echo listening on 127.0.0.1:{port}", flush=True)
    await server.wait_for_termination()


# -- clients -------------------------------------------------------------------------------------
def _objective(p: dict[str, Any]) -> float:
    return (p["x"] - 1.0) ** 2 + (p["y"] - 2.0) ** 2


def _bbo_loop(target: str, study: str, rounds: int, out: list[float]) -> None:
    import bbo

    with bbo.connect(target) as client:
        s = client.get_study(study)
        for _ in range(rounds):
            t0 = time.perf_counter()
            t = s.ask()
            s.tell(t, _objective(t.params))
            out.append(time.perf_counter() - t0)


def _echo_loop(target: str, study: str, rounds: int, out: list[float]) -> None:
    import grpc

    with grpc.insecure_channel(target) as ch:
        call = ch.unary_unary(ECHO)
        payload = b"x" * 64
        for _ in range(rounds):
            t0 = time.perf_counter()
            call(payload, timeout=30)
            out.append(time.perf_counter() - t0)


def _client_process(args: tuple[str, str, str, int, int, Any]) -> list[float]:
    kind, target, study, threads, rounds, start = args
    loop = _echo_loop if kind == "echo" else _bbo_loop
    outs: list[list[float]] = [[] for _ in range(threads)]
    ts = [threading.Thread(target=loop, args=(target, study, rounds, o)) for o in outs]
    start.wait()  # every client process starts together
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [x for o in outs for x in o]


def drive(kind: str, target: str, study: str, clients: int, rounds: int) -> dict[str, float]:
    """``clients`` concurrent clients x ``rounds`` round trips; throughput and latency."""
    procs = min(clients, 4)
    per = [clients // procs + (i < clients % procs) for i in range(procs)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(procs) as pool:
            jobs = pool.map_async(
                _client_process, [(kind, target, study, n, rounds, start) for n in per]
            )
            time.sleep(1.0 + 0.2 * procs)  # let the client processes import and connect
            t0 = time.perf_counter()
            start.set()
            lat = [x for part in jobs.get(600) for x in part]
            wall = time.perf_counter() - t0
    a = np.array(lat) * 1000
    return {
        "rps": len(lat) / wall,
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "n": len(lat),
    }


# -- scenarios -----------------------------------------------------------------------------------
def _prepare(target: str, name: str, strategy: str, history: int = 0, storage: str = "") -> None:
    """Create the study; a history of random evaluations is added straight into the storage
    (not timed), then one warm-up round trip loads the study (and its imports) server-side."""
    import bbo

    space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "y": bbo.Float(0.0, 15.0)})
    if history:
        local = bbo.Study(space, strategy=strategy, seed=0, storage=storage, name=name)
        for p in space.sample(history, np.random.default_rng(0)):
            local.add(p, _objective(p))
    with bbo.connect(target) as c:
        s = c.create_study(space, name=name, strategy=strategy, seed=0)
        s.tell(s.ask(), 1.0)


def _batch_sizes(target: str, name: str, after: int) -> float:
    """Mean number of trials created together (one q-batch), from their creation times."""
    import bbo

    with bbo.connect(target) as c:
        trials = [t for t in c.get_study(name).trials if t.id > after]
    groups: dict[float, int] = {}
    for t in trials:
        groups[t.created_at] = groups.get(t.created_at, 0) + 1
    return len(trials) / max(len(groups), 1)


def run(rounds: int, gp_rounds: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    proc, port = start_echo()
    try:
        for clients in (1, 32):
            n = rounds * 4 if clients == 1 else max(rounds // 4, 5)
            r = drive("echo", f"127.0.0.1:{port}", "", clients, n)
            rows.append({"scenario": "bare grpc.aio echo (1 RPC)", "clients": clients, **r})
    finally:
        proc.kill()
    with tempfile.TemporaryDirectory() as tmp:
        for storage in ("memory://", f"sqlite:///{tmp}/bench.db"):
            proc, port = start_bbo(storage)
            target = f"127.0.0.1:{port}"
            label = "memory" if storage.startswith("memory") else "SQLite"
            try:
                for clients in (1, 32):
                    name = f"random-{clients}"
                    _prepare(target, name, "random")
                    n = rounds if clients == 1 else max(rounds // 8, 5)
                    r = drive("bbo", target, name, clients, n)
                    rows.append({"scenario": f"random, {label}", "clients": clients, **r})
                if label == "SQLite":
                    _prepare(target, "gp", "gp", 100, storage)
                    r = drive("bbo", target, "gp", 8, gp_rounds)
                    batch = _batch_sizes(target, "gp", 100)  # ids > 100: the timed asks
                    rows.append(
                        {"scenario": f"gp, n=100, {label}", "clients": 8, **r, "batch": batch}
                    )
            finally:
                proc.kill()
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    out = [
        "| scenario | clients | round trips | round trips/s | p50 ms | p99 ms | mean q-batch |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        batch = f"{r['batch']:.1f}" if "batch" in r and math.isfinite(r["batch"]) else ""
        rps = f"{r['rps']:,.0f}" if r["rps"] >= 10 else f"{r['rps']:.2f}"
        out.append(
            f"| {r['scenario']} | {r['clients']} | {r['n']} | {rps} | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {batch} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200, help="round trips of the 1-client runs")
    p.add_argument("--gp-rounds", type=int, default=3, help="round trips per gp client")
    p.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.echo_server:
        asyncio.run(_echo_server())
        return
    print(table(run(a.rounds, a.gp_rounds)))


if __name__ == "__main__":
    main()
