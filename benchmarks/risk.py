"""``python -m benchmarks.surrogates --statistic cvar`` (or ``quantile``, ``exceed``,
``mean_std``): optimizing a risk statistic of a stochastic response (issue 20).

Problems (:mod:`benchmarks.risk_problems`) have a response law whose shape changes over
the space (skewed, bimodal, heteroscedastic), so the design of best mean is not the design
of best statistic. Each evaluation returns ``--replicates`` samples, told with
``tell(trial, samples=...)``. Methods:

* ``gp-stat``: ``gp`` on a study with the statistic: the value is the per-point empirical
  statistic, the known noise its bootstrap standard error;
* ``gp-mean``: ``gp`` on a mean study (the wrong objective: a baseline);
* ``wasserstein``: the ``wasserstein`` strategy on a study with the statistic;
* ``bnn``: the ``bnn`` strategy (``kind=ensemble``, a deep ensemble) on the statistic;
* ``random``: uniform random points (the floor);
* ``bbo-auto``: the default ``auto`` portfolio on the statistic, which chooses per ask
  between the GP and ``wasserstein`` by a skewness test of the replicates
  (:mod:`bbo.strategies.law_choice`); each run records its asks' sources, and the
  report says per problem which model it used on most asks and whether that was the better
  of ``gp-stat`` and ``wasserstein``. ``--against FILE`` adds an earlier grid's runs of the
  other methods to the report (``--methods bbo-auto --against risk-cvar-....json``).

HEBO (a heteroscedastic GP, issue 20's other peer) is not among them: it does not run
with bbo's stack (benchmarks/requirements.txt says why).

Regret after ``n`` evaluations, in the *true* statistic (from 20,000 common draws of the
known law) minus its true optimum, at two incumbents:

* ``rec``: the study's recommendation, ``study.best`` (on replicates, the evaluated point of
  best GP posterior mean of the study's value, with the values' known noise): what a user
  gets. For ``gp-mean`` that is its own objective, the mean: the cost of optimizing the
  wrong statistic;
* ``emp``: the evaluated point of best *empirical statistic* of its replicates (the same
  rule for every method; a tail statistic from few replicates favours the luckiest draw).

CPU seconds per model-based ask are this process's ``time.process_time()``
(single-threaded workers; other load on the machine inflates them a little).

Every problem gets ``--budget`` evaluations, or with ``--budget-per-dim K``
``max(--budget, K * d)`` (``K = 12``: 24 in 1-D and 2-D, 96 on ``rosenbrock8-hetero``); the
report then reads each problem's regret at its own half and full budget.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.report import _fmt, _grid

# method -> (strategy, options, whether the study carries the statistic)
METHODS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "gp-stat": ("gp", {}, True),
    "gp-mean": ("gp", {}, False),
    "wasserstein": ("wasserstein", {}, True),
    "bnn": ("bnn", {"kind": "ensemble"}, True),
    "random": ("random", {}, True),
    "bbo-auto": ("auto", {}, True),
}
DEFAULTS: dict[str, Any] = {"seeds": 5, "budget": 24, "replicates": 20}


def run_one(
    method: str,
    problem: str,
    statistic: str,
    seed: int,
    budget: int,
    replicates: int,
    fstar: float | None = None,
) -> dict[str, Any]:
    """One run; returns its record (regret trace, CPU seconds per ask). ``fstar``: the
    true statistic's optimum if already known (``main`` computes it once per problem)."""
    import bbo
    from benchmarks.risk_problems import PROBLEMS, STATISTICS

    prob = PROBLEMS[problem]
    stat = STATISTICS[statistic](prob)
    strategy, options, with_stat = METHODS[method]
    rec: dict[str, Any] = {
        "method": method,
        "problem": problem,
        "statistic": str(stat),
        "seed": seed,
        "budget": budget,
        "replicates": replicates,
        "trace": [],
        "trace_emp": [],
        "ask_cpu_s": [],
        "sources": [],
        "error": None,
    }
    start, cpu = time.perf_counter(), time.process_time()
    try:
        study = bbo.Study(
            prob.space,
            strategy=strategy,
            seed=seed,
            strategy_options=options,
            statistic=stat if with_stat else None,
        )
        if fstar is None:
            fstar = prob.fstar(stat)
        rng = np.random.default_rng([seed, 2020])
        best, regret = math.inf, math.inf
        for _ in range(budget):
            c0 = time.process_time()
            trial = study.ask()
            dc = time.process_time() - c0
            if trial.attrs.get("source") not in ("sobol", "random", "random-fill"):
                rec["ask_cpu_s"].append(dc)
            rec["sources"].append(str(trial.attrs.get("source", "")))
            x = prob.point(trial.params)
            samples = prob.sample(x, replicates, rng)
            study.tell(trial, samples=[float(s) for s in samples])
            observed = stat.compute(samples)
            if observed < best:
                best = observed
                regret = float(prob.true(x[None, :], stat)[0]) - fstar
            rec["trace_emp"].append(max(regret, 0.0))
            inc = prob.point(study.best.params)
            rec["trace"].append(max(float(prob.true(inc[None, :], stat)[0]) - fstar, 0.0))
    except Exception as exc:  # a crashing method is a result, not the end of the benchmark
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc(limit=8)
    rec["wall_s"] = time.perf_counter() - start
    rec["cpu_s"] = time.process_time() - cpu
    return rec


