"""``python -m benchmarks.speed``: seconds per ask at history sizes 100, 1000 and 5000,
and the seconds a whole study spends in asks.

**History sizes.** For each (method, problem, n): a fresh single-threaded process tells the
method ``n`` uniformly random points of the problem (seeded; not timed), asks once to warm
up, then times ``--asks`` further asks (each followed by a tell of its result) and reports
the median. A measurement that runs past its time budget (``--max-seconds`` per ask) is
killed and marked ``>limit``, and the method is skipped at larger sizes of that problem.

**Whole studies** (``--studies problem:budget,...``; default ``hartmann6:60,ackley20:150``,
empty to skip): for each (method, study) a fresh single-threaded process first runs a
short untimed study of the method (:func:`warm_up`, another seed): what a method imports
lazily at its first model-based ask (bbo: botorch, gpytorch and, where it is installed,
the jax that botorch pulls in; GPSampler: its ``optuna._gp`` modules) is then loaded for
every method alike, as torch is by the harness. Then it runs the study from its first ask
to its last (seed 0, ask then tell, one evaluation at a time) and reports the seconds
spent in asks (the warm-up's apart: ``warm_up_s``) and the final simple regret, so that
speed is never read apart from what it bought. This is
where most users live: 20-150 evaluations, the hyperparameters refitted at almost every
ask.

**A device** (``--device cuda``): ``bbo-auto``'s ``ask(8)`` with 256 restarts at
``n = 1,000`` on that runtime device and on the CPU, each in a fresh process
(:func:`benchmarks.speed_scenarios.measure_device`; ``unavailable`` where torch has no
such device).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.methods import Optimizer, make_optimizer
from benchmarks.problems import PROBLEMS, Instance, make_problem

SIZES = [100, 1000, 5000]
STUDIES = [("hartmann6", 60), ("ackley20", 150)]
_BUILD_ALLOWANCE_S = 300.0  # telling a large history is not timed but must fit too


def with_history(
    method: str, problem: str, n: int, asks: int, seed: int = 0
) -> tuple[Optimizer, Instance, np.random.Generator]:
    """A single-threaded ``method`` on ``problem`` that has been told ``n`` uniformly random
    points (seeded), with room for ``asks + 1`` more; the instance and the generator of its
    observations."""
    harness.single_thread()
    instance = make_problem(problem, seed)
    opt = make_optimizer(method, instance, seed, n + asks + 1)
    rng = np.random.default_rng([seed, n, 99])
    for params in instance.space.sample(n, rng):
        opt.add(params, instance.observe(params, rng))
    return opt, instance, rng


def measure(method: str, problem: str, n: int, asks: int, seed: int = 0) -> dict[str, Any]:
    """Seconds per ask of ``method`` after a history of ``n`` random points."""
    opt, instance, rng = with_history(method, problem, n, asks, seed)
    times = []
    for i in range(asks + 1):
        start = time.perf_counter()
        params = opt.ask()
        elapsed = time.perf_counter() - start
        opt.tell(params, instance.observe(params, rng))
        if i > 0:  # the first ask is the warm-up
            times.append(elapsed)
    return {"median_s": float(np.median(times)), "times_s": times, "status": "ok"}


WARM_UP = 12  # evaluations of the untimed study that imports what a method needs


def warm_up(method: str, problem: str) -> float:
    """Run a short untimed study of ``method`` on ``problem`` (another seed), so that the
    libraries a method imports lazily at its first model-based ask (bbo: botorch and
    gpytorch; Optuna's GPSampler: its ``optuna._gp`` modules after 10 random trials) are
    loaded before a timed study starts; returns its seconds (the imports, mostly)."""
    instance = make_problem(problem, 12345)
    opt = make_optimizer(method, instance, 12345, WARM_UP)
    rng = np.random.default_rng(12345)
    start = time.perf_counter()
    for _ in range(WARM_UP):
        params = opt.ask()
        opt.tell(params, instance.observe(params, rng))
    return time.perf_counter() - start


def measure_study(method: str, problem: str, budget: int, seed: int = 0) -> dict[str, Any]:
    """Seconds in asks of a whole ``budget``-evaluation study of ``method`` on ``problem``
    (after :func:`warm_up`: library imports are not counted, for any method), and its final
    simple regret (true value of the best observed point minus the optimum)."""
    harness.single_thread()
    warm_s = warm_up(method, problem)
    instance = make_problem(problem, seed)
    opt = make_optimizer(method, instance, seed, budget)
    rng = np.random.default_rng([seed, budget, 98])
    times, best = [], float("inf")
    for _ in range(budget):
        start = time.perf_counter()
        params = opt.ask()
        times.append(time.perf_counter() - start)
        metrics = instance.observe(params, rng)
        opt.tell(params, metrics)
        if instance.feasible(metrics):
            best = min(best, instance.true(params))
    return {
        "total_s": float(sum(times)),
        "median_s": float(np.median(times)),
        "max_s": float(max(times)),
        "regret": best - instance.optimum,
        "warm_up_s": warm_s,
        "status": "ok",
    }


def _worker(job: dict[str, Any], limit: float) -> dict[str, Any]:
    """The JSON answer of a fresh ``benchmarks.speed --worker`` process for ``job``, with
    ``wall_s``; ``status`` ``limit`` when it ran past ``limit`` seconds, ``error`` (with the
    stderr tail) when it failed."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.speed", "--worker", json.dumps(job)],
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "limit", "wall_s": time.perf_counter() - start}
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"status": "error", "error": proc.stderr[-2000:]}
    return {**json.loads(lines[-1]), "wall_s": wall}


