"""``python -m benchmarks.warmstart``: warm start from an earlier study (``prior_studies``).

Each problem is a *target* function and two *sources*: a shifted copy of it (its inputs
moved and its values scaled and offset, the earlier study of a related problem) and a
misleading one (its inputs mirrored, so that its good region is elsewhere). For every seed
a source study is run first (``--prior-evals`` Sobol' points, the earlier sweep), then the
target study three times with the same strategy and seed: without a prior, with the
shifted copy as prior study, and with the misleading one.

The table gives, per problem and arm, the evaluations needed to reach a coarse and a fine
target (regret to the known optimum ``<=`` the problem's two tolerances; median over
seeds, ``>B`` when the median run did not reach it within the budget ``B``, and how many
seeds reached it), and the median regret after 1, 5, 10 and ``B`` evaluations. Every
study runs in memory; nothing is written.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import bbo
from bbo.study.storage import MemoryStorage
from bbo.testing.functions import branin

Fn = Callable[[dict[str, float]], float]

# Hartmann-3 (Dixon and Szego): minimum -3.86278 at (0.114614, 0.555649, 0.852547)
_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


def hartmann3(x: np.ndarray) -> float:
    return float(-_H3_ALPHA @ np.exp(-(_H3_A * (x - _H3_P) ** 2).sum(1)))


@dataclass(frozen=True)
class Problem:
    """``target``, its known minimum ``optimum``, the ``shifted`` and ``misleading``
    sources, on ``space``, with ``budget`` evaluations and a regret tolerance ``tol``."""

    name: str
    space: dict[str, bbo.Float]
    target: Fn
    shifted: Fn
    misleading: Fn
    optimum: float
    budget: int
    tols: tuple[float, float]  # regret targets: coarse, fine


def _branin(dx: float, dy: float, scale: float, offset: float, mirror: bool = False) -> Fn:
    def f(p: dict[str, float]) -> float:
        x, y = p["x1"], p["x2"]
        if mirror:
            x, y = 5.0 - x, 15.0 - y
        return scale * branin(x - dx, y - dy) + offset

    return f


def _h3(shift: float, scale: float, offset: float, mirror: bool = False) -> Fn:
    def f(p: dict[str, float]) -> float:
        x = np.array([p["x0"], p["x1"], p["x2"]])
        x = 1.0 - x if mirror else x
        return scale * hartmann3(x - shift) + offset

    return f


PROBLEMS = {
    # target: branin moved by (0.6, -0.8) and lifted by 3; the source is plain branin x 1.5
    "branin": Problem(
        "branin",
        {"x1": bbo.Float(-5.0, 10.0), "x2": bbo.Float(0.0, 15.0)},
        _branin(0.6, -0.8, 1.0, 3.0),
        _branin(0.0, 0.0, 1.5, 0.0),
        _branin(0.0, 0.0, 1.0, 0.0, mirror=True),
        0.397887 + 3.0,
        25,
        (1.0, 0.05),
    ),
    # target: hartmann-3 moved by +0.05 on each axis, doubled; the source is plain hartmann-3
    "hartmann3": Problem(
        "hartmann3",
        {f"x{i}": bbo.Float(0.0, 1.0) for i in range(3)},
        _h3(0.05, 2.0, 1.0),
        _h3(0.0, 1.0, 0.0),
        _h3(0.0, 1.0, 0.0, mirror=True),
        2.0 * -3.86278 + 1.0,
        30,
        (0.2, 0.02),
    ),
}
ARMS = ("none", "shifted copy", "misleading")


def run_arm(problem: Problem, arm: str, seed: int, strategy: str, prior_evals: int) -> list[float]:
    """The regret after each evaluation of one target study (best so far)."""
    storage = MemoryStorage()
    priors: list[str] = []
    if arm != "none":
        source = problem.shifted if arm == "shifted copy" else problem.misleading
        prior = bbo.Study(problem.space, strategy="sobol", seed=1000 + seed, storage=storage)
        for _ in range(prior_evals):
            t = prior.ask()
            prior.tell(t, source(t.params))
        priors = [prior.name]
    study = bbo.Study(
        problem.space,
        strategy=strategy,
        seed=seed,
        storage=storage,
        name="target",
        prior_studies=priors,
    )
    best, out = math.inf, []
    for _ in range(problem.budget):
        t = study.ask()
        v = problem.target(t.params)
        study.tell(t, v)
        best = min(best, v)
        out.append(best - problem.optimum)
    return out


def evals_to(regrets: Sequence[float], tol: float) -> int | None:
    return next((i + 1 for i, r in enumerate(regrets) if r <= tol), None)


def _median_hits(runs: list[list[float]], tol: float, budget: int) -> str:
    """The median over seeds of the evaluations to reach regret ``<= tol`` (a run that never
    did counts as ``> budget``), and how many seeds reached it: ``"7 (5/5)"``."""
    hits = [evals_to(r, tol) for r in runs]
    ranked = sorted(h if h is not None else budget + 1 for h in hits)
    med = ranked[len(ranked) // 2]
    reached = sum(h is not None for h in hits)
    return f"{f'>{budget}' if med > budget else med} ({reached}/{len(hits)})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.warmstart", description=__doc__)
    p.add_argument("--problems", default=",".join(PROBLEMS), help=f"from {', '.join(PROBLEMS)}")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..S-1 (default 5)")
    p.add_argument("--strategy", default="gp", help="strategy of the target study (default gp)")
    p.add_argument("--prior-evals", type=int, default=30, help="evaluations of a source study")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[dict[str, object]]:
    args = parse_args(argv)
    rows: list[dict[str, object]] = []
    start = time.time()
    for name in args.problems.split(","):
        problem = PROBLEMS[name]
        for arm in ARMS:
            runs = [
                run_arm(problem, arm, s, args.strategy, args.prior_evals) for s in range(args.seeds)
            ]
            coarse, fine = problem.tols
            row: dict[str, object] = {
                "problem": f"{name} (B={problem.budget}, tol {coarse:g} / {fine:g})",
                "prior": arm,
                "evals to coarse tol": _median_hits(runs, coarse, problem.budget),
                "evals to fine tol": _median_hits(runs, fine, problem.budget),
            }
            for k in (1, 5, 10, problem.budget):
                row[f"regret@{'B' if k == problem.budget else k}"] = float(
                    np.median([r[k - 1] for r in runs])
                )
            rows.append(row)
    _print(rows, args, time.time() - start)
    return rows


def _print(rows: list[dict[str, object]], args: argparse.Namespace, seconds: float) -> None:
    cols = list(rows[0])
    cells = [[f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()] for r in rows]
    width = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vs: "| " + " | ".join(v.ljust(w) for v, w in zip(vs, width)) + " |"  # noqa: E731
    print(
        f"warm start: strategy {args.strategy}, {args.seeds} seeds, source studies of "
        f"{args.prior_evals} Sobol' points; medians over seeds ({seconds:.0f} s)"
    )
    print(line(cols))
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for row in cells:
        print(line(row))


if __name__ == "__main__":
    main()
