"""The methods of ``python -m benchmarks.pruning`` and one run of (method, problem, seed).

A run asks trials one at a time and trains each step by step, reporting every step to the
method's pruner, until the epochs spent reach the run's budget. The record keeps, per
trial, the cumulative epochs after it and its final value (None when pruned), from which
the best final (full-budget) value at any epoch budget is read (:func:`best_at`).

=======================  ========================================================
method                   what
=======================  ========================================================
``bbo-auto``             bbo ``auto``, every trial to ``max_step`` (no pruner)
``bbo-auto+asha``        bbo ``auto`` + ``asha`` (reduction factor 3)
``bbo-auto+hyperband``   bbo ``auto`` + ``hyperband`` (``max_resource = max_step``, 3)
``bbo-auto+median``      bbo ``auto`` + ``median`` (defaults: 5 startup trials)
``bbo-auto+fidelity``    bbo ``auto`` in a multi-fidelity study (``bbo.Fidelity("epochs",
                         1, max_step, eta=3)``: BOHB-style Hyperband allocation)
``bbo-random+asha``      bbo ``random`` + ``asha`` (reduction factor 3)
``optuna-tpe+hyperband`` Optuna TPE + ``HyperbandPruner`` (same resources, 3)
``optuna-tpe+median``    Optuna TPE + ``MedianPruner`` (defaults: 5 startup trials)
``optuna-tpe``           Optuna TPE, no pruner (not in the default list)
=======================  ========================================================

``bbo-auto+asha-lc``, ``+hyperband-lc`` and ``+fidelity-lc`` rank trials at rungs by
their predicted final values (``rank_by: predicted``, :mod:`bbo.pruners.curves`);
``bbo-auto+fidelity-value`` is a multi-fidelity study ranking by values (:data:`LC`, not
in the default list). ``bbo-auto+asha-gp``, ``+hyperband-gp`` and ``+fidelity-gp`` rank by
the optimistic final values of the curve GP (``curve_model: gp``,
:mod:`bbo.pruners.curve_gp`), their strategy seeing PRUNED trials at its mean
(``/curve-gp``, the default there).

A bbo method with a pruner takes a suffix ``/last``, ``/offset``, ``/rung``,
``/predicted``, ``/curve-gp`` or ``/exclude`` (``bbo-auto+asha/rung``): how the
strategy's model uses PRUNED trials (``bbo.strategies.History.pruned``; without a suffix
the study's default, ``Study._model_use``). The variants of ``bbo-auto`` with a pruner
are in :data:`VARIANTS`, not in the default list.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from benchmarks.pruning_problems import CurveProblem, make_curve_problem

METHODS = (
    "bbo-auto",
    "bbo-auto+asha",
    "bbo-auto+hyperband",
    "bbo-auto+median",
    "bbo-auto+fidelity",
    "bbo-random+asha",
    "optuna-tpe+hyperband",
    "optuna-tpe+median",
)
PRUNED_USES = ("last", "offset", "rung", "predicted", "curve-gp", "exclude")
VARIANTS = tuple(f"{m}/{use}" for m in METHODS if m.startswith("bbo-auto+") for use in PRUNED_USES)
# ranked at rungs by predicted final values (``rank_by: predicted``); ``fidelity-value``:
# a multi-fidelity study ranking by values, whatever the default
LC = tuple(f"bbo-auto+{p}" for p in ("asha-lc", "hyperband-lc", "fidelity-lc", "fidelity-value"))
# ranked at rungs by the curve GP's optimistic final values (``curve_model: gp``)
LC += tuple(f"bbo-auto+{p}-gp" for p in ("asha", "hyperband", "fidelity"))
VARIANTS += tuple(f"{m}/{use}" for m in LC for use in PRUNED_USES)
EXTRA = ("optuna-tpe", *LC, *VARIANTS)
ETA = 3  # reduction factor of every successive-halving pruner here

# one trial: ask -> params, report(value, step) -> stop?, finish(final value | None = pruned)
Ask = Callable[[], tuple[Mapping[str, Any], Callable[[float, int], bool], Callable[..., None]]]


def _bbo_pruner(name: str, max_step: int) -> dict[str, Any] | None:
    if name.endswith("-gp"):  # optimistic predictions of the curve GP (bbo.pruners.curve_gp)
        spec = _bbo_pruner(name.removesuffix("-gp"), max_step) or {}
        return {**spec, "rank_by": "predicted", "curve_model": "gp"}
    if name.endswith("-lc"):  # ranked by predicted final values (bbo.pruners.curves)
        return {**(_bbo_pruner(name.removesuffix("-lc"), max_step) or {}), "rank_by": "predicted"}
    if name == "asha":
        return {"name": "asha", "min_resource": 1, "reduction_factor": ETA}
    if name == "hyperband":
        return {"name": "hyperband", "min_resource": 1, "max_resource": max_step,
                "reduction_factor": ETA}  # fmt: skip
    if name == "median":
        return {"name": "median"}
    raise ValueError(f"unknown pruner {name!r}")


def _bbo(strategy: str, pruner: str | None, problem: CurveProblem, seed: int, use: str = "") -> Ask:
    import bbo

    if pruner is not None and pruner.startswith("fidelity"):  # the study allocates
        fidelity = bbo.Fidelity("epochs", 1, problem.max_step, eta=ETA)
        study = bbo.Study(problem.space, strategy=strategy, fidelity=fidelity, seed=seed)
        if pruner != "fidelity":  # the other ranking than the default, or the curve GP
            rank = "value" if pruner == "fidelity-value" else "predicted"
            model = "gp" if pruner == "fidelity-gp" else "drops"
            study._custom_pruner = fidelity.pruner(rank_by=rank, curve_model=model)
    else:
        spec = None if pruner is None else _bbo_pruner(pruner, problem.max_step)
        study = bbo.Study(problem.space, strategy=strategy, pruner=spec, seed=seed)
    if use:
        study._pruned_use = use  # History.pruned of this study's asks

    def ask() -> tuple[Mapping[str, Any], Callable[[float, int], bool], Callable[..., None]]:
        trial = study.ask()

        def finish(value: float | None) -> None:
            study.tell(trial, pruned=True) if value is None else study.tell(trial, value)

        return trial.params, lambda v, s: trial.report(v, step=s), finish

    return ask


def _distributions(space: Any) -> dict[str, Any]:
    """Optuna distributions of a space of Float and Int parameters."""
    from optuna.distributions import FloatDistribution, IntDistribution

    import bbo

    out: dict[str, Any] = {}
    for name, p in space.items():
        cls = IntDistribution if isinstance(p, bbo.Int) else FloatDistribution
        out[name] = cls(p.low, p.high, log=p.log)
    return out


def _optuna(pruner: str | None, problem: CurveProblem, seed: int) -> Ask:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruners = {
        None: optuna.pruners.NopPruner(),
        "hyperband": optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=problem.max_step, reduction_factor=ETA
        ),
        "median": optuna.pruners.MedianPruner(),
    }
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruners[pruner]
    )
    dists = _distributions(problem.space)

    def ask() -> tuple[Mapping[str, Any], Callable[[float, int], bool], Callable[..., None]]:
        trial = study.ask(dists)

        def report(v: float, s: int) -> bool:
            trial.report(v, s)
            return bool(trial.should_prune())

        def finish(value: float | None) -> None:
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                study.tell(trial, value)

        return dict(trial.params), report, finish

    return ask


def make_method(method: str, problem: CurveProblem, seed: int) -> Ask:
    """The ask function of ``method`` (see the module's table) on ``problem``."""
    name, _, use = method.partition("/")
    base, _, pruner = name.partition("+")
    if base in ("bbo-auto", "bbo-random") and (not use or (pruner and use in PRUNED_USES)):
        return _bbo(base.removeprefix("bbo-"), pruner or None, problem, seed, use)
    if base == "optuna-tpe":
        return _optuna(pruner or None, problem, seed)
    raise ValueError(f"unknown method {method!r}; choose from {[*METHODS, *EXTRA]}")


def run_curves(ask: Ask, problem: CurveProblem, seed: int, budget: int) -> list[dict[str, Any]]:
    """Trials until ``budget`` epochs are spent: ``[{"epochs": cumulative epochs after the
    trial, "steps": its steps, "final": value at max_step or None (pruned)}]``."""
    trials: list[dict[str, Any]] = []
    spent = 0
    while spent < budget:
        params, report, finish = ask()
        curve: Iterator[float] = problem.curve(params, seed)
        value, final = math.nan, None
        steps = 0
        for step, value in enumerate(curve, start=1):
            steps = step
            if report(value, step) and step < problem.max_step:
                break
        else:
            final = value
        finish(final)
        spent += steps
        trials.append({"epochs": spent, "steps": steps, "final": final})
    return trials


def best_at(trials: Sequence[Mapping[str, Any]], epochs: float) -> float:
    """The best final value among the trials that ran to ``max_step`` within ``epochs``
    spent (inf before the first)."""
    finals = [t["final"] for t in trials if t["epochs"] <= epochs and t["final"] is not None]
    return min(finals, default=math.inf)


def pruning_job(method: str, problem: str, seed: int, max_step: int, budget: int) -> dict[str, Any]:
    """One run record: ``method``, ``problem``, ``seed``, ``max_step``, ``budget``,
    ``optimum`` (None for real training), ``trials`` (see :func:`run_curves`), ``trace``
    (best final value after each trial), ``wall_s``, ``error``."""
    inst = make_curve_problem(problem, max_step)
    record: dict[str, Any] = {
        "method": method,
        "problem": problem,
        "seed": seed,
        "max_step": max_step,
        "budget": budget,
        "optimum": inst.optimum,
        "trials": [],
        "trace": [],
        "error": None,
    }
    start = time.perf_counter()
    try:
        trials = run_curves(make_method(method, inst, seed), inst, seed, budget)
        record["trials"] = trials
        record["trace"] = [best_at(trials, t["epochs"]) for t in trials]
    except Exception as exc:  # a crashing method is a result, not the end of the benchmark
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=8)
    record["wall_s"] = time.perf_counter() - start
    return record


__all__ = ["EXTRA", "METHODS", "VARIANTS", "best_at", "make_method", "pruning_job", "run_curves"]
