"""``python -m benchmarks.surrogates``: surrogate comparison on stochastic problems.

Every (method, problem, seed) is one sequential run of ``--budget`` evaluations through
``bbo.Study``; each evaluation returns ``--replicates`` samples of the stochastic response
(:mod:`bbo.testing.stochastic`), told with ``tell(trial, samples=...)``. Methods are bbo
strategies with options: GP with qLogNEI and with qUCB (the LCB of a minimized objective),
the four BNN kinds (when the ``bnn`` strategy is registered), ``wasserstein`` and two
ablations of it (``wasserstein-net``: no GP location; ``wasserstein-paper``: also the paper's
distance bonus on one network), and Sobol' as the floor.

Measured per run:

* the regret trace: after ``n`` evaluations the incumbent is the evaluated point with the
  lowest *observed replicate mean*, and its regret is ``f(x_inc) - f*`` on the noise-free
  objective (so a method fooled by noise pays for it);
* the number of evaluations until that regret is ``<= TOLERANCE`` (0.1, the paper's
  ``eps``), or none;
* the seconds of every model-based ask (fit + acquisition), from the study's ``ask()``:
  wall time and this process's CPU time (``time.process_time()``; the workers are
  single-threaded, so CPU seconds are the cost on one core whatever the machine's load).

Jobs run in a pool of ``--jobs`` single-threaded processes (``benchmarks.harness``); each
finished run is appended to ``surrogates-<stamp>.partial.jsonl`` so an interrupted run keeps
them. ``--report FILE...`` prints one report from several result files (``.json`` or
``.partial.jsonl``) of the same budget, replicates and seeds, e.g. a method rerun after a
change merged into an earlier grid (a later file's run of the same method, problem and seed
replaces an earlier one).
"""

from __future__ import annotations

import argparse
import json
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
from benchmarks.scoring import quartiles

# method -> (bbo strategy, options)
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "gp-qlognei": ("gp", {"acquisition": "qLogNEI"}),
    "gp-lcb": ("gp", {"acquisition": "qUCB"}),
    "bnn-ensemble": ("bnn", {"kind": "ensemble"}),
    "bnn-hmc": ("bnn", {"kind": "hmc"}),
    "bnn-ibnn": ("bnn", {"kind": "ibnn"}),
    "bnn-dkl": ("bnn", {"kind": "dkl"}),
    "wasserstein": ("wasserstein", {}),
    # ablations: the networks' own location (no GP), and the paper's acquisition as well
    # (one generator, bonus = W1 distance to the nearest observed law)
    "wasserstein-net": ("wasserstein", {"location": "network"}),
    "wasserstein-paper": (
        "wasserstein",
        {"bonus": "distance", "members": 1, "location": "network"},
    ),
    "sobol": ("sobol", {}),
}
SMALL: dict[str, Any] = {
    "problems": ["levi-bimodal", "gramacy-lee-2008"],
    "seeds": 2,
    "budget": 14,
    "replicates": 10,
}
FULL: dict[str, Any] = {"problems": None, "seeds": 5, "budget": 50, "replicates": 20}
_COST = {"bnn-hmc": 40.0, "bnn-dkl": 20.0, "gp-qlognei": 10.0, "gp-lcb": 10.0}


def registered_methods() -> list[str]:
    """The methods whose strategy bbo registers right now."""
    from bbo.strategies import STRATEGY_NAMES

    return [m for m, (s, _) in METHODS.items() if s in STRATEGY_NAMES]