def _measure_in_subprocess(
    method: str, problem: str, n: int, asks: int, max_seconds: float, study: bool = False
) -> dict[str, Any]:
    """A fresh process's :func:`measure` (or, with ``study``, :func:`measure_study` of an
    ``n``-evaluation study); ``status`` ``limit`` when it ran past its time budget."""
    cell: dict[str, Any] = {"method": method, "problem": problem, "n": n}
    job = {"method": method, "problem": problem, "n": n, "asks": asks, "study": study}
    limit = _BUILD_ALLOWANCE_S + (n if study else asks + 1) * max_seconds
    cell |= _worker(job, limit)
    if cell["status"] == "ok" and cell["median_s"] > max_seconds and not study:
        cell["status"] = "limit"
    return cell


def _scenarios(args: argparse.Namespace, methods: Sequence[str]) -> list[dict[str, Any]]:
    """The jobs of :mod:`benchmarks.speed_scenarios` this run measures: ``ask(--batch)`` of
    ``bbo-auto`` at ``n = 100`` on the first problem, the two-objective asks at ``n = 50``
    of ``bbo-auto`` and ``optuna-gp`` (those of ``methods``), and ``bbo-auto``'s single ask
    on the 7-D ``mixed`` problem at ``n = 100`` (``--mixed-scenario``)."""
    jobs: list[dict[str, Any]] = []
    if args.batch > 1 and "bbo-auto" in methods:
        jobs.append({"scenario": "batch", "problem": args.problems[0], "n": 100, "q": args.batch})
    if args.two_objective:
        jobs += [
            {"scenario": "two-objective", "method": m, "n": 50}
            for m in ("bbo-auto", "optuna-gp")
            if m in methods
        ]
    if args.mixed_scenario and "bbo-auto" in methods:
        jobs.append({"scenario": "mixed", "method": "bbo-auto", "problem": "mixed", "n": 100})
    if args.device and "bbo-auto" in methods:
        device = {"scenario": "device", "problem": args.problems[0], "n": 1000, "q": 8}
        jobs += [{**device, "device": d} for d in dict.fromkeys([args.device, "cpu"])]
    return [{**job, "asks": args.asks} for job in jobs]


