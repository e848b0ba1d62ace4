"""Shared plumbing of the quality and speed benchmarks: peers, threads, method lists, output."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import importlib.util
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from benchmarks.methods import PEERS, available, bbo_names, default_methods

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
REQUIREMENTS = ROOT / "requirements.txt"
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def single_thread() -> None:
    """One thread for BLAS and torch in this process (call first in every worker), and no
    library chatter (deprecation / experimental / convergence warnings) on stderr."""
    warnings.simplefilter("ignore", FutureWarning)
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", RuntimeWarning)  # botorch's "optimization failed, retrying"
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)


def run_jobs(
    fn: Callable[..., dict[str, Any]],
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    log: Path | None = None,
) -> list[dict[str, Any]]:
    """``fn(*job)`` for every job (a module-level function returning a run record with
    ``method``, ``problem``, ``seed``, ``wall_s``, ``error`` and ``trace``): inline when
    ``workers <= 1``, else in a pool of single-threaded spawned processes. Prints progress
    to stderr and appends each finished record to ``log`` (JSON lines), so an interrupted
    run keeps them."""
    records: list[dict[str, Any]] = []
    start = time.perf_counter()

    def done(rec: dict[str, Any]) -> None:
        records.append(rec)
        if log is not None:
            with log.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
        status = f"ERROR {rec['error']}" if rec["error"] else f"final regret {rec['trace'][-1]:.3g}"
        print(
            f"[{len(records)}/{len(jobs)} {time.perf_counter() - start:6.0f}s] {rec['method']} "
            f"{rec['problem']} seed={rec['seed']}: {rec['wall_s']:.1f}s, {status}",
            file=sys.stderr,
            flush=True,
        )

    if workers <= 1:
        single_thread()
        for job in jobs:
            done(fn(*job))
        return records
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=single_thread) as pool:
        for fut in as_completed([pool.submit(fn, *job) for job in jobs]):
            done(fut.result())
    return records


def csv(text: str) -> list[str]:
    """Split on the commas outside brackets (``bbo-auto[sources=[de,local]],random`` is two
    items)."""
    items, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    return [t.strip() for t in items if t.strip()]


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problems", type=csv, help="comma-separated problem names")
    p.add_argument(
        "--bbo",
        type=csv,
        help="bbo strategies to run as bbo-<name> (default: auto,gp,sobol,"
        "random, those registered)",
    )
    p.add_argument(
        "--methods", type=csv, help="comma-separated methods (bbo-<name> and peers) to run"
    )
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument(
        "--full",
        action="store_true",
        help="the complete preset (every problem, 5 seeds; hours on 2 cores); the default "
        "is a small preset that finishes in minutes",
    )
    p.add_argument("--no-install", action="store_true", help="never pip-install the peers")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for JSON and Markdown")


def load_runs(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """The error-free run records of result files: a saved ``.json`` (its ``runs``) or a
    ``.partial.jsonl`` (one record per line)."""
    runs: list[dict[str, Any]] = []
    for path in paths:
        text = Path(path).read_text()
        if str(path).endswith(".jsonl"):
            runs += [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            runs += json.loads(text)["runs"]
    return [r for r in runs if not r.get("error") and r.get("trace")]


def select_methods(args: argparse.Namespace) -> list[str]:
    """``--methods`` if given, else bbo-<--bbo> plus every peer; unknown names are errors."""
    bbo = args.bbo if args.bbo is not None else bbo_names()
    methods = args.methods if args.methods is not None else default_methods(bbo)
    valid = set(default_methods(bbo)) | {f"bbo-{n}" for n in bbo}
    bad = [m for m in methods if m not in valid and not m.startswith("bbo-")]
    if bad:
        sys.exit(f"unknown method(s) {bad}; choose from {sorted(valid)}")
    return methods


def ensure_peers(methods: list[str], install: bool) -> list[str]:
    """Install benchmarks/requirements.txt when a requested peer is missing (unless
    ``install`` is false); return the methods that can run, warning about the rest."""
    missing = [m for m in methods if m in PEERS and not available(m)]
    if missing and install:
        print(f"installing peers for {missing} from {REQUIREMENTS}", file=sys.stderr)
        cmd = [sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
        subprocess.run(cmd, check=False)
        importlib.invalidate_caches()
    runnable = [m for m in methods if available(m)]
    for m in methods:
        if m not in runnable:
            print(f"skipping {m}: its package is not importable", file=sys.stderr)
    return runnable


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Versions of bbo and of the installed peers (from package metadata, no imports)."""
    out: dict[str, str] = {"python": platform.python_version()}
    peers = ("optuna", "greenlet", "nevergrad", "cmaes", "smac", "google-vizier", "jax")
    for pkg in ("bbo", *peers, "coco-experiment", "botorch", "torch", "numpy"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        "versions": versions(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }


def save(out_dir: Path, kind: str, payload: dict[str, Any], markdown: str) -> Path:
    """Write ``<kind>-<timestamp>.json`` and ``.md`` under ``out_dir``; return the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=1))
    path.with_suffix(".md").write_text(markdown)
    return path
