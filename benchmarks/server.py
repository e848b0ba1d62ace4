"""``python -m benchmarks.server``: ask+tell round trips per second and their latency
through ``bbo serve``.

The server runs as users run it (``bbo serve`` in its own process, loopback port). Clients
run in two client processes, each an asyncio loop of concurrent clients calling the
generated stubs as a client in any language would; each client loops ask -> evaluate (a
closed-form function, microseconds) -> tell and times every round trip (two RPCs).
Scenarios:

* ``random``, 1 and 32 concurrent clients, on the in-memory storage and on a SQLite file;
  and 32 clients of the Python client library (``bbo.connect``, blocking calls in threads);
* ``random`` on SQLite, 32 clients, in a study that already holds 10,000 trials, one whose
  first 5 trials were ABANDONED (their leases ran out), and one with both: throughput must
  not fall as a study grows or when some trials never finish;
* ``gp`` after a history of n = 100 evaluations, 8 concurrent clients (their Asks are
  coalesced into q-batches: the mean batch size is reported);
* ``random`` on one PostgreSQL database, 32 clients on one ``bbo serve`` process and on two
  sharing the study (where PostgreSQL can be run here: ``scripts/deps/postgres.sh``);
* the ceiling: a bare Python ``grpc.aio`` echo server (no work), two calls per round trip,
  measured in the same run with the same client code.

Peers (Optuna, Ax, Vizier) are not compared: none ships a comparable ask/tell gRPC server
in its Python package (OSS Vizier's needs its own service stack). The default sizes take
about a minute; ``--rounds`` scales them, ``--only`` picks scenarios. The table is printed
and written to ``benchmarks/results/server-<stamp>.{json,md}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from pathlib import Path
from typing import Any

import numpy as np

ECHO = "/bench.Echo/Call"
RESULTS = Path(__file__).parent / "results"


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


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` used so far; NaN where /proc is
    missing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(proc: subprocess.Popen[str], *args: Any) -> dict[str, float]:
    """:func:`drive` ``(*args)``, with the server's CPU time per round trip (``cpu``, ms):
    what a round trip costs the server whatever else loads the machine."""
    c0 = _cpu_seconds(proc.pid)
    r = drive(*args)
    return {**r, "cpu": 1000 * (_cpu_seconds(proc.pid) - c0) / r["n"]}


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


async def _raw_loop(target: str, study: str, clients: int, rounds: int) -> list[float]:
    """``clients`` concurrent loops on one channel with the generated stubs, as a client in
    any language would call the server (no Python client library in the way)."""
    import grpc

    from bbo.api.v1 import optimizer_pb2 as pb
    from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc

    out: list[float] = []
    async with grpc.aio.insecure_channel(target) as ch:
        stub = pb_grpc.OptimizerStub(ch)
        echo = ch.unary_unary(ECHO)

        async def bbo_loop() -> None:
            for _ in range(rounds):
                t0 = time.perf_counter()
                (t,) = (await stub.Ask(pb.AskRequest(study=study, count=1), timeout=30)).trials
                x = {k: v.double_value for k, v in t.params.items()}
                req = pb.TellRequest(study=study, trial_id=t.id, value=_objective(x))
                await stub.Tell(req, timeout=30)
                out.append(time.perf_counter() - t0)

        async def echo_loop() -> None:
            for _ in range(rounds):
                t0 = time.perf_counter()
                await echo(b"x" * 64, timeout=30)  # two RPCs, like an ask and a tell
                await echo(b"x" * 64, timeout=30)
                out.append(time.perf_counter() - t0)

        await asyncio.gather(*[(echo_loop if study == "" else bbo_loop)() for _ in range(clients)])
    return out


def _client_loop(target: str, study: str, rounds: int, out: list[float]) -> None:
    """One ``bbo.connect`` client (the Python client library, blocking calls)."""
    import bbo

    with bbo.connect(target) as client:
        s = client.get_study(study)
        for _ in range(rounds):
            t0 = time.perf_counter()
            t = s.ask()
            s.tell(t, _objective(t.params))
            out.append(time.perf_counter() - t0)


def _client_process(args: tuple[str, str, str, int, int, Any]) -> list[float]:
    kind, target, study, clients, rounds, start = args
    if kind == "client":  # threads, each a bbo.connect client
        outs: list[list[float]] = [[] for _ in range(clients)]
        ts = [threading.Thread(target=_client_loop, args=(target, study, rounds, o)) for o in outs]
        start.wait()  # every client process starts together
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return [x for o in outs for x in o]
    start.wait()
    return asyncio.run(_raw_loop(target, study, clients, rounds))


def drive(
    kind: str, target: str | Sequence[str], study: str, clients: int, rounds: int
) -> dict[str, float]:
    """``clients`` concurrent clients x ``rounds`` round trips (ask + tell, or two echo
    calls), spread over two client processes; throughput and latency. ``kind``: ``raw``
    (generated stubs on grpc.aio) or ``client`` (``bbo.connect``). Several targets (server
    processes sharing one database): client process ``i`` calls ``target[i % len]``."""
    targets = [target] if isinstance(target, str) else list(target)
    procs = min(clients, 2)
    per = [clients // procs + (i < clients % procs) for i in range(procs)]
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(procs) as pool:
            jobs = pool.map_async(
                _client_process,
                [
                    (kind, targets[i % len(targets)], study, n, rounds, start)
                    for i, n in enumerate(per)
                ],
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
def _prepare(
    target: str,
    name: str,
    strategy: str,
    history: int = 0,
    storage: str = "",
    abandoned: int = 0,
) -> None:
    """Create the study; ``abandoned`` trials asked with a lease that expires at once come
    first, then a history of ``history`` random evaluations, added straight into the storage
    in one transaction (not timed); then one warm-up round trip loads the study (and its
    imports) server-side, and finds the expired leases."""
    import bbo
    from bbo.study.storage.base import NewTrial
    from bbo.trial import TrialState

    space = bbo.Space({"x": bbo.Float(-5.0, 10.0), "y": bbo.Float(0.0, 15.0)})
    if history or abandoned:
        local = bbo.Study(space, strategy=strategy, seed=0, storage=storage, name=name)
        for _ in range(abandoned):
            local.ask(client_id="gone", lease=1e-3)
        new = [
            NewTrial(p, TrialState.COMPLETED, {"value": v}, v, attrs={"source": "user"})
            for p in space.sample(history, np.random.default_rng(0))
            for v in [_objective(p)]
        ]
        if new:
            local.storage.create_trials(local.storage.get_study(name).id, new)
        time.sleep(0.01)  # the leases are over
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


SCENARIOS = ("memory", "client", "sqlite", "growth", "gp")  # --only picks among these


def run(rounds: int, gp_rounds: int, only: Sequence[str] = SCENARIOS) -> list[dict[str, Any]]:
    """The echo, then the ``only`` scenarios: ``memory`` (random, in-memory, 1 and 32
    clients), ``client`` (bbo.connect), ``sqlite`` (1 and 32), ``growth`` (10,000 trials,
    ABANDONED trials) and ``gp``."""
    rows: list[dict[str, Any]] = []

    def sizes(clients: int) -> int:  # round trips per client
        return rounds if clients == 1 else max(rounds // 4, 5)

    proc, port = start_echo()
    try:
        for clients in (1, 32):
            r = timed(proc, "raw", f"127.0.0.1:{port}", "", clients, sizes(clients))
            rows.append({"scenario": "bare grpc.aio echo", "clients": clients, **r})
    finally:
        proc.kill()
    with tempfile.TemporaryDirectory() as tmp:
        for storage in ("memory://", f"sqlite:///{tmp}/bench.db"):
            label = "memory" if storage.startswith("memory") else "SQLite"
            mine = {"memory": {"memory", "client"}, "SQLite": {"sqlite", "growth", "gp"}}
            if not mine[label] & set(only):
                continue
            proc, port = start_bbo(storage)
            target = f"127.0.0.1:{port}"
            try:
                for clients in (1, 32) if label.lower() in only else ():
                    name = f"random-{clients}"
                    _prepare(target, name, "random")
                    r = timed(proc, "raw", target, name, clients, sizes(clients))
                    rows.append({"scenario": f"random, {label}", "clients": clients, **r})
                if label == "memory" and "client" in only:  # through the Python client
                    _prepare(target, "random-client", "random")
                    r = timed(proc, "client", target, "random-client", 32, sizes(32))
                    rows.append({"scenario": "random, memory, bbo.connect", "clients": 32, **r})
                if label == "SQLite" and "growth" in only:  # must not fall as the study grows
                    for history, abandoned in ((10_000, 0), (0, 5), (10_000, 5)):
                        name = f"random-{history}-{abandoned}"
                        _prepare(target, name, "random", history, storage, abandoned)
                        r = timed(proc, "raw", target, name, 32, sizes(32))
                        what = " and ".join(
                            f"{k:,} {w}"
                            for k, w in ((history, "trials"), (abandoned, "ABANDONED first"))
                            if k
                        )
                        rows.append({"scenario": f"random, {label}, {what}", "clients": 32, **r})
                if label == "SQLite" and "gp" in only:
                    _prepare(target, "gp", "gp", 100, storage)
                    r = timed(proc, "raw", target, "gp", 8, gp_rounds)
                    batch = _batch_sizes(target, "gp", 100)  # ids > 100: the timed asks
                    rows.append(
                        {"scenario": f"gp, n=100, {label}", "clients": 8, **r, "batch": batch}
                    )
            finally:
                proc.kill()
    return rows


def run_postgres(rounds: int) -> list[dict[str, Any]]:
    """``random`` on one PostgreSQL database (a private, durable server:
    :class:`bbo.testing.postgres.PostgresServer`), 32 clients on one ``bbo serve`` and then
    16 on each of two ``bbo serve`` processes sharing the study: whether a second server
    process adds throughput. Empty (with a note) where PostgreSQL cannot be run here."""
    from bbo.testing.postgres import PostgresServer, postgres_unavailable

    why = postgres_unavailable()
    if why is not None:
        print(f"PostgreSQL scenarios skipped: {why}")
        return []
    rows: list[dict[str, Any]] = []
    clients = 32
    with PostgresServer(durable=True) as pg:
        url = pg.create_database("bench")
        procs = [start_bbo(url), start_bbo(url)]
        try:
            targets = [f"127.0.0.1:{port}" for _, port in procs]
            for servers in (1, 2):
                name = f"random-pg-{servers}"
                _prepare(targets[0], name, "random")
                r = drive("raw", targets[:servers], name, clients, max(rounds // 4, 5))
                label = f"random, PostgreSQL, {servers} server process" + "es" * (servers > 1)
                rows.append({"scenario": label, "clients": clients, **r})
        finally:
            for proc, _ in procs:
                proc.kill()
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows, with each scenario's round trips/s as a share of the bare echo server's at
    the same number of clients (issue 15's targets: 32 clients at >= 60 % on the in-memory
    storage and >= 40 % on SQLite, p99 < 50 ms), and the server's CPU time per round trip
    (ms; the echo's is the floor that grpc itself costs)."""
    echo = {r["clients"]: r["rps"] for r in rows if r["scenario"].startswith("bare")}
    out = [
        "| scenario | clients | round trips | round trips/s | of echo | p50 ms | p99 ms "
        "| server CPU ms | mean q-batch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        batch = f"{r['batch']:.1f}" if "batch" in r and math.isfinite(r["batch"]) else ""
        rps = f"{r['rps']:,.0f}" if r["rps"] >= 10 else f"{r['rps']:.2f}"
        ref = echo.get(r["clients"])
        share = (
            f"{100 * r['rps'] / ref:.0f} %" if ref and not r["scenario"].startswith("bare") else ""
        )
        out.append(
            f"| {r['scenario']} | {r['clients']} | {r['n']} | {rps} | {share} | "
            f"{r['p50']:.1f} | {r['p99']:.1f} | {r.get('cpu', math.nan):.2f} | {batch} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200, help="round trips of the 1-client runs")
    p.add_argument("--gp-rounds", type=int, default=3, help="round trips per gp client")
    p.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL runs")
    p.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios among {','.join(SCENARIOS)} (the echo always runs)",
    )
    p.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.echo_server:
        asyncio.run(_echo_server())
        return
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    unknown = sorted(set(only) - set(SCENARIOS))
    if unknown:
        p.error(f"--only: unknown scenario(s) {unknown}; choose among {list(SCENARIOS)}")
    rows = run(a.rounds, a.gp_rounds, only)
    if not a.no_postgres:
        rows += run_postgres(a.rounds)
    text = table(rows)
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"server-{stamp}.json").write_text(
        json.dumps({"args": vars(a), "rows": rows}, indent=1) + "\n"
    )
    (RESULTS / f"server-{stamp}.md").write_text(text + "\n")
    print(f"written to benchmarks/results/server-{stamp}.{{json,md}}")


if __name__ == "__main__":
    main()
