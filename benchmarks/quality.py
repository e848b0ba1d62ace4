"""``python -m benchmarks.quality``: simple regret of bbo and its peers on the same problems,
budgets and seeds, in one run.

Every (method, problem, seed) is one job of ``max(--budget-mult) x d`` sequential
evaluations; the regret after ``m x d`` evaluations is read off the same run for every
``m`` in ``--budget-mult``. Jobs run in a pool of ``--jobs`` single-threaded processes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import harness
from benchmarks.jobs import quality_job
from benchmarks.problems import PROBLEMS
from benchmarks.report import quality_report

SMALL: dict[str, Any] = {
    "problems": ["branin", "branin-constrained", "hartmann6"],
    "seeds": 2,
    "budget_mult": [5, 10],
}
FULL: dict[str, Any] = {"problems": list(PROBLEMS), "seeds": 5, "budget_mult": [10, 20]}
# rough relative cost per evaluation, to start the slow jobs first
_COST = {"botorch-vanilla": 50.0, "optuna-gp": 10.0, "bbo-gp": 30.0, "bbo-auto": 30.0}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__)
    harness.add_common_args(p)
    p.add_argument("--seeds", type=int, help="number of seeds 0..S-1 (default 2; full 5)")
    p.add_argument(
        "--budget-mult",
        type=lambda s: [int(x) for x in harness.csv(s)],
        help="budgets as multiples of d, e.g. 10,20 (default 5,10; full 10,20)",
    )
    args = p.parse_args(argv)
    preset = FULL if args.full else SMALL
    args.problems = args.problems or preset["problems"]
    args.seeds = args.seeds or preset["seeds"]
    args.budget_mult = sorted(args.budget_mult or preset["budget_mult"])
    unknown = [x for x in args.problems if x not in PROBLEMS]
    if unknown:
        p.error(f"unknown problem(s) {unknown}; choose from {list(PROBLEMS)}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark described by ``args``; return the results (also saved)."""
    methods = harness.ensure_peers(harness.select_methods(args), not args.no_install)
    top = max(args.budget_mult)
    jobs = [(m, p, s, top) for p in args.problems for m in methods for s in range(args.seeds)]
    jobs.sort(key=lambda j: -_COST.get(j[0], 1.0) * PROBLEMS[j[1]](0).dim)
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"quality-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    print(f"finished runs are appended to {log}", file=sys.stderr)
    runs = harness.run_jobs(quality_job, jobs, args.jobs, log)
    log.unlink(missing_ok=True)  # complete: the JSON written by main() holds every run
    results: dict[str, Any] = {
        "kind": "quality",
        **harness.meta(args),
        "methods": methods,
        "problems": args.problems,
        "seeds": list(range(args.seeds)),
        "budget_mults": args.budget_mult,
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - start,
        "runs": sorted(runs, key=lambda r: (r["problem"], r["method"], r["seed"])),
    }
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    results = run(args)
    print(quality_report(results))
    path = harness.save(args.out, "quality", results, quality_report(results, markdown=True))
    print(f"saved {path} and {path.with_suffix('.md')}")
    return results


if __name__ == "__main__":
    main()
