"""``python -m benchmarks.pruning``: early stopping (pruning) against full-budget runs, by
the best final value found for the epochs spent.

Every (method, problem, seed) trains trials step by step (an epoch a step), reporting each
step to the method's pruner, until ``--trials x --max-step`` epochs are spent: the epochs
full-budget ``bbo-auto`` spends on ``--trials`` trials (``B``). The best *final* value (of
the trials that ran all ``--max-step`` epochs) is read at ``B / 3`` and ``B``; tables give
its median [q25, q75] over seeds (regret to the known optimum on the synthetic problems,
the validation loss on ``mlp-digits``) and the mean rank of the methods. A last table
gives the epochs each method needed to reach full-budget ``bbo-auto``'s median final value
(the issue's target: a pruned ``auto`` there within ``B / 3``, and better than Optuna TPE +
HyperbandPruner at equal epochs on most problems; both verdicts are printed).

Problems and methods: :mod:`benchmarks.pruning_problems`, :mod:`benchmarks.pruning_methods`
(a pruned bbo method with a suffix ``/offset``, ``/rung``, ``/predicted``, ``/last`` or
``/exclude`` fixes how its model uses PRUNED trials: ``--methods bbo-auto+asha/rung``).
The small default preset (``--max-step 27``, ``--trials 20``, 5 seeds, every problem and
method) took 15 minutes (891 s) on 2 shared, busy cores; ``--full`` is 81 epochs, 40
trials, 10 seeds and adds ``optuna-tpe`` without a pruner. Finished runs are appended to a
``pruning-<time>.partial.jsonl`` under ``--out`` as they come (kept if the run is
interrupted; ``--reuse`` takes them instead of rerunning). ``--report FILE`` prints the
tables of a saved run again.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.pruning_methods import EXTRA, METHODS, best_at, pruning_job
from benchmarks.pruning_problems import PROBLEMS
from benchmarks.report import _fmt, _grid
from benchmarks.scoring import mean_ranks, quartiles

SMALL: dict[str, Any] = {"max_step": 27, "trials": 20, "seeds": 5, "methods": list(METHODS)}
FULL: dict[str, Any] = {
    "max_step": 81,
    "trials": 40,
    "seeds": 10,
    "methods": [*METHODS, "optuna-tpe"],  # not the model-use VARIANTS
}
BASELINE = "bbo-auto"  # full budget: the value to reach
PEER = "optuna-tpe+hyperband"  # the peer to beat at equal epochs
PRUNED_AUTO = ("bbo-auto+asha", "bbo-auto+hyperband", "bbo-auto+median", "bbo-auto+fidelity")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.pruning", description=__doc__)
    p.add_argument("--problems", type=harness.csv, help=f"from {', '.join(PROBLEMS)}")
    p.add_argument("--methods", type=harness.csv, help=f"from {', '.join([*METHODS, *EXTRA])}")
    p.add_argument("--seeds", type=int, help="number of seeds 0..S-1 (default 5; full 10)")
    p.add_argument("--max-step", type=int, help="epochs of a full trial (default 27; full 81)")
    p.add_argument(
        "--trials",
        type=int,
        help="full-budget trials of the budget B = trials x max-step (default 20; full 40)",
    )
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--full", action="store_true", help="the complete preset (longer runs)")
    p.add_argument("--out", type=Path, default=harness.RESULTS, help="result folder")
    p.add_argument(
        "--reuse",
        type=harness.csv,
        default=[],
        help="result files (.json or .partial.jsonl) whose runs of the same method, problem, "
        "seed, max step and budget are taken instead of rerun",
    )
    p.add_argument(
        "--report",
        type=Path,
        help="run nothing: print the tables of a saved pruning-....json again",
    )
    args = p.parse_args(argv)
    preset = FULL if args.full else SMALL
    args.problems = args.problems or list(PROBLEMS)
    args.methods = args.methods or preset["methods"]
    args.seeds = args.seeds or preset["seeds"]
    args.max_step = args.max_step or preset["max_step"]
    args.trials = args.trials or preset["trials"]
    bad = [x for x in args.problems if x not in PROBLEMS]
    bad += [m for m in args.methods if m not in (*METHODS, *EXTRA)]
    if bad:
        p.error(f"unknown problem(s) or method(s) {bad}")
    if args.max_step < 1 or args.trials < 1 or args.seeds < 1:
        p.error("--max-step, --trials and --seeds must be >= 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark described by ``args``; return the results (also saved by main)."""
    budget = args.trials * args.max_step
    jobs = [
        (m, p, s, args.max_step, budget)
        for p in args.problems
        for m in args.methods
        for s in range(args.seeds)
    ]
    jobs.sort(key=lambda j: j[1] != "mlp-digits")  # the slow (real training) ones first
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"pruning-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    print(f"finished runs are appended to {log}", file=sys.stderr)
    reused: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in harness.load_runs(args.reuse):
        key = (r["method"], r["problem"], int(r["seed"]), int(r["max_step"]), int(r["budget"]))
        reused.setdefault(key, {**r, "reused": True})
    todo = [j for j in jobs if j not in reused]
    start = time.perf_counter()
    runs = [reused[j] for j in jobs if j in reused]
    runs += harness.run_jobs(pruning_job, todo, args.jobs, log)
    log.unlink(missing_ok=True)  # complete: the JSON written by main() holds every run
    return {
        "kind": "pruning",
        **harness.meta(args),
        "methods": args.methods,
        "problems": args.problems,
        "seeds": list(range(args.seeds)),
        "max_step": args.max_step,
        "trials": args.trials,
        "budget": budget,
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - start,
        "runs": sorted(runs, key=lambda r: (r["problem"], r["method"], r["seed"])),
    }