def report(results: dict[str, Any], markdown: bool = False) -> str:
    """Per problem: each method's median [quartiles] final regret and at half the budget,
    its CPU seconds per model-based ask, and failed runs."""
    runs = results["runs"]
    own = results.get("budgets") or {}  # problem -> its budget, with --budget-per-dim
    ends = {own.get(p, results["budget"]) for p in results["problems"]}
    end = ends.pop() if len(ends) == 1 else None
    cols = (f"@{end // 2}", f"@{end}") if end is not None else ("@B/2", "@B")
    head = ["problem", "method", f"rec{cols[0]}", f"rec{cols[1]}", f"emp{cols[1]}", "cpu s/ask"]
    head.append("errors")
    rows = []
    for p in results["problems"]:
        at_end = own.get(p, results["budget"])
        for m in results["methods"]:
            mine = [r for r in runs if r["problem"] == p and r["method"] == m]
            ok = [r for r in mine if r["error"] is None and r["trace"]]
            cells = [p if end is not None else f"{p} (B={at_end})", m]
            for key, at in (("trace", at_end // 2), ("trace", at_end), ("trace_emp", at_end)):
                vals = sorted(r[key][min(at, len(r[key])) - 1] for r in ok)
                cells.append(_quart(vals))
            asks = [c for r in ok for c in r["ask_cpu_s"]]
            cells.append(_fmt(statistics.mean(asks)) if asks else "-")
            cells.append(str(len(mine) - len(ok)))
            rows.append(cells)
    title = (
        f"statistic {results['statistic']}: regret in the true statistic, median [q1, q3] "
        f"over {len(results['seeds'])} seeds, {results['replicates']} replicates per point"
    )
    return f"{title}\n\n{_grid(head, rows, markdown)}\n\n{summary(results)}"


def final_medians(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """problem -> method -> the median over seeds of the final ``rec`` regret."""
    finals: dict[tuple[str, str], list[float]] = {}
    for r in results["runs"]:
        if r["error"] is None and r["trace"]:
            finals.setdefault((r["problem"], r["method"]), []).append(r["trace"][-1])
    out: dict[str, dict[str, float]] = {}
    for (p, m), v in finals.items():
        out.setdefault(p, {})[m] = float(np.median(v))
    return out


def summary(results: dict[str, Any]) -> str:
    """Issue 20's targets on the final ``rec`` medians: the best bbo method (``gp-stat``,
    ``bbo-auto``, ``wasserstein``, ``bnn``) against the mean baseline, and ``wasserstein`` against
    ``gp-stat``."""
    med = final_medians(results)
    own = [m for m in ("gp-stat", "wasserstein", "bnn", "bbo-auto") if m in results["methods"]]
    lines, beat, wins, pairs = [], 0, 0, 0
    for p in results["problems"]:
        mp = med.get(p, {})
        cand = {m: mp[m] for m in own if m in mp}
        if cand and "gp-mean" in mp:
            best = min(cand, key=lambda m: cand[m])
            ok = cand[best] < mp["gp-mean"]
            beat += ok
            below, above, equal = paired(results, p, best, "gp-mean")
            lines.append(
                f"{p}: best bbo method {best} {_fmt(cand[best])} vs gp-mean "
                f"{_fmt(mp['gp-mean'])} ({'lower' if ok else 'NOT lower'}); per seed lower on "
                f"{below}, higher on {above}, equal on {equal}"
            )
        if "wasserstein" in mp and "gp-stat" in mp:
            pairs += 1
            wins += mp["wasserstein"] < mp["gp-stat"]
    lines.append(f"best bbo method below gp-mean on {beat} of {len(results['problems'])} problems")
    if pairs:
        lines.append(f"wasserstein below gp-stat on {wins} of {pairs} problems")
    return "\n".join(lines + auto_lines(results))


def paired(results: dict[str, Any], problem: str, method: str, other: str) -> tuple[int, ...]:
    """On ``problem``, the seeds run by both methods where ``method``'s final ``rec`` regret
    is lower than ``other``'s, higher, and equal (within 1e-6: the same plateau)."""
    final: dict[str, dict[Any, float]] = {method: {}, other: {}}
    for r in results["runs"]:
        if r["problem"] == problem and r["method"] in final and r["error"] is None and r["trace"]:
            final[r["method"]][r.get("seed")] = r["trace"][-1]
    diffs = [final[method][s] - final[other][s] for s in final[method] if s in final[other]]
    equal = sum(abs(d) <= 1e-6 for d in diffs)
    below = sum(d < -1e-6 for d in diffs)
    return below, len(diffs) - below - equal, equal


def auto_lines(results: dict[str, Any]) -> list[str]:
    """Per problem, ``bbo-auto``'s share of model-based asks answered by the generator
    (source ``skewed>wasserstein:...``) and whether the model it used on most asks is the
    better (lower median) of ``gp-stat`` and ``wasserstein``."""
    med = final_medians(results)
    lines, matched, n = [], 0, 0
    for p in results["problems"]:
        mp = med.get(p, {})
        if not {"bbo-auto", "gp-stat", "wasserstein"} <= set(mp):
            continue
        runs = [r for r in results["runs"] if r["problem"] == p and r["method"] == "bbo-auto"]
        asks = [s for r in runs for s in r.get("sources", []) if s not in ("sobol", "random-fill")]
        share = sum("wasserstein" in s for s in asks) / max(len(asks), 1)
        better = "wasserstein" if mp["wasserstein"] < mp["gp-stat"] else "gp-stat"
        ok = (share > 0.5) == (better == "wasserstein")
        matched, n = matched + ok, n + 1
        lines.append(
            f"{p}: bbo-auto {_fmt(mp['bbo-auto'])}, generator on {share:.0%} of its asks; "
            f"better of the two {better} ({'matched' if ok else 'NOT matched'})"
        )
    return lines + ([f"bbo-auto's model matched the better one on {matched} of {n}"] if n else [])


def _quart(vals: list[float]) -> str:
    if not vals:
        return "-"
    q = np.quantile(vals, [0.25, 0.5, 0.75])
    return f"{_fmt(q[1])} [{_fmt(q[0])}, {_fmt(q[2])}]"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from benchmarks.risk_problems import PROBLEMS, STATISTICS

    p = argparse.ArgumentParser(prog="python -m benchmarks.surrogates", description=__doc__)
    p.add_argument("--statistic", required=True, choices=sorted(STATISTICS))
    p.add_argument("--problems", type=harness.csv, default=list(PROBLEMS))
    p.add_argument("--methods", type=harness.csv, default=list(METHODS))
    p.add_argument("--seeds", type=int, default=DEFAULTS["seeds"])
    p.add_argument("--budget", type=int, default=DEFAULTS["budget"])
    p.add_argument(
        "--budget-per-dim",
        type=int,
        metavar="K",
        help="each problem's budget is max(--budget, K * d) evaluations (e.g. 12: 24 in 2-D, "
        "96 on rosenbrock8-hetero); default: --budget for every problem",
    )
    p.add_argument("--replicates", type=int, default=DEFAULTS["replicates"])
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--out", type=Path, default=harness.RESULTS)
    p.add_argument(
        "--against",
        type=Path,
        help="an earlier result .json of the same statistic, budget and replicates: its runs "
        "of the methods not run now join the report (e.g. --methods bbo-auto)",
    )
    args = p.parse_args(argv)
    for name, known in (("problems", PROBLEMS), ("methods", METHODS)):
        bad = [v for v in getattr(args, name) if v not in known]
        if bad:
            p.error(f"--{name}: unknown {bad}; choose from {list(known)}")
    if args.budget_per_dim is not None and args.budget_per_dim < 1:
        p.error(f"--budget-per-dim must be at least 1, got {args.budget_per_dim}")
    return args


def budgets(args: argparse.Namespace) -> dict[str, int]:
    """problem -> its number of evaluations: ``--budget``, or ``max(--budget, K * d)`` with
    ``--budget-per-dim K``."""
    from benchmarks.risk_problems import PROBLEMS

    k = args.budget_per_dim
    return {
        p: args.budget if k is None else max(args.budget, k * PROBLEMS[p].dim)
        for p in args.problems
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from benchmarks.risk_problems import PROBLEMS, STATISTICS

    args = parse_args(argv)
    fstar = {}
    for p in args.problems:  # once per problem, not in every run
        fstar[p] = PROBLEMS[p].fstar(STATISTICS[args.statistic](PROBLEMS[p]))
        print(f"{p}: true optimum of the statistic {fstar[p]:.4g}", file=sys.stderr)
    budget = budgets(args)
    jobs = [
        (m, p, args.statistic, s, budget[p], args.replicates, fstar[p])
        for p in args.problems
        for m in args.methods
        for s in range(args.seeds)
    ]
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"risk-{args.statistic}-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    print(f"{len(jobs)} runs; finished runs are appended to {log}", file=sys.stderr)
    runs = harness.run_jobs(run_one, jobs, args.jobs, log)
    results: dict[str, Any] = {
        "kind": "risk",
        **harness.meta(args),
        "statistic": args.statistic,
        "methods": args.methods,
        "problems": args.problems,
        "seeds": list(range(args.seeds)),
        "budget": args.budget,
        **({"budgets": budget} if args.budget_per_dim is not None else {}),
        "replicates": args.replicates,
        "wall_s": time.perf_counter() - start,
        "runs": sorted(runs, key=lambda r: (r["problem"], r["method"], r["seed"])),
    }
    if args.against is not None:  # an earlier grid's other methods, for one report
        import json

        old = json.loads(args.against.read_text())
        extra = [m for m in old["methods"] if m not in args.methods]
        results["methods"] = extra + list(args.methods)
        results["runs"] += [
            r for r in old["runs"] if r["method"] in extra and r["problem"] in args.problems
        ]
    print(report(results))
    path = harness.save(args.out, f"risk-{args.statistic}", results, report(results, True))
    log.unlink(missing_ok=True)
    print(f"saved {path} and {path.with_suffix('.md')}")
    return results