def run_one(method: str, problem: str, seed: int, budget: int, replicates: int) -> dict[str, Any]:
    """One run; returns its record (regret trace, evaluations to tolerance, ask seconds)."""
    import bbo
    from bbo.testing.stochastic import PROBLEMS, TOLERANCE

    prob = PROBLEMS[problem]
    strategy, options = METHODS[method]
    rec: dict[str, Any] = {
        "method": method,
        "problem": problem,
        "seed": seed,
        "dim": prob.dim,
        "budget": budget,
        "replicates": replicates,
        "trace": [],
        "ask_s": [],
        "ask_cpu_s": [],
        "to_tol": None,
        "error": None,
    }
    start, cpu = time.perf_counter(), time.process_time()
    try:
        study = bbo.Study(prob.space, strategy=strategy, seed=seed, strategy_options=options)
        rng = np.random.default_rng([seed, 777])
        best_mean, regret = math.inf, math.inf
        for i in range(budget):
            t0, c0 = time.perf_counter(), time.process_time()
            trial = study.ask()
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            if trial.attrs.get("source") not in ("sobol", "random-fill"):
                rec["ask_s"].append(dt)
                rec["ask_cpu_s"].append(dc)
            samples = prob.sample(trial.params, replicates, rng)
            study.tell(trial, samples=[float(s) for s in samples])
            if samples.mean() < best_mean:
                best_mean, regret = float(samples.mean()), prob.regret(trial.params)
            rec["trace"].append(regret)
            if rec["to_tol"] is None and regret <= TOLERANCE:
                rec["to_tol"] = i + 1
    except Exception as exc:  # a crashing method is a result, not the end of the benchmark
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc(limit=8)
    rec["wall_s"] = time.perf_counter() - start
    rec["cpu_s"] = time.process_time() - cpu  # this process's CPU time: the cost on one core
    return rec


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from bbo.testing.stochastic import PROBLEMS

    p = argparse.ArgumentParser(prog="python -m benchmarks.surrogates", description=__doc__)
    p.add_argument("--problems", type=harness.csv, help=f"from {list(PROBLEMS)}")
    p.add_argument("--methods", type=harness.csv, help=f"from {list(METHODS)}")
    p.add_argument("--seeds", type=int, help="seeds 0..S-1 (default 2; --full 5)")
    p.add_argument("--budget", type=int, help="evaluations per run (default 14; --full 50)")
    p.add_argument("--replicates", type=int, help="samples per evaluation (10; --full 20)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--full", action="store_true", help="every problem, 5 seeds, 50 evaluations")
    p.add_argument("--out", type=Path, default=harness.RESULTS)
    p.add_argument(
        "--report",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="run nothing: print one report merged from these result files (.json or "
        ".partial.jsonl; same budget and replicates; later files replace earlier runs)",
    )
    p.add_argument("--markdown", action="store_true", help="with --report: Markdown tables")
    p.add_argument(
        "--resume",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="reuse the finished runs (no error) of these result files whose budget is at "
        "least --budget (cut to it) and replicates equal; run only the missing ones",
    )
    args = p.parse_args(argv)
    args.budget_given = args.budget  # --report cuts the runs to it when given
    preset = FULL if args.full else SMALL
    args.problems = args.problems or preset["problems"] or list(PROBLEMS)
    args.seeds = args.seeds or preset["seeds"]
    args.budget = args.budget or preset["budget"]
    args.replicates = args.replicates or preset["replicates"]
    args.methods = args.methods or registered_methods()
    bad = [m for m in args.methods if m not in METHODS] + [
        x for x in args.problems if x not in PROBLEMS
    ]
    if bad:
        p.error(f"unknown method(s)/problem(s) {bad}")
    missing = [m for m in args.methods if m not in registered_methods()]
    if missing:
        p.error(f"method(s) {missing} need a strategy bbo does not register")
    return args


