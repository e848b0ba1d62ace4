"""Work done inside a worker process: one quality run of (method, problem, seed).

The problem instance is built here, in the worker (``make_problem(name, seed)``): some
(the cocoex BBOB problems) do not pickle.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from benchmarks.methods import run_method
from benchmarks.problems import make_problem
from benchmarks.scoring import regret_scale, regret_trace


def quality_job(method: str, problem: str, seed: int, budget_mult: int) -> dict[str, Any]:
    """Run ``method`` for ``budget_mult x budget_dim`` evaluations (``budget_dim`` is the
    dimension, or the fixed 10 of the high-dimensional problems) on the ``seed`` instance of
    ``problem``; return the run record (best-so-far regret trace, the regret scale used by
    the ECDF targets, wall time, error if any)."""
    instance = make_problem(problem, seed)
    budget = budget_mult * instance.budget_dim
    record: dict[str, Any] = {
        "method": method,
        "problem": problem,
        "seed": seed,
        "dim": instance.dim,
        "budget_dim": instance.budget_dim,
        "budget": budget,
        "regret_scale": regret_scale(instance, seed),
        "trace": [],
        "error": None,
    }
    start = time.perf_counter()
    try:
        observations = run_method(method, instance, budget, seed)
        record["trace"] = regret_trace(instance, observations)
        record["n_feasible"] = sum(instance.feasible(m) for _, m in observations)
    except Exception as exc:  # a crashing method is a result, not the end of the benchmark
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=8)
    record["wall_s"] = time.perf_counter() - start
    return record
