"""``python -m benchmarks.conditional``: conditional search spaces against Optuna and SMAC3.

Two synthetic problems with a known optimum (cheap, deterministic):

* ``optimizer``: an optimizer choice (sgd, adam, rmsprop) opening its own parameters
  (sgd: momentum and nesterov, and nesterov=false opens dampening, a nested condition;
  adam: beta1 and beta2; rmsprop: rho), plus a learning rate whose best value depends on the
  optimizer. Optimum 0 (sgd, lr 10^-1.5, momentum 0.9, nesterov, no dampening).
* ``depth``: a number of layers (1..4) and a width per layer, ``width_i`` active when
  ``layers >= i``, plus a dropout rate. Optimum 0 (3 layers of 256, 128, 64, dropout 0.2).

Methods, each with the same budget and seeds: bbo's ``auto``, ``gp`` and ``random``
(conditional parameters through ``when``: fixed imputation of inactive columns); Optuna's
TPE written define-by-run (``optuna-tpe``; ``optuna-tpe-mv``: multivariate, ``group=True``,
the setting Optuna recommends for conditional spaces); SMAC3's hyperparameter optimization
facade (random forest) on a ConfigSpace with ``EqualsCondition``/``InCondition`` (``smac``).
A bbo strategy with options is
named ``bbo-<strategy>[<option>=<value>;...]``: ``bbo-gp[conditional=indicators]`` is the GP
with activity indicators (:mod:`bbo.surrogates.activity`) instead of the imputation alone.
Peers that are not installed are skipped with a note. The table gives the median over seeds
of the best regret after 10, 25 and ``B`` evaluations and the median wall time of a run;
the results are written to benchmarks/results/conditional-<stamp>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import bbo
from bbo.space import Categorical, Float, Int, Space

RESULTS = Path(__file__).parent / "results"
Params = dict[str, Any]


# ------------------------------------------------------------------------------ problems
def optimizer_loss(p: Params) -> float:
    lr = math.log10(p["lr"])
    if p["optimizer"] == "sgd":
        v = 0.5 * (lr + 1.5) ** 2 + 2.0 * (p["momentum"] - 0.9) ** 2
        v += 0.0 if p["nesterov"] else 0.05 + 0.5 * p["dampening"] ** 2
        return v
    if p["optimizer"] == "adam":
        v = 0.5 * (lr + 3.0) ** 2 + 3.0 * (p["beta1"] - 0.9) ** 2
        return 0.05 + v + 50.0 * (p["beta2"] - 0.999) ** 2
    return 0.1 + 0.5 * (lr + 2.5) ** 2 + 2.0 * (p["rho"] - 0.9) ** 2


OPTIMIZER_SPACE = Space(
    {
        "optimizer": Categorical(["sgd", "adam", "rmsprop"]),
        "lr": Float(1e-5, 1.0, log=True),
        "momentum": Float(0.0, 0.99, when={"optimizer": ["sgd"]}),
        "nesterov": Categorical([True, False], when={"optimizer": ["sgd"]}),
        "dampening": Float(0.0, 0.5, when={"nesterov": [False]}),
        "beta1": Float(0.8, 0.99, when={"optimizer": ["adam"]}),
        "beta2": Float(0.9, 0.9999, when={"optimizer": ["adam"]}),
        "rho": Float(0.8, 0.99, when={"optimizer": ["rmsprop"]}),
    }
)

_DEPTH_BASE = {1: 0.6, 2: 0.25, 3: 0.0, 4: 0.1}
_WIDTH_BEST = (256, 128, 64, 32)


def depth_loss(p: Params) -> float:
    n = p["layers"]
    v = _DEPTH_BASE[n] + (p["dropout"] - 0.2) ** 2
    for i in range(n):
        v += 0.05 * (math.log2(p[f"width{i + 1}"]) - math.log2(_WIDTH_BEST[i])) ** 2
    return v


DEPTH_SPACE = Space(
    {
        "layers": Int(1, 4),
        "dropout": Float(0.0, 0.5),
        **{
            f"width{i}": Int(
                8, 512, log=True, when={"layers": list(range(i, 5))} if i > 1 else None
            )
            for i in range(1, 5)
        },
    }
)


@dataclass(frozen=True)
class Problem:
    name: str
    space: Space
    loss: Callable[[Params], float]
    optimum: float


PROBLEMS = {
    "optimizer": Problem("optimizer", OPTIMIZER_SPACE, optimizer_loss, 0.0),
    "depth": Problem("depth", DEPTH_SPACE, depth_loss, 0.0),
}


# ------------------------------------------------------------------------------ methods
def run_bbo(
    problem: Problem, strategy: str, seed: int, budget: int, options: Params | None = None
) -> list[float]:
    study = bbo.Study(problem.space, strategy=strategy, seed=seed, strategy_options=options)
    out = []
    for _ in range(budget):
        t = study.ask()
        v = problem.loss(t.params)
        study.tell(t, v)
        out.append(v)
    return out


def _optuna_suggest(trial: Any, space: Space) -> Params:
    """Define-by-run: parents first, each parameter asked only when active."""
    params: Params = {}
    for name in space.conditions.order if space.conditions else space.names:
        if space.conditions and not space.conditions.active(name, params):
            continue
        p = space[name]
        if isinstance(p, Float):
            params[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            params[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
        else:
            params[name] = trial.suggest_categorical(name, list(p.options))  # type: ignore[attr-defined]
    return params


def run_optuna(problem: Problem, multivariate: bool, seed: int, budget: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate, group=multivariate)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    out = []
    for _ in range(budget):
        trial = study.ask()
        v = problem.loss(_optuna_suggest(trial, problem.space))
        study.tell(trial, v)
        out.append(v)
    return out


def config_space(space: Space, seed: int) -> Any:
    """A ConfigSpace with the space's conditions (``EqualsCondition``/``InCondition``,
    several parents joined by ``AndConjunction``)."""
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    for name, p in space.items():
        if isinstance(p, Float):
            hps[name] = CS.Float(name, (p.low, p.high), log=p.log)
        elif isinstance(p, Int):
            hps[name] = CS.Integer(name, (p.low, p.high), log=p.log)
        else:
            hps[name] = CS.Categorical(name, [str(o) for o in p.options])  # type: ignore[attr-defined]
    cs.add(list(hps.values()))
    for name, conds in space.conditions.when.items():
        parts = []
        for c in conds:
            parent = hps[c.parameter]
            vals = [
                str(v) if isinstance(parent, CS.CategoricalHyperparameter) else v for v in c.values
            ]
            parts.append(
                CS.EqualsCondition(hps[name], parent, vals[0])
                if len(vals) == 1
                else CS.InCondition(hps[name], parent, vals)
            )
        cs.add(parts[0] if len(parts) == 1 else CS.AndConjunction(*parts))
    return cs


def run_smac(problem: Problem, seed: int, budget: int) -> list[float]:
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue

    warnings.filterwarnings("ignore", module="smac")
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # its forest on few points
    labels = {
        n: {str(o): o for o in p.options}
        for n, p in problem.space.items()
        if isinstance(p, Categorical)
    }
    with tempfile.TemporaryDirectory(prefix="smac-") as tmp:
        scenario = Scenario(
            config_space(problem.space, seed),
            deterministic=True,
            n_trials=budget,
            seed=seed,
            output_directory=Path(tmp),
        )
        smac = HyperparameterOptimizationFacade(
            scenario, target_function=_never, overwrite=True, logging_level=40
        )
        out = []
        for _ in range(budget):
            info = smac.ask()
            params = {
                n: labels[n][str(v)] if n in labels else (v.item() if hasattr(v, "item") else v)
                for n, v in dict(info.config).items()
            }
            v = problem.loss(params)
            smac.tell(info, TrialValue(cost=v), save=False)
            out.append(v)
    return out


def _never(config: Any, seed: int = 0) -> float:
    raise RuntimeError("driven by ask/tell")


METHODS: dict[str, tuple[Callable[[Problem, int, int], list[float]], str | None]] = {
    "bbo-auto": (lambda pr, s, b: run_bbo(pr, "auto", s, b), None),
    "bbo-gp": (lambda pr, s, b: run_bbo(pr, "gp", s, b), None),
    "bbo-random": (lambda pr, s, b: run_bbo(pr, "random", s, b), None),
    "optuna-tpe": (lambda pr, s, b: run_optuna(pr, False, s, b), "optuna"),
    "optuna-tpe-mv": (lambda pr, s, b: run_optuna(pr, True, s, b), "optuna"),
    "smac": (run_smac, "smac"),
}


def method_fn(name: str) -> tuple[Callable[[Problem, int, int], list[float]], str | None]:
    """The runner of a method: a name of :data:`METHODS`, or a bbo strategy with options,
    ``bbo-<strategy>[<option>=<value>;...]`` (``bbo-gp[conditional=indicators]``; a value
    is read as JSON where it parses, else as a string)."""
    if name in METHODS:
        return METHODS[name]
    m = re.fullmatch(r"bbo-(\w+)\[(.*)\]", name)
    if m is None:
        raise SystemExit(f"unknown method {name!r}: from {', '.join(METHODS)} or bbo-<s>[k=v]")
    options: Params = {}
    for item in filter(None, m.group(2).split(";")):
        key, _, value = item.partition("=")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value.strip()
    strategy = m.group(1)
    return (lambda pr, s, b: run_bbo(pr, strategy, s, b, options)), None


# ------------------------------------------------------------------------------ driver
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.conditional", description=__doc__)
    p.add_argument("--problems", default=",".join(PROBLEMS), help=f"from {', '.join(PROBLEMS)}")
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"from {', '.join(METHODS)}, or bbo-<strategy>[<option>=<value>;...]",
    )
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..S-1 (default 5)")
    p.add_argument("--budget", type=int, default=50, help="evaluations per run (default 50)")
    p.add_argument("--no-write", action="store_true", help="print only")
    return p.parse_args(argv)


def _installed(module: str | None) -> bool:
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    rows: list[dict[str, Any]] = []
    notes = []
    for name in args.problems.split(","):
        problem = PROBLEMS[name]
        for method in args.methods.split(","):
            fn, module = method_fn(method)
            if not _installed(module):
                notes.append(f"{method}: {module} is not installed, skipped")
                continue
            curves, secs = [], []
            for seed in range(args.seeds):
                t0 = time.time()
                values = fn(problem, seed, args.budget)
                secs.append(time.time() - t0)
                curves.append(np.minimum.accumulate(np.asarray(values) - problem.optimum))
            row: dict[str, Any] = {"problem": name, "method": method}
            for k in (10, 25, args.budget):
                if k <= args.budget:
                    key = f"regret@{'B' if k == args.budget else k}"
                    row[key] = float(np.median([c[k - 1] for c in curves]))
            row["seconds/run"] = float(np.median(secs))
            rows.append(row)
            print(_fmt(row), flush=True)
    text = _table(rows, args, notes)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"conditional-{stamp}.json").write_text(
            json.dumps({"args": vars(args), "rows": rows, "notes": notes}, indent=1)
        )
        (RESULTS / f"conditional-{stamp}.md").write_text(text + "\n")
    return rows


def _fmt(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


def _table(rows: list[dict[str, Any]], args: argparse.Namespace, notes: list[str]) -> str:
    cols = list(rows[0]) if rows else ["problem", "method"]
    cells = [[f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()] for r in rows]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vs: "| " + " | ".join(v.ljust(w) for v, w in zip(vs, width)) + " |"  # noqa: E731
    out = [
        f"conditional spaces: {args.seeds} seeds, budget B={args.budget}; median best regret "
        "(known optimum 0) and median seconds per run",
        "",
        line(cols),
        "|" + "|".join("-" * (w + 2) for w in width) + "|",
        *(line(r) for r in cells),
    ]
    return "\n".join(out + [f"note: {n}" for n in notes])


if __name__ == "__main__":
    main()