def report(results: dict[str, Any], markdown: bool = False) -> str:
    """Three tables: final regret, evaluations to the tolerance, seconds per model ask."""
    runs, methods = results["runs"], results["methods"]
    seeds, budget = len(results["seeds"]), results["budget"]
    regret_rows, tol_rows, time_rows = [], [], []
    for prob in results["problems"]:
        rs = {m: [r for r in runs if r["problem"] == prob and r["method"] == m] for m in methods}
        ok = {m: [r for r in v if not r["error"]] for m, v in rs.items()}
        dim = next((r["dim"] for r in runs if r["problem"] == prob), 0)
        label = f"{prob} (d={dim})"
        med = {m: quartiles([r["trace"][-1] for r in ok[m]]) for m in methods}
        best = min((c[0] for c in med.values() if math.isfinite(c[0])), default=math.nan)
        row = [label]
        for m in methods:
            m0, q25, q75 = med[m]
            cell = f"{_fmt(m0)} [{_fmt(q25)}, {_fmt(q75)}]" if math.isfinite(m0) else "n/a"
            if math.isfinite(m0) and m0 == best:
                cell = f"**{cell}**" if markdown else "*" + cell
            failed = len(rs[m]) - len(ok[m])
            row.append(cell + (f" ({failed} failed)" if failed else ""))
        regret_rows.append(row)
        row = [label]
        for m in methods:
            hits = [r["to_tol"] for r in ok[m] if r["to_tol"] is not None]
            if not ok[m]:
                row.append("n/a")
                continue
            reached = f"{len(hits)}/{len(ok[m])}"
            row.append(
                f"{statistics.median(hits):g} ({reached})" if hits else f"- (0/{len(ok[m])})"
            )
        tol_rows.append(row)
        row = [label]
        for m in methods:
            asks = [s for r in ok[m] for s in r.get("ask_cpu_s", [])]
            row.append(_fmt(statistics.median(asks)) if asks else "n/a")
        time_rows.append(row)
    h = "### " if markdown else ""
    mark = "bold" if markdown else "*"
    head = ["problem", *methods]
    out = [
        f"{h}Regret f(x_inc) - f* after {budget} evaluations of {results['replicates']} "
        f"replicates (median [q25, q75] over {seeds} seeds; {mark} = best median)",
        _grid(head, regret_rows, markdown),
        "",
        f"{h}Evaluations until the regret is <= {results['tolerance']} (median over the seeds "
        "that reached it; reached/seeds)",
        _grid(head, tol_rows, markdown),
        "",
        f"{h}CPU seconds per model-based ask, fit + acquisition, one thread (median over "
        "asks and seeds)",
        _grid(head, time_rows, markdown),
        "",
    ]
    for src in results.get("sources", [results]):
        cpu = src.get("cpu_s", sum(r.get("cpu_s", math.nan) for r in runs))
        out.append(
            f"{src.get('file', 'This run')}: methods {', '.join(src['methods'])}; wall time "
            f"{src['wall_s']:.0f} s with {src['jobs']} worker(s), CPU time of the runs "
            f"{cpu:.0f} s; commit {src['commit']}; {src['machine']}."
        )
    for r in (r for r in runs if r["error"]):
        out.append(f"FAILED {r['method']} {r['problem']} seed={r['seed']}: {r['error']}")
    return "\n".join(out) + "\n"


def load(path: Path) -> dict[str, Any]:
    """A saved result: the ``.json`` of a finished run, or the ``.partial.jsonl`` log of an
    interrupted one (its runs; methods, problems and seeds are those it holds)."""
    from bbo.testing.stochastic import TOLERANCE

    if path.suffix != ".jsonl":
        return dict(json.loads(path.read_text()))
    runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not runs:
        raise ValueError(f"{path} holds no finished run")
    first = runs[0]
    return {
        "kind": "surrogates",
        "commit": "unknown (partial log)",
        "machine": "unknown",
        "methods": list(dict.fromkeys(r["method"] for r in runs)),
        "problems": list(dict.fromkeys(r["problem"] for r in runs)),
        "seeds": sorted({r["seed"] for r in runs}),
        "budget": first["budget"],
        "replicates": first["replicates"],
        "tolerance": TOLERANCE,
        "jobs": math.nan,
        "wall_s": math.nan,
        "runs": runs,
    }


def truncate(rec: dict[str, Any], budget: int) -> dict[str, Any]:
    """The record of a run cut to its first ``budget`` evaluations: runs are sequential and
    seeded, so this is exactly the run with that budget (regret trace, evaluations to the
    tolerance, per-ask seconds: the asks after ``budget`` are model-based and dropped).
    ``wall_s`` and ``cpu_s`` stay those of the whole run (marked ``truncated_from``)."""
    if budget > rec["budget"]:
        raise ValueError(f"cannot extend a run of budget {rec['budget']} to {budget}")
    if budget == rec["budget"]:
        return rec
    cut = rec["budget"] - budget
    out = dict(rec, budget=budget, truncated_from=rec["budget"])
    out["trace"] = rec["trace"][:budget]
    if rec["to_tol"] is not None and rec["to_tol"] > budget:
        out["to_tol"] = None
    for key in ("ask_s", "ask_cpu_s"):
        if key in rec:
            out[key] = rec[key][: max(0, len(rec[key]) - cut)]
    return out


