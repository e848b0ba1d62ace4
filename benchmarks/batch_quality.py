"""``python -m benchmarks.batch_quality``: did the faster batch and multi-objective asks of
issue 16 cost quality? Old and new code paths of the same strategy, same problems and seeds.

**Batches** (``--problems``, default ``hartmann6,ackley10,levy8``): ``auto`` asks
synchronous batches of ``--q`` (4) for ``--budget-mult x d`` evaluations (10) and reports
the median final simple regret over ``--seeds`` (5) seeds, for four variants:
``cheap`` (the Kriging believer with cheap later steps,
:mod:`bbo.acquisition.believer`, the default), ``full`` (every believer step a full
warm-started search: ``believer.CHEAP_STEPS = False``, the code before), ``qLogNEI``
(botorch's joint MC batch, ``acquisition: qLogNEI``) and ``cheap-around`` (the cheap
steps with 16 candidates around the last believed point: ``believer.AROUND = 16``).

**Two objectives** (``--mo-budget``, default 40 evaluations, 0: skip): ``auto`` on DTLZ2
(d = 4, :func:`benchmarks.speed_scenarios.dtlz2`), one point per ask, and the hypervolume
of the observed points over the reference point ``(1.1, 1.1)`` (the Pareto front's
maximum is ``1.1^2 - pi / 4 = 0.4246``): ``fast`` (``registry.FAST_NEHVI``, the default)
against ``full`` (256 MC samples, no root cache, every restart and raw sample).

Each (variant, problem, seed) runs in a fresh single-threaded worker process (``--jobs``
of them at a time), whose module switches are set before the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from benchmarks import harness

SO_VARIANTS = ("cheap", "full", "qLogNEI", "cheap-around")
MO_VARIANTS = ("fast", "full")
REF = (1.1, 1.1)


def hypervolume_2d(F: np.ndarray, ref: Sequence[float] = REF) -> float:
    """Hypervolume dominated by the rows of ``F`` (``n x 2``, minimized) within ``ref``:
    sort the points inside the box by ``f1`` and add the slab each non-dominated one adds."""
    F = F[(np.asarray(ref) > F).all(1)]
    hv, best_f2 = 0.0, ref[1]
    for f1, f2 in F[np.argsort(F[:, 0], kind="stable")]:
        if f2 < best_f2:
            hv += (ref[0] - f1) * (best_f2 - f2)
            best_f2 = f2
    return float(hv)


def run_batch(variant: str, problem: str, q: int, mult: int, seed: int) -> float:
    """Final simple regret of ``auto`` asking batches of ``q`` under ``variant``."""
    from bbo.acquisition import believer
    from benchmarks.methods import run_method
    from benchmarks.problems import make_problem

    harness.single_thread()
    believer.CHEAP_STEPS = variant != "full"
    believer.AROUND = 16 if variant == "cheap-around" else 0
    method = f"bbo-auto[acquisition=qLogNEI]@{q}" if variant == "qLogNEI" else f"bbo-auto@{q}"
    instance = make_problem(problem, seed)
    obs = run_method(method, instance, mult * instance.space.dim, seed)
    values = [instance.true(p) for p, m in obs if instance.feasible(m)]
    return min(values, default=float("inf")) - instance.optimum


def run_two_objective(variant: str, budget: int, seed: int) -> float:
    """Hypervolume of ``auto``'s ``budget`` evaluations of DTLZ2 under ``variant``."""
    import bbo
    from bbo.acquisition import registry
    from benchmarks.speed_scenarios import MO_DIM, dtlz2

    harness.single_thread()
    registry.FAST_NEHVI = variant == "fast"
    names = [f"x{i}" for i in range(MO_DIM)]
    space = bbo.Space({k: bbo.Float(0.0, 1.0) for k in names})
    study = bbo.Study(
        space, strategy="auto", seed=seed, direction={"f1": "minimize", "f2": "minimize"}
    )
    F = []
    for _ in range(budget):
        trial = study.ask()
        values = dtlz2(np.array([trial.params[k] for k in names]))
        study.tell(trial, values)
        F.append([values["f1"], values["f2"]])
    return hypervolume_2d(np.array(F))


def _job(job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "batch":
        value = run_batch(job["variant"], job["problem"], job["q"], job["mult"], job["seed"])
    else:
        value = run_two_objective(job["variant"], job["budget"], job["seed"])
    return {**job, "value": value}


def table(results: list[dict[str, Any]]) -> str:
    """Markdown tables: median (and range) per problem and variant."""
    out = []
    for kind, variants, what in (
        ("batch", SO_VARIANTS, "median final regret [min, max]"),
        ("mo", MO_VARIANTS, "median hypervolume [min, max]"),
    ):
        rows = [r for r in results if r["kind"] == kind]
        if not rows:
            continue
        out.append(f"| {kind}: {what} | " + " | ".join(variants) + " |")
        out.append("|---" * (len(variants) + 1) + "|")
        for problem in dict.fromkeys(r["problem"] for r in rows):
            cells = []
            for v in variants:
                vals = [r["value"] for r in rows if r["problem"] == problem and r["variant"] == v]
                cells.append(
                    f"{np.median(vals):.3g} [{min(vals):.3g}, {max(vals):.3g}]" if vals else "-"
                )
            out.append(f"| {problem} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batch_quality", description=__doc__)
    p.add_argument("--problems", type=harness.csv, default="hartmann6,ackley10,levy8")
    p.add_argument("--q", type=int, default=4)
    p.add_argument("--budget-mult", type=int, default=10)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--mo-budget", type=int, default=40)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--variants", type=harness.csv, default=",".join(SO_VARIANTS + MO_VARIANTS))
    args = p.parse_args(argv)
    problems = args.problems if isinstance(args.problems, list) else harness.csv(args.problems)
    variants = args.variants if isinstance(args.variants, list) else harness.csv(args.variants)
    jobs = [
        {"kind": "batch", "variant": v, "problem": prob, "q": args.q, "mult": args.budget_mult}
        | {"seed": s}
        for prob in problems
        for s in range(args.seeds)
        for v in SO_VARIANTS
        if v in variants
    ]
    if args.mo_budget:
        jobs += [
            {"kind": "mo", "variant": v, "problem": f"dtlz2-d4, {args.mo_budget} evaluations"}
            | {"budget": args.mo_budget, "seed": s}
            for s in range(args.seeds)
            for v in MO_VARIANTS
            if v in variants
        ]
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(_job, jobs))
    print(table(results))
    print(json.dumps(results), file=sys.stderr)
    return results


if __name__ == "__main__":
    main()
