"""``python -m benchmarks.quality``: simple regret of bbo and its peers on the same problems,
budgets and seeds, in one run.

Every (method, problem, seed) is one job of ``max(--budget-mult) x d`` sequential
evaluations; the regret after ``m x d`` evaluations is read off the same run for every
``m`` in ``--budget-mult``. ``d`` is the problem's dimension, except for the 100-D and
200-D problems of the ``high-dim`` family, whose budgets are ``m x 10`` (a GP run of
``10 x 100`` evaluations in 100-D would take hours). Jobs run in a pool of ``--jobs``
single-threaded processes.

Problems come in families (``benchmarks.problems.FAMILIES``: classic, mixed, noise,
constrained, high-dim, bbob); ``--families bbob,noise`` keeps the preset's problems of those
families (with ``--full``: every problem of them), ``--problems`` adds named ones. The
small default preset (2 seeds, budget 5 x d) has a few problems of every family; ``--full``
has every problem (132), 5 seeds, budgets 10 x d and 20 x d.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import harness
from benchmarks.jobs import quality_job
from benchmarks.problems import FAMILIES, PROBLEMS, family_of, problem_dims
from benchmarks.report import ecdf_plot, quality_report

# A few problems of every family (one or two each): about 8-12 minutes on 2 cores with the
# default methods (bbo-auto, bbo-gp, bbo-sobol, bbo-random and the six peers).
SMALL: dict[str, Any] = {
    "problems": [
        "branin",
        "hartmann6",
        "mixed",
        "mixed-logint",
        "hartmann6-noise5",
        "branin-hetnoise20",
        "branin-constrained",
        "hartmann6-constrained",
        "hartmann6-emb100",
        "bbob-f15-d5",
        "bbob-f21-d2",
    ],
    "seeds": 2,
    "budget_mult": [5],
}
FULL: dict[str, Any] = {"problems": list(PROBLEMS), "seeds": 5, "budget_mult": [10, 20]}
# peers left out of the small preset unless named in --methods: Vizier's designer takes
# about 10 s per suggestion on this CPU (the small preset would take over an hour)
SLOW_PEERS = ("vizier",)
# left out of the small preset's problems over 50-D: SMAC3's BlackBoxFacade ran for over
# 15 minutes per 100-D run of 50 evaluations on this CPU
SLOW_IN_HIGH_DIM = ("smac-bb",)
# rough relative cost per evaluation, to start the slow jobs first
_COST = {"botorch-vanilla": 50.0, "optuna-gp": 10.0, "bbo-gp": 30.0, "bbo-auto": 30.0}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__)
    harness.add_common_args(p)
    p.add_argument(
        "--families",
        type=harness.csv,
        help=f"keep the preset's problems of these families ({', '.join(FAMILIES)})",
    )
    p.add_argument("--seeds", type=int, help="number of seeds 0..S-1 (default 2; full 5)")
    p.add_argument(
        "--budget-mult",
        type=lambda s: [int(x) for x in harness.csv(s)],
        help="budgets as multiples of d, e.g. 10,20 (default 5,10; full 10,20)",
    )
    p.add_argument(
        "--reuse",
        type=harness.csv,
        default=[],
        help="result files (.json, or a run's .partial.jsonl) whose runs of the same method, "
        "problem and seed at a budget at least as large are taken instead of rerun (e.g. the "
        "peers of an earlier run, or an interrupted run's finished jobs)",
    )
    p.add_argument(
        "--only-reuse",
        action="store_true",
        help="run nothing: the tables of the --reuse files' runs alone (jobs they lack are "
        "left out), e.g. to combine the partial files of runs made in parallel",
    )
    args = p.parse_args(argv)
    preset = FULL if args.full else SMALL
    if args.families:
        bad = [f for f in args.families if f not in FAMILIES]
        if bad:
            p.error(f"unknown famil(y/ies) {bad}; choose from {list(FAMILIES)}")
        keep = [x for x in preset["problems"] if family_of(x) in args.families]
        args.problems = list(dict.fromkeys([*keep, *(args.problems or [])]))
    args.problems = args.problems or preset["problems"]
    args.seeds = args.seeds or preset["seeds"]
    args.budget_mult = sorted(args.budget_mult or preset["budget_mult"])
    unknown = [x for x in args.problems if x not in PROBLEMS]
    if unknown:
        p.error(f"unknown problem(s) {unknown}; choose from {list(PROBLEMS)}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark described by ``args``; return the results (also saved)."""
    methods = harness.select_methods(args)
    if args.methods is None and not args.full:  # the small preset stays within minutes
        methods = [m for m in methods if m not in SLOW_PEERS]
    methods = harness.ensure_peers(methods, not args.no_install)
    top = max(args.budget_mult)
    jobs = [(m, p, s, top) for p in args.problems for m in methods for s in range(args.seeds)]
    dims = {p: problem_dims(p) for p in args.problems}
    if not args.full:  # SMAC's BlackBoxFacade took over 15 minutes per 100-D run here
        skip = [j for j in jobs if j[0] in SLOW_IN_HIGH_DIM and dims[j[1]][0] > 50]
        if skip:
            print(f"small preset: {len(skip)} run(s) of {list(SLOW_IN_HIGH_DIM)} on problems "
                  "over 50-D left out (use --full)", file=sys.stderr)  # fmt: skip
        jobs = [j for j in jobs if j not in skip]
    cost = lambda j: _COST.get(j[0].split("[")[0], 1.0) * dims[j[1]][1] * dims[j[1]][0] ** 0.5  # noqa: E731
    jobs.sort(key=lambda j: -cost(j))
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"quality-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    print(f"finished runs are appended to {log}", file=sys.stderr)
    reused = reuse(jobs, harness.load_runs(args.reuse))
    if reused:
        print(f"reusing {len(reused)} finished run(s) from {args.reuse}", file=sys.stderr)
    todo = [] if args.only_reuse else [j for j in jobs if j[:3] not in reused]
    runs = [*reused.values(), *harness.run_jobs(quality_job, todo, args.jobs, log)]
    log.unlink(missing_ok=True)  # complete: the JSON written by main() holds every run
    results: dict[str, Any] = {
        "kind": "quality",
        **harness.meta(args),
        "methods": methods,
        "problems": args.problems,
        "families": {p: family_of(p) for p in args.problems},
        "seeds": list(range(args.seeds)),
        "budget_mults": args.budget_mult,
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - start,
        "runs": sorted(runs, key=lambda r: (r["problem"], r["method"], r["seed"])),
    }
    return results


def reuse(
    jobs: Sequence[tuple[str, str, int, int]], runs: Sequence[dict[str, Any]]
) -> dict[tuple[str, str, int], dict[str, Any]]:
    """``(method, problem, seed) -> record`` for the jobs that one of ``runs`` already covers
    (same method, problem and seed; a budget of at least the job's ``mult x budget_dim``),
    its trace cut to the job's budget."""
    found: dict[tuple[str, str, int], dict[str, Any]] = {}
    wanted = {j[:3]: j[3] for j in jobs}
    for r in runs:
        key = (r["method"], r["problem"], int(r["seed"]))
        if key in wanted and key not in found:
            budget = wanted[key] * int(r["budget_dim"])
            if int(r["budget"]) >= budget and len(r["trace"]) >= budget:
                found[key] = {**r, "budget": budget, "trace": r["trace"][:budget], "reused": True}
    return found


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    results = run(args)
    print(quality_report(results))
    path = harness.save(args.out, "quality", results, quality_report(results, markdown=True))
    png = ecdf_plot(results, path.with_suffix(".png"))
    print(f"saved {path}, {path.with_suffix('.md')}" + (f" and {png}" if png else ""))
    return results


if __name__ == "__main__":
    main()
