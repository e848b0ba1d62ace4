"""``python -m benchmarks.storage``: ask+tell throughput of several processes on one study.

For each backend (SQLite file, PostgreSQL) and each process count: ``P`` worker processes
open the same study (strategy ``random``, so the storage dominates), wait at a common start
line, then each runs ``--trials`` ask+tell pairs. Reported: pairs per second over all
processes (total pairs / wall time from the common start to the last finish), the median
and 99th percentile of one ask+tell pair, and how often an ask lost the race to another
process (``ConcurrentUpdateError``, retried). PostgreSQL is a throwaway server
(bbo.testing.postgres) with production durability (``fsync`` and synchronous commit on),
like SQLite's ``synchronous=FULL``; both on the same local disk.

    .venv/bin/python -m benchmarks.storage                       # 1 and 4 processes, 50 each
    .venv/bin/python -m benchmarks.storage --processes 4 --trials 200 --backends postgres
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def worker(url: str, trials: int, go: str) -> dict[str, Any]:
    """One process: open the study, wait for ``go`` to exist, run ``trials`` ask+tell pairs."""
    import bbo
    import bbo.study.storage.sql  # import SQLAlchemy before the start line
    from bbo.exceptions import ConcurrentUpdateError

    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(-1.0, 1.0)})
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    study = bbo.Study(space, strategy="random", seed=0, storage=url, name="bench")
    lat: list[float] = []
    aborted = 0
    t0 = time.time()
    while len(lat) < trials:
        start = time.perf_counter()
        try:
            t = study.ask()
        except ConcurrentUpdateError:
            aborted += 1
            continue
        study.tell(t, t.params["x"] ** 2 + t.params["y"] ** 2)
        lat.append(time.perf_counter() - start)
    return {"t0": t0, "t1": time.time(), "lat": lat, "aborted": aborted}


def run(url: str, processes: int, trials: int) -> dict[str, Any]:
    """Start ``processes`` workers on ``url`` together; aggregate their reports."""
    go = Path(tempfile.mkdtemp(prefix="bbo-bench-")) / "go"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "benchmarks.storage", "--worker", url, str(trials), str(go)]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(processes)
    ]
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline() != "ready\n":
            raise RuntimeError(f"worker failed to start: {p.communicate()}")
    go.touch()
    reports = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"worker exited {p.returncode}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    lat = np.array([x for r in reports for x in r["lat"]])
    wall = max(r["t1"] for r in reports) - min(r["t0"] for r in reports)
    return {
        "processes": processes,
        "pairs": int(lat.size),
        "pairs_per_s": float(lat.size / wall),
        "p50_ms": float(np.percentile(lat, 50) * 1e3),
        "p99_ms": float(np.percentile(lat, 99) * 1e3),
        "aborted": int(sum(r["aborted"] for r in reports)),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", default="1,4", help="comma-separated process counts")
    ap.add_argument("--trials", type=int, default=50, help="ask+tell pairs per process")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--worker", nargs=3, metavar=("URL", "TRIALS", "GO"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        url, trials, go = args.worker
        print(json.dumps(worker(url, int(trials), go)))
        return

    from bbo.testing.postgres import PostgresServer, postgres_unavailable

    counts = [int(c) for c in args.processes.split(",")]
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bbo-bench-"))
    pg: PostgresServer | None = None
    try:
        for backend in args.backends.split(","):
            for i, p in enumerate(counts):
                if backend == "sqlite":
                    url = f"sqlite:///{tmp / f'bench{i}.db'}"
                elif backend == "postgres":
                    why = postgres_unavailable()
                    if why is not None:
                        print(f"postgres skipped: {why}", file=sys.stderr)
                        break
                    pg = pg or PostgresServer(durable=True).start()
                    url = pg.create_database(f"bench{i}")
                else:
                    raise SystemExit(f"unknown backend {backend!r}: use sqlite or postgres")
                row = {"backend": backend, **run(url, p, args.trials)}
                rows.append(row)
                print(
                    f"{backend:9s} {p} proc  {row['pairs']:5d} pairs  "
                    f"{row['pairs_per_s']:7.1f} pairs/s  p50 {row['p50_ms']:6.1f} ms  "
                    f"p99 {row['p99_ms']:6.1f} ms  aborted asks {row['aborted']}",
                    flush=True,
                )
    finally:
        if pg is not None:
            pg.stop()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
