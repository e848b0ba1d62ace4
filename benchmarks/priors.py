"""``python -m benchmarks.priors``: priors on the optimum (piBO, issue 18 item 3).

Each problem (Branin, Hartmann-6, the shifted and rotated 10-D Ackley of
:mod:`benchmarks.problems.classic`) is run by ``auto`` three times per seed: without a prior,
with a **good** prior and with a **misleading** one. A prior is a normal belief per
parameter with sd ``SD`` (0.15) of the range:

* good: centred at the known minimiser moved by ``N(0, 0.05)`` of the range per coordinate
  (seeded; a user who knows roughly where the optimum is);
* misleading: every coordinate ``0.45`` of the range away from the minimiser's (towards the
  far side of the box), with the same confidence.

For reference, Optuna's TPE and GP samplers (no prior; Optuna has no piBO) run the same
problems when Optuna is installed. The table gives the median simple regret (best true value
found minus the optimum) after a few budgets, over the seeds; the targets of the issue are a
gain with the good prior and a bounded loss with the misleading one (the prior's weight
``beta / n`` decays, so by the end of the budget the misleading arm is close to no prior).
Results go to ``benchmarks/results/priors-<stamp>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import bbo
from bbo.acquisition.prior import DEFAULT_BETA
from benchmarks import harness
from benchmarks.problems.base import Instance
from benchmarks.problems.classic import make_ackley10, make_branin, make_hartmann6

SD = 0.15  # prior sd, as a fraction of the range (encoded units)
MISLEAD = 0.45  # how far (fraction of the range) the misleading prior's mean is moved
PROBLEMS: dict[str, tuple[Callable[[int], Instance], int]] = {  # name -> (maker, budget)
    "branin": (make_branin, 30),
    "hartmann6": (make_hartmann6, 40),
    "ackley10": (make_ackley10, 50),
}
ARMS = ("none", "good", "misleading")
PEERS = ("optuna-tpe", "optuna-gp")


def prior_space(inst: Instance, arm: str, seed: int) -> bbo.Space:
    """``inst.space`` with the ``arm``'s prior on every (Float) parameter."""
    if arm == "none":
        return inst.space
    rng = np.random.default_rng([seed, 18])
    params = {}
    for name, p in inst.space.items():
        assert isinstance(p, bbo.Float) and not p.log
        u = p.encode(float(inst.argmin[name]))
        if arm == "good":
            u = float(np.clip(u + 0.05 * rng.standard_normal(), 0.0, 1.0))
        else:
            u = u + MISLEAD if u < 0.5 else u - MISLEAD
        width = p.high - p.low
        params[name] = bbo.Float(p.low, p.high, prior=bbo.Prior(mean=p.decode(u), sd=SD * width))
    return bbo.Space(params)


def run_one(
    problem: str, method: str, seed: int, budget: int, beta: float = DEFAULT_BETA
) -> dict[str, Any]:
    """One study: ``method`` is an arm of ``auto`` or a peer; returns its regret trace."""
    inst = PROBLEMS[problem][0](seed)
    rng = np.random.default_rng([seed, 7])
    start, trace, best, error = time.perf_counter(), [], np.inf, None
    try:
        if method in PEERS:
            from benchmarks.peers import optuna_gp, optuna_tpe

            peer = (optuna_tpe if method == "optuna-tpe" else optuna_gp)(inst, seed, budget)
            for _ in range(budget):
                params = peer.ask()
                peer.tell(params, inst.observe(params, rng))
                best = min(best, inst.true(params))
                trace.append(best - inst.optimum)
        else:
            space = prior_space(inst, method, seed)
            opts = {"prior_beta": beta}
            study = bbo.Study(space, strategy="auto", seed=seed, strategy_options=opts)
            for _ in range(budget):
                t = study.ask()
                y = inst.true(t.params)
                study.tell(t, y)
                best = min(best, y)
                trace.append(best - inst.optimum)
    except Exception as e:  # a failed run is reported, not fatal
        error = f"{type(e).__name__}: {e}"
    return {
        "method": method,
        "problem": problem,
        "seed": seed,
        "wall_s": time.perf_counter() - start,
        "error": error,
        "trace": [float(v) for v in trace] or [float("nan")],
    }


def checkpoints(budget: int) -> list[int]:
    return sorted({10, budget // 2, budget})


def report(results: dict[str, Any], markdown: bool = False) -> str:
    runs = results["runs"]
    lines = []
    sep = " | " if markdown else "  "
    for problem in results["problems"]:
        budget = PROBLEMS[problem][1]
        cps = checkpoints(budget)
        head = ["method", *[f"n={c}" for c in cps], "wall s"]
        rows = []
        for m in results["methods"]:
            rs = [r for r in runs if r["problem"] == problem and r["method"] == m]
            ok = [r for r in rs if not r["error"] and len(r["trace"]) >= budget]
            if not ok:
                continue
            med = [np.median([r["trace"][c - 1] for r in ok]) for c in cps]
            wall = np.median([r["wall_s"] for r in ok])
            name = f"auto, {m} prior" if m in ARMS else m
            rows.append([name, *[f"{v:.4g}" for v in med], f"{wall:.1f}"])
        title = f"{problem} (d={PROBLEMS[problem][0](0).dim}, budget {budget}, "
        title += f"{len(results['seeds'])} seeds): median simple regret"
        lines.append(title)
        if markdown:
            lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            widths = [max(len(x) for x in col) for col in zip(head, *rows)]
            for r in [head, *rows]:
                lines.append(sep.join(x.ljust(w) for x, w in zip(r, widths)))
        lines.append("")
    lines.append(
        f"prior: normal, sd {SD} of the range; good: minimiser + N(0, 0.05); misleading: "
        f"{MISLEAD} of the range away per coordinate; piBO beta = {results['beta']:g} "
        "(weight beta / n)"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.priors", description=__doc__)
    p.add_argument("--problems", type=harness.csv, default=list(PROBLEMS))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--beta", type=float, default=DEFAULT_BETA, help="piBO's beta (prior_beta)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--no-peers", action="store_true", help="skip the Optuna reference")
    p.add_argument("--out", type=Path, default=harness.RESULTS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    import importlib.util

    methods = list(ARMS)
    if not args.no_peers and importlib.util.find_spec("optuna") is not None:
        methods += list(PEERS)
    seeds = list(range(args.seeds))
    jobs = [
        (problem, m, s, PROBLEMS[problem][1], args.beta)
        for problem in args.problems
        for s in seeds
        for m in methods
    ]
    log = args.out / f"priors-{time.strftime('%Y%m%d-%H%M%S')}.partial.jsonl"
    args.out.mkdir(parents=True, exist_ok=True)
    runs = harness.run_jobs(run_one, jobs, args.workers, log)
    results = {
        "problems": args.problems,
        "methods": methods,
        "seeds": seeds,
        "beta": args.beta,
        "runs": runs,
        "meta": {  # harness.meta without the commit (the lead records it)
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "versions": harness.versions(),
            "args": {k: str(v) for k, v in vars(args).items()},
        },
    }
    print(report(results))
    path = harness.save(args.out, "priors", results, report(results, True))
    log.unlink(missing_ok=True)
    print(f"written: {path}")
    return results


if __name__ == "__main__":
    main()