# -- scoring ------------------------------------------------------------------------------
def score(run: Mapping[str, Any], epochs: float) -> float:
    """The run's best final value within ``epochs``, less the optimum when it is known
    (regret); inf when no trial ran to the end (NaN for a crashed run)."""
    if run.get("error"):
        return math.nan
    v = best_at(run["trials"], epochs)
    opt = run.get("optimum")
    return v - opt if opt is not None and math.isfinite(v) else v


def epochs_to_reach(run: Mapping[str, Any], target: float, budget: float) -> float:
    """Epochs spent when a trial first ended at ``target`` or better (inf if none did
    within ``budget`` epochs)."""
    for t in run["trials"]:
        if t["epochs"] > budget:
            break
        if t["final"] is not None and t["final"] <= target:
            return float(t["epochs"])
    return math.inf


def _runs(results: Mapping[str, Any], problem: str, method: str) -> list[Mapping[str, Any]]:
    return [r for r in results["runs"] if r["problem"] == problem and r["method"] == method]


def medians_at(results: Mapping[str, Any], epochs: float) -> dict[str, dict[str, float]]:
    """problem -> method -> median score at ``epochs``."""
    return {
        p: {m: quartiles([score(r, epochs) for r in _runs(results, p, m)])[0]
            for m in results["methods"]}
        for p in results["problems"]
    }  # fmt: skip


def target_of(results: Mapping[str, Any], problem: str) -> float:
    """Full-budget ``bbo-auto``'s median best final value at ``B`` (NaN without its runs)."""
    vals = [best_at(r["trials"], results["budget"]) for r in _runs(results, problem, BASELINE)]
    vals = [v for v in vals if math.isfinite(v)]
    return float(np.median(vals)) if vals else math.nan


def reach(results: Mapping[str, Any], problem: str, method: str) -> tuple[float, int, int]:
    """``(median epochs to reach the target within B, runs that reached it, runs)``."""
    target = target_of(results, problem)
    runs = [r for r in _runs(results, problem, method) if not r.get("error")]
    if not math.isfinite(target) or not runs:
        return math.nan, 0, len(runs)
    e = [epochs_to_reach(r, target, results["budget"]) for r in runs]
    return float(np.median(e)), sum(math.isfinite(x) for x in e), len(runs)


