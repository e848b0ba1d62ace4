"""``python -m benchmarks.evolution``: bbo's evolutionary strategies against the CMA-ES peers.

Methods: ``bbo-cmaes``, ``bbo-de`` (bbo studies, asked one trial at a time),
``pycma`` (pycma's ``CMAEvolutionStrategy`` with IPOP restarts, see :class:`PyCMA`),
``optuna-cmaes`` (Optuna's CmaEsSampler, defaults), ``optuna-cmaes-margin`` (the same with
``with_margin=True`` for integer parameters) and ``random``. Each (method, problem, seed) run
is ``--budget-mult x d`` sequential evaluations (default 100 x d) on the seeded instances of
:mod:`benchmarks.problems`; the table gives the median (and quartiles) over seeds of the
simple regret of the best observed point (:mod:`benchmarks.scoring`), at 20 x d and at the
full budget.

Default preset: branin, hartmann6, rosenbrock6, mixed; 3 seeds (a few minutes on one core).
``--full``: every unconstrained problem, 5 seeds. Results go to
``benchmarks/results/evolution-<stamp>.{json,md}``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.methods import BboStudy, Optimizer, RandomSearch
from benchmarks.peers import OptunaSampler
from benchmarks.problems import OBJECTIVE, PROBLEMS, Instance, make_problem
from benchmarks.scoring import quartiles, regret_at, regret_trace

SMALL: dict[str, Any] = {"problems": ["branin", "hartmann6", "rosenbrock6", "mixed"], "seeds": 3}
FULL: dict[str, Any] = {
    "problems": [p for p in PROBLEMS if p != "branin-constrained"],  # no constraints in CMA peers
    "seeds": 5,
}
METHODS = ("bbo-cmaes", "bbo-de", "pycma", "optuna-cmaes", "optuna-cmaes-margin", "random")
PYCMA_SIGMA0 = 0.25  # pycma's advice: about a quarter of the (unit) search range


class PyCMA:
    """pycma ``CMAEvolutionStrategy`` in bbo's unit cube (``bounds=[0, 1]``, Int and
    Categorical columns as pycma ``integer_variables``), asked one point at a time from its
    population, with IPOP restarts (population doubled, uniform random mean) when pycma's
    own stop criteria hold."""

    def __init__(self, instance: Instance, seed: int, budget: int) -> None:
        self._space = instance.space
        self._seed = seed
        self._rng = np.random.default_rng([seed, 31])
        disc = {**instance.space.discrete_dims, **instance.space.categorical_dims}
        self._int = sorted(disc)
        self._lam0 = 4 + int(3 * math.log(instance.dim))
        self._restart = 0
        self._es = self._new(np.full(instance.dim, 0.5))
        self._X: list[np.ndarray] = []
        self._f: list[float] = []

    def _new(self, x0: np.ndarray) -> Any:
        import cma

        opts = {
            "bounds": [0.0, 1.0],
            "seed": 1000 * self._seed + self._restart + 1,  # pycma: seed 0 means "random"
            "popsize": self._lam0 * 2**self._restart,
            "verbose": -9,
        }
        if self._int:
            # a step of one level: pycma keeps the std of these coordinates above it
            opts["integer_variables"] = self._int
        return cma.CMAEvolutionStrategy(x0, PYCMA_SIGMA0, opts)

    def ask(self) -> dict[str, Any]:
        if not self._X or len(self._f) == len(self._X):
            self._X, self._f = list(self._es.ask()), []
        x = np.clip(self._X[len(self._f)], 0.0, 1.0)
        return self._space.decode(x)

    def tell(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        self._f.append(float(metrics[OBJECTIVE]))
        if len(self._f) < len(self._X):
            return
        self._es.tell(self._X, self._f)
        if self._es.stop():
            self._restart += 1
            self._es = self._new(self._rng.random(self._space.dim))
            self._X, self._f = [], []

    def add(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        raise NotImplementedError


def _optuna_cmaes(margin: bool) -> Callable[[Instance, int, int], Optimizer]:
    def make(instance: Instance, seed: int, budget: int) -> Optimizer:
        from optuna.samplers import CmaEsSampler, RandomSampler

        return OptunaSampler(
            instance,
            CmaEsSampler(
                seed=seed,
                with_margin=margin,
                independent_sampler=RandomSampler(seed=seed),
                warn_independent_sampling=False,
            ),
        )

    return make


def make_method(method: str, instance: Instance, seed: int, budget: int) -> Optimizer:
    if method.startswith("bbo-"):
        return BboStudy(method[4:], instance, seed)
    factories: dict[str, Callable[[Instance, int, int], Optimizer]] = {
        "pycma": PyCMA,
        "optuna-cmaes": _optuna_cmaes(False),
        "optuna-cmaes-margin": _optuna_cmaes(True),
        "random": RandomSearch,
    }
    return factories[method](instance, seed, budget)


def run_one(method: str, problem: str, seed: int, mult: int) -> dict[str, Any]:
    """One run: ``mult x d`` sequential ask/observe/tell rounds; the regret trace."""
    harness.single_thread()
    instance = make_problem(problem, seed)
    budget = mult * instance.dim
    start = time.perf_counter()
    opt = make_method(method, instance, seed, budget)
    noise = np.random.default_rng([seed, 777])
    observations = []
    for _ in range(budget):
        params = opt.ask()
        metrics = instance.observe(params, noise)
        opt.tell(params, metrics)
        observations.append((params, metrics))
    return {
        "method": method,
        "problem": problem,
        "seed": seed,
        "dim": instance.dim,
        "budget": budget,
        "trace": regret_trace(instance, observations),
        "wall_s": time.perf_counter() - start,
    }


def _cell(values: Sequence[float]) -> str:
    med, q25, q75 = quartiles(values)
    return f"{med:.3g} [{q25:.2g}, {q75:.2g}]"


def report(records: list[dict[str, Any]], methods: list[str], mult: int, meta: str) -> str:
    """Markdown: median [q25, q75] regret at 20 x d and at the full budget, and run times."""
    problems = list(dict.fromkeys(r["problem"] for r in records))
    lines = [f"# Evolutionary strategies vs CMA-ES peers ({meta})", ""]
    for label, m in (("20 x d", 20), (f"{mult} x d", mult)):
        lines += [f"## Median simple regret after {label} evaluations [quartiles]", ""]
        lines += ["| problem (d) | " + " | ".join(methods) + " |"]
        lines += ["|---" * (len(methods) + 1) + "|"]
        for p in problems:
            rows = [r for r in records if r["problem"] == p]
            d = rows[0]["dim"]
            cells = []
            meds = {}
            for meth in methods:
                vals = [regret_at(r["trace"], m * d) for r in rows if r["method"] == meth]
                meds[meth] = quartiles(vals)[0]
                cells.append(_cell(vals))
            best = min(meds.values())
            cells = [f"**{c}**" if meds[k] == best else c for k, c in zip(methods, cells)]
            lines.append(f"| {p} ({d}) | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Mean wall time per run (s)", "", "| method | s |", "|---|---|"]
    for meth in methods:
        w = [r["wall_s"] for r in records if r["method"] == meth]
        lines.append(f"| {meth} | {np.mean(w):.1f} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.evolution", description=__doc__)
    p.add_argument("--full", action="store_true", help="every unconstrained problem, 5 seeds")
    p.add_argument("--problems", type=harness.csv, help="comma-separated problem names")
    p.add_argument("--methods", type=harness.csv, help=f"subset of {list(METHODS)}")
    p.add_argument("--seeds", type=int, help="seeds 0..S-1 (default 3; full 5)")
    p.add_argument("--budget-mult", type=int, default=100, help="budget = MULT x d (100)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--out", default=str(harness.RESULTS), help="folder for JSON and Markdown")
    args = p.parse_args(argv)
    preset = FULL if args.full else SMALL
    args.problems = args.problems or preset["problems"]
    args.seeds = args.seeds or preset["seeds"]
    args.methods = args.methods or list(METHODS)
    bad = [m for m in args.methods if m not in METHODS] + [
        x for x in args.problems if x not in PROBLEMS
    ]
    if bad:
        p.error(f"unknown method(s)/problem(s) {bad}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    from pathlib import Path

    args = parse_args(argv)
    jobs = [
        (m, p, s, args.budget_mult)
        for p in args.problems
        for s in range(args.seeds)
        for m in args.methods
    ]
    start = time.perf_counter()
    records: list[dict[str, Any]] = []
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, initializer=harness.single_thread) as pool:
            records = list(pool.map(run_one, *zip(*jobs)))
    else:
        for job in jobs:
            records.append(run_one(*job))
            r = records[-1]
            print(
                f"{r['method']:>20} {r['problem']:>12} seed {r['seed']}: regret "
                f"{r['trace'][-1]:.3g} ({r['wall_s']:.1f}s)",
                flush=True,
            )
    total = time.perf_counter() - start
    info = f"{args.seeds} seeds, budget {args.budget_mult} x d, {total:.0f} s in all"
    md = report(records, args.methods, args.budget_mult, info)
    print(md)
    payload = {"meta": harness.meta(args), "total_s": total, "records": records}
    path = harness.save(Path(args.out), "evolution", payload, md)
    print(f"saved {path} and {path.with_suffix('.md').name}")


if __name__ == "__main__":
    main()