def _run_scenario(job: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import speed_scenarios

    if job["scenario"] == "batch":
        return speed_scenarios.measure_batch(job["problem"], job["n"], job["q"], job["asks"])
    if job["scenario"] == "mixed":
        return measure(job["method"], job["problem"], job["n"], job["asks"])
    if job["scenario"] == "device":
        return speed_scenarios.measure_device(
            job["device"], job["problem"], job["n"], job["q"], job["asks"]
        )
    return speed_scenarios.measure_two_objective(job["method"], job["n"], job["asks"])


def _scenario_cell(job: dict[str, Any], limit: float, burner: bool) -> dict[str, Any]:
    """A scenario measured in a fresh process; with ``burner``, again beside a CPU-burning
    process, its seconds stored under ``burner_<key>`` (``burner_batch_s``, ...)."""
    cell = {**job, **_worker(job, limit)}
    if burner and cell["status"] == "ok":
        hog = _burning()
        try:
            busy = _worker(job, limit)
        finally:
            hog.kill()
            hog.wait()
        if busy["status"] == "ok":
            keys = ("median_s", "batch_s", "single_s")
            cell |= {f"burner_{k}": busy[k] for k in keys if k in busy}
    return cell


def _burning() -> subprocess.Popen[bytes]:
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _series(
    method: str,
    problem: str,
    sizes: Sequence[int],
    asks: int,
    max_seconds: float,
    burner: bool = False,
) -> list[dict[str, Any]]:
    """Measure increasing sizes until one hits the limit (with ``burner``: again while a
    busy-looping process runs, as ``burner_median_s``)."""
    out = []
    for n in sizes:
        cell = _measure_in_subprocess(method, problem, n, asks, max_seconds)
        status = cell["status"]
        if burner and status == "ok":
            hog = _burning()
            try:
                busy = _measure_in_subprocess(method, problem, n, asks, max_seconds)
            finally:
                hog.kill()
                hog.wait()
            if busy["status"] == "ok":
                cell["burner_median_s"] = busy["median_s"]
        shown = f"{cell['median_s']:.3g}s/ask" if status == "ok" else status
        if "burner_median_s" in cell:
            shown += f", {cell['burner_median_s']:.3g}s/ask with a burner"
        print(f"{method} {problem} n={n}: {shown}", file=sys.stderr, flush=True)
        out.append(cell)
        if status != "ok":
            break
    return out


def _median_studies(cells: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One cell per (method, problem, budget) from its repeated measurements (the methods
    took turns): ``total_s`` the median of the runs that finished, ``totals_s`` all of them
    (the regret is the same in every run: one seed)."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for c in cells:
        groups.setdefault((c["method"], c["problem"], c["n"]), []).append(c)
    out = []
    for runs in groups.values():
        ok = [c for c in runs if c.get("status") == "ok"]
        if not ok:
            out.append(runs[0])
            continue
        totals = [c["total_s"] for c in ok]
        out.append({**ok[0], "total_s": float(np.median(totals)), "totals_s": totals})
    return out


def _studies(text: str) -> list[tuple[str, int]]:
    out = []
    for item in harness.csv(text):
        problem, _, budget = item.partition(":")
        if not budget.isdigit() or int(budget) < 1:
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected problem:budget, e.g. hartmann6:60"
            )
        out.append((problem, int(budget)))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__)
    harness.add_common_args(p)
    p.add_argument("--sizes", type=lambda s: [int(x) for x in harness.csv(s)])
    p.add_argument("--asks", type=int, help="timed asks per cell (default 2; full 3)")
    p.add_argument("--max-seconds", type=float, help="per-ask limit (default 20; full 120)")
    p.add_argument(
        "--burner",
        action="store_true",
        help="also measure every ask (and scenario) with a CPU-burning process on another core",
    )
    p.add_argument(
        "--studies",
        type=_studies,
        default=STUDIES,
        help="whole studies to time, as problem:budget,... (default hartmann6:60,ackley20:150; "
        "empty: none)",
    )
    p.add_argument(
        "--study-repeats",
        type=int,
        default=1,
        help="time every study this many times, methods taking turns, and report the median "
        "(a noisy machine: 3 or 5)",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=8,
        help="also time bbo-auto's ask(q) at n=100 against its single ask (default 8; 0: no)",
    )
    p.add_argument(
        "--two-objective",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time asks on a 2-objective problem at n=50 (bbo-auto, optuna-gp)",
    )
    p.add_argument(
        "--mixed-scenario",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time bbo-auto's single ask on the 7-D mixed problem at n=100",
    )
    p.add_argument(
        "--device",
        help="also time bbo-auto's ask(8) with 256 restarts at n=1000 on this runtime device "
        "(e.g. cuda) and on the CPU",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.problems = args.problems or (["hartmann6", "mixed"] if args.full else ["hartmann6"])
    args.sizes = args.sizes or (SIZES if args.full else [100, 1000])
    args.asks = args.asks or (3 if args.full else 2)
    args.max_seconds = args.max_seconds or (120.0 if args.full else 20.0)
    unknown = [x for x in [*args.problems, *(p for p, _ in args.studies)] if x not in PROBLEMS]
    if unknown:
        p.error(f"unknown problem(s) {unknown}; choose from {list(PROBLEMS)}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every (method, problem) series with ``--jobs`` concurrent subprocesses."""
    methods = harness.ensure_peers(harness.select_methods(args), not args.no_install)
    start = time.perf_counter()
    series = [(m, p) for p in args.problems for m in methods]
    with ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        parts = pool.map(
            lambda mp: _series(mp[0], mp[1], args.sizes, args.asks, args.max_seconds, args.burner),
            series,
        )
        cells = [c for part in parts for c in part]
        repeats = max(args.study_repeats, 1)
        studies = _median_studies(
            list(
                pool.map(
                    lambda job: _measure_in_subprocess(*job, 0, args.max_seconds, study=True),
                    [(m, p, b) for _ in range(repeats) for p, b in args.studies for m in methods],
                )
            )
        )
        limit = _BUILD_ALLOWANCE_S + 4 * (args.asks + 1) * args.max_seconds
        scenarios = list(
            pool.map(lambda job: _scenario_cell(job, limit, args.burner), _scenarios(args, methods))
        )
    for c in studies:
        shown = f"{c['total_s']:.3g}s in asks" if c["status"] == "ok" else c["status"]
        print(f"{c['method']} {c['problem']} study of {c['n']}: {shown}", file=sys.stderr)
    return {
        "kind": "speed",
        **harness.meta(args),
        "methods": methods,
        "problems": args.problems,
        "sizes": args.sizes,
        "asks": args.asks,
        "max_seconds": args.max_seconds,
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - start,
        "cells": cells,
        "studies": studies,
        "scenarios": scenarios,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    from benchmarks.report import speed_report

    args = parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        if "scenario" in job:
            cell = _run_scenario(job)
        elif job.get("study"):
            cell = measure_study(job["method"], job["problem"], job["n"])
        else:
            cell = measure(job["method"], job["problem"], job["n"], job["asks"])
        print(json.dumps(cell))
        sys.stdout.flush()
        # exit without joining library threads: Nevergrad's recast optimizers (Powell, ...)
        # keep a non-daemon thread waiting for tells that never come, which blocks exit
        os._exit(0)
    results = run(args)
    print(speed_report(results))
    path = harness.save(args.out, "speed", results, speed_report(results, markdown=True))
    print(f"saved {path} and {path.with_suffix('.md')}")
    return results


if __name__ == "__main__":
    main()