def merge(named: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One result from several ``(name, result)`` of the same budget and replicates: the
    union of methods, problems and seeds (in order of appearance); a later run of the same
    (method, problem, seed) replaces an earlier one. ``sources`` keeps each file's commit,
    wall time and the CPU time of its runs that were kept."""
    if not named:
        raise ValueError("nothing to merge")
    keys = ("budget", "replicates", "tolerance")
    base = named[0][1]
    for name, res in named[1:]:
        bad = [k for k in keys if res[k] != base[k]]
        if bad:
            raise ValueError(
                f"{name} differs from {named[0][0]} in {bad}: "
                + ", ".join(f"{k}={res[k]} vs {base[k]}" for k in bad)
            )
    runs: dict[tuple[str, str, int], tuple[int, dict[str, Any]]] = {}
    for i, (_, res) in enumerate(named):
        for r in res["runs"]:
            runs[(r["method"], r["problem"], r["seed"])] = (i, r)
    union = lambda k: list(dict.fromkeys(x for _, res in named for x in res[k]))  # noqa: E731
    sources = []
    for i, (name, res) in enumerate(named):
        kept = [r for j, r in runs.values() if j == i]
        sources.append(
            {
                "file": name,
                "methods": list(dict.fromkeys(r["method"] for r in kept)),
                "commit": res["commit"],
                "machine": res["machine"],
                "jobs": res["jobs"],
                "wall_s": res["wall_s"],
                "cpu_s": sum(r.get("cpu_s", math.nan) for r in kept),
            }
        )
    return {
        **{k: base[k] for k in keys},
        "kind": "surrogates",
        "methods": union("methods"),
        "problems": union("problems"),
        "seeds": sorted(set(union("seeds"))),
        "sources": sources,
        "runs": sorted(
            (r for _, r in runs.values()), key=lambda r: (r["problem"], r["method"], r["seed"])
        ),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from bbo.testing.stochastic import TOLERANCE

    given = sys.argv[1:] if argv is None else list(argv)
    if any(a == "--statistic" or a.startswith("--statistic=") for a in given):
        from benchmarks import risk  # a risk statistic, not the mean: benchmarks/risk.py

        return risk.main(given)
    args = parse_args(argv)
    if args.report:
        try:
            named = [(f.name, load(f)) for f in args.report]
            if args.budget_given:
                for _, res in named:
                    res["budget"] = args.budget_given
                    res["runs"] = [truncate(r, args.budget_given) for r in res["runs"]]
            merged = merge(named)
        except (OSError, ValueError, KeyError) as e:
            raise SystemExit(f"--report: {e}") from None
        print(report(merged, markdown=args.markdown))
        return merged
    jobs = [
        (m, p, s, args.budget, args.replicates)
        for p in args.problems
        for m in args.methods
        for s in range(args.seeds)
    ]
    reused: dict[tuple[str, str, int], dict[str, Any]] = {}
    for f in args.resume or []:
        for r in load(f)["runs"]:
            key = (r["method"], r["problem"], r["seed"])
            if (
                r["error"] is None
                and r["budget"] >= args.budget
                and r["replicates"] == args.replicates
                and (key[0], *key[1:], args.budget, args.replicates) in jobs
            ):
                reused[key] = truncate(r, args.budget)
    jobs = [j for j in jobs if j[:3] not in reused]
    jobs.sort(key=lambda j: -_COST.get(j[0], 1.0))
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"surrogates-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    print(f"reusing {len(reused)} runs; finished runs are appended to {log}", file=sys.stderr)
    with log.open("a") as fh:
        for r in reused.values():
            fh.write(json.dumps(r) + "\n")
    runs = [*reused.values(), *harness.run_jobs(run_one, jobs, args.jobs, log)]
    args.resume = [str(f) for f in args.resume or []]  # JSON-ready in the saved arguments
    results: dict[str, Any] = {
        "kind": "surrogates",
        **harness.meta(args),
        "methods": args.methods,
        "problems": args.problems,
        "seeds": list(range(args.seeds)),
        "budget": args.budget,
        "replicates": args.replicates,
        "tolerance": TOLERANCE,
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - start,
        "runs": sorted(runs, key=lambda r: (r["problem"], r["method"], r["seed"])),
    }
    print(report(results))
    path = harness.save(args.out, "surrogates", results, report(results, markdown=True))
    log.unlink(missing_ok=True)  # saved: the JSON holds every run
    print(f"saved {path} and {path.with_suffix('.md')}")
    return results


if __name__ == "__main__":
    main()