def verdicts(results: Mapping[str, Any]) -> list[str]:
    """The issue's two targets, one line per pruned ``auto`` method run (its variants
    ``/offset``, ``/rung`` ... too)."""
    B = results["budget"]
    probs = results["problems"]
    lines = []
    at = {b: medians_at(results, b) for b in (B / 3, B)}
    for m in (x for x in results["methods"] if x.startswith(PRUNED_AUTO)):
        hit = [p for p in probs if reach(results, p, m)[0] <= B / 3]
        line = (
            f"{m}: reaches full-budget {BASELINE}'s final value within B/3 on "
            f"{len(hit)}/{len(probs)} problems"
        )
        if PEER in results["methods"]:
            for b, name in ((B / 3, "B/3"), (B, "B")):
                wins = sum(at[b][p][m] < at[b][p][PEER] for p in probs)
                line += f"; better median than {PEER} at {name} on {wins}/{len(probs)}"
        lines.append(line)
    return lines


# -- tables -------------------------------------------------------------------------------
def _value_rows(
    results: Mapping[str, Any], epochs: float, markdown: bool
) -> tuple[list[list[str]], dict[str, dict[str, float]]]:
    rows, meds = [], {}
    for p in results["problems"]:
        cells = {m: quartiles([score(r, epochs) for r in _runs(results, p, m)])
                 for m in results["methods"]}  # fmt: skip
        meds[p] = {m: c[0] for m, c in cells.items()}
        finite = [c[0] for c in cells.values() if math.isfinite(c[0])]
        best = min(finite, default=math.nan)
        kind = "regret" if any(r.get("optimum") is not None for r in results["runs"]
                               if r["problem"] == p) else "val. loss"  # fmt: skip
        row = [f"{p} ({kind})"]
        for m in results["methods"]:
            med, q25, q75 = cells[m]
            text = f"{_fmt(med)} [{_fmt(q25)}, {_fmt(q75)}]" if math.isfinite(med) else "none"
            if math.isfinite(med) and med == best:
                text = f"**{text}**" if markdown else "*" + text
            row.append(text)
        rows.append(row)
    return rows, meds


def pruning_report(results: Mapping[str, Any], markdown: bool = False) -> str:
    """Value tables at ``B / 3`` and ``B``, mean ranks, epochs to the target, verdicts."""
    B = results["budget"]
    methods = results["methods"]
    n_seeds = len(results["seeds"])
    h = "### " if markdown else ""
    mark = "bold" if markdown else "*"
    out = [
        f"{h}Pruning: best final value against epochs spent (max step {results['max_step']}, "
        f"B = {results['trials']} full trials = {B} epochs, {n_seeds} seeds)",
        "",
    ]
    for epochs, name in ((B // 3, "B/3"), (B, "B")):
        rows, meds = _value_rows(results, epochs, markdown)
        out.append(
            f"{h}Best final value at {name} = {epochs} epochs (median [q25, q75]; {mark} = "
            "best median; none = no trial ran all epochs)"
        )
        out.append(_grid(["problem", *methods], rows, markdown))
        out.append("")
        ranks = mean_ranks(meds, methods)
        out.append(
            f"mean rank at {name} (1 = best): " + ", ".join(f"{m} {ranks[m]:.2f}" for m in methods)
        )
        out.append("")
    out.append(
        f"{h}Epochs to reach full-budget {BASELINE}'s median final value (median over seeds, "
        "as a fraction of B; reached/runs)"
    )
    rows = []
    for p in results["problems"]:
        row = [f"{p} (target {_fmt(target_of(results, p))})"]
        for m in methods:
            med, k, n = reach(results, p, m)
            text = f"{med / B:.2f} B" if math.isfinite(med) else "> B"
            row.append(f"{text} ({k}/{n})")
        rows.append(row)
    out.append(_grid(["problem", *methods], rows, markdown))
    out.append("")
    out += [("- " if markdown else "") + v for v in verdicts(results)]
    per = {m: sum(r["wall_s"] for r in results["runs"] if r["method"] == m) for m in methods}
    out.append("")
    out.append(
        f"Wall time {results.get('wall_s', math.nan):.0f} s ({results.get('jobs')} workers); "
        "per method summed over its runs (s): " + ", ".join(f"{m} {per[m]:.0f}" for m in methods)
    )
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.report is not None:
        results = json.loads(args.report.read_text())
        print(pruning_report(results))
        return results
    results = run(args)
    print(pruning_report(results))
    path = harness.save(args.out, "pruning", results, pruning_report(results, markdown=True))
    print(f"saved {path} and {path.with_suffix('.md')}")
    return results


if __name__ == "__main__":
    main()
