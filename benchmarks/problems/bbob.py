"""The 24 noiseless BBOB functions of COCO (``cocoex``, package ``coco-experiment``).

Problem ``bbob-f<F>-d<D>`` is function ``F`` (1..24) in ``D`` dimensions (2, 5, 10, 20) on the
box ``[-5, 5]^D``. The benchmark seed picks the COCO instance ``seed + 1``: instances differ by
a shift of the optimiser (uniform in ``[-4, 4]^D``, on the boundary for the linear slope f5),
rotations and the optimum value ``f_opt`` (in ``[-1000, 1000]``), so no method wins by the
box centre.

``f_opt`` is not exposed by this cocoex version (``Problem._f0`` is broken), so it is read
off the optimiser: ``Problem._best_parameter("print")`` writes ``x_opt`` to
``._bbob_problem_best_parameter.txt`` in the working directory; we call it inside a temporary
directory, read ``x_opt`` and take ``f_opt = f(x_opt)`` (cached per function, instance and
dimension; a test checks that no random or locally optimised point is lower).

cocoex problems do not pickle: they are built inside the worker process that runs the job
(``make_problem(name, seed)``), never sent to it.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.problems.base import Instance, box, continuous

FUNCTIONS = tuple(range(1, 25))
DIMS = (2, 5, 10, 20)
NAMES = {
    1: "sphere",
    2: "ellipsoid",
    3: "rastrigin",
    4: "bueche-rastrigin",
    5: "linear slope",
    6: "attractive sector",
    7: "step ellipsoid",
    8: "rosenbrock",
    9: "rosenbrock rotated",
    10: "ellipsoid rotated",
    11: "discus",
    12: "bent cigar",
    13: "sharp ridge",
    14: "different powers",
    15: "rastrigin rotated",
    16: "weierstrass",
    17: "schaffer f7",
    18: "schaffer f7 ill-conditioned",
    19: "griewank-rosenbrock",
    20: "schwefel",
    21: "gallagher 101 peaks",
    22: "gallagher 21 peaks",
    23: "katsuura",
    24: "lunacek bi-rastrigin",
}
_CWD_LOCK = threading.Lock()  # os.chdir is process-wide


def problem_name(function: int, dim: int) -> str:
    return f"bbob-f{function}-d{dim}"


def parse_name(name: str) -> tuple[int, int]:
    """``"bbob-f15-d5"`` -> ``(15, 5)`` (ValueError for anything else)."""
    parts = name.split("-")
    if len(parts) != 3 or parts[0] != "bbob" or parts[1][:1] != "f" or parts[2][:1] != "d":
        raise ValueError(f"not a BBOB problem name: {name!r}")
    return int(parts[1][1:]), int(parts[2][1:])


def coco_problem(function: int, dim: int, instance: int) -> Any:
    """The cocoex problem (its suite is kept alive as an attribute of the returned holder)."""
    try:
        import cocoex
    except ImportError as exc:
        raise ImportError(
            "the BBOB problems need cocoex: pip install -r benchmarks/requirements.txt "
            "(coco-experiment)"
        ) from exc

    suite = cocoex.Suite(
        "bbob", f"instances: {instance}", f"function_indices: {function} dimensions: {dim}"
    )
    problem = next(iter(suite))
    return _Holder(suite, problem)


class _Holder:
    """A cocoex problem plus its suite (the problem must not outlive the suite)."""

    def __init__(self, suite: Any, problem: Any) -> None:
        self.suite = suite
        self.problem = problem

    def __call__(self, x: np.ndarray) -> float:
        return float(self.problem(np.asarray(x, dtype=float)))


@functools.cache
def optimum(function: int, dim: int, instance: int) -> tuple[tuple[float, ...], float]:
    """``(x_opt, f_opt)`` of a BBOB problem (see the module docstring)."""
    holder = coco_problem(function, dim, instance)
    with _CWD_LOCK, tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            holder.problem._best_parameter("print")
            x_opt = np.atleast_1d(np.loadtxt(Path(tmp) / "._bbob_problem_best_parameter.txt"))
        finally:
            os.chdir(cwd)
    if x_opt.shape != (dim,):
        raise RuntimeError(f"bbob f{function} d{dim}: x_opt has shape {x_opt.shape}")
    x_opt = np.clip(x_opt, -5.0, 5.0)
    return tuple(float(v) for v in x_opt), holder(x_opt)


def make_bbob(function: int, dim: int, seed: int) -> Instance:
    """BBOB function ``function`` in ``dim`` dimensions, COCO instance ``seed + 1``."""
    if function not in FUNCTIONS:
        raise ValueError(f"BBOB functions are 1..24, got {function}")
    instance = seed + 1
    holder = coco_problem(function, dim, instance)
    x_opt, f_opt = optimum(function, dim, instance)
    return continuous(
        problem_name(function, dim),
        box("x", dim, -5.0, 5.0),
        holder,
        f_opt,
        np.array(x_opt),
        info={"coco_instance": instance, "function": NAMES[function]},
    )
