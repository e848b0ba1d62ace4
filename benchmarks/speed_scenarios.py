"""The ask scenarios of issue 16 beyond one sequential point, for ``benchmarks.speed``.

* **Batches** (:func:`measure_batch`): ``bbo-auto`` told ``n`` uniformly random points of a
  problem; the median of ``asks`` single asks and of ``asks`` ``ask(q)`` calls (each answer
  told before the next ask, so every ask sees the same history size plus what it added).
  Target: ``ask(8)`` at ``n = 100`` within 3x a single ask.
* **Two objectives** (:func:`measure_two_objective`): DTLZ2 with ``d = 4`` and two
  objectives, ``f1 = (1 + g) cos(pi x0 / 2)``, ``f2 = (1 + g) sin(pi x0 / 2)``,
  ``g = sum_{i >= 1} (x_i - 1/2)^2`` (Deb et al. 2002), both minimized, told ``n`` random
  points; the median of ``asks`` asks after a warm-up, for ``bbo-auto`` (qLogNEHVI) and
  Optuna's GPSampler (its multi-objective LogEHVI). Target: ``auto`` at ``n = 50`` under 1 s.
* **A device** (:func:`measure_device`, ``--device cuda``): ``bbo-auto`` with 256 restarts
  (and 1,024 raw samples) told ``n = 1,000`` random points of a problem, ``ask(q = 8)`` on
  the runtime device and, in another process, on the CPU: the accelerator path of
  :mod:`bbo.acquisition.optimize` (torch steps on the device) against the CPU's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import harness
from benchmarks.problems import OBJECTIVE, make_problem

MO_DIM = 4


def _median_time(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _told_auto(
    problem: str, n: int, seed: int, salt: int, **study_kwargs: Any
) -> Callable[[int], None]:
    """A single-threaded ``bbo-auto`` study of ``problem`` told ``n`` uniformly random
    points (observations from a generator seeded with ``[seed, n, salt]``), as its
    ``ask(count)``: ``count`` asks, each answer told. ``study_kwargs`` go to
    :class:`bbo.Study` (``strategy_options``, ``device``)."""
    import bbo

    harness.single_thread()
    instance = make_problem(problem, seed)
    study = bbo.Study(
        instance.space,
        direction={OBJECTIVE: "minimize"},
        strategy="auto",
        seed=seed,
        **study_kwargs,
    )
    rng = np.random.default_rng([seed, n, salt])
    for params in instance.space.sample(n, rng):
        study.add(params, instance.observe(params, rng))

    def ask(count: int) -> None:
        for trial in study.ask(count) if count > 1 else [study.ask()]:
            study.tell(trial, instance.observe(dict(trial.params), rng))

    return ask


def measure_batch(problem: str, n: int, q: int, asks: int, seed: int = 0) -> dict[str, Any]:
    """Median seconds of a single ask and of ``ask(q)`` of ``bbo-auto`` after ``n`` random
    points of ``problem``."""
    ask = _told_auto(problem, n, seed, 97)
    ask(1)  # warm-up: imports, the first fit
    single = _median_time(lambda: ask(1), asks)
    batch = _median_time(lambda: ask(q), asks)
    return {"single_s": single, "batch_s": batch, "q": q, "status": "ok"}


def dtlz2(x: np.ndarray) -> dict[str, float]:
    """The two DTLZ2 objectives of ``x`` (``d``, in ``[0, 1]``)."""
    g = float(((x[1:] - 0.5) ** 2).sum())
    angle = 0.5 * math.pi * float(x[0])
    return {"f1": (1 + g) * math.cos(angle), "f2": (1 + g) * math.sin(angle)}


def measure_two_objective(method: str, n: int, asks: int, seed: int = 0) -> dict[str, Any]:
    """Median seconds per ask of ``method`` (``bbo-auto`` or ``optuna-gp``) on 2-objective
    DTLZ2 after ``n`` random points (one ask after each tell)."""
    harness.single_thread()
    rng = np.random.default_rng([seed, n, 96])
    history = rng.random((n, MO_DIM))
    names = [f"x{i}" for i in range(MO_DIM)]
    vector = lambda p: np.array([p[k] for k in names])  # noqa: E731
    if method == "bbo-auto":
        import bbo

        space = bbo.Space({k: bbo.Float(0.0, 1.0) for k in names})
        study = bbo.Study(
            space, strategy="auto", seed=seed, direction={"f1": "minimize", "f2": "minimize"}
        )
        for x in history:
            study.add(dict(zip(names, x.tolist())), dtlz2(x))

        def ask() -> None:
            trial = study.ask()
            study.tell(trial, dtlz2(vector(trial.params)))

    elif method == "optuna-gp":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        dists = {k: optuna.distributions.FloatDistribution(0.0, 1.0) for k in names}
        ostudy = optuna.create_study(
            directions=["minimize", "minimize"],
            sampler=optuna.samplers.GPSampler(seed=seed, deterministic_objective=True),
        )
        for x in history:
            values = list(dtlz2(x).values())
            params = dict(zip(names, x.tolist()))
            ostudy.add_trial(
                optuna.trial.create_trial(params=params, distributions=dists, values=values)
            )

        def ask() -> None:
            trial = ostudy.ask(dists)
            ostudy.tell(trial, list(dtlz2(vector(trial.params)).values()))

    else:
        raise ValueError(f"two-objective scenario: unknown method {method!r}")
    ask()  # warm-up
    return {"median_s": _median_time(ask, asks), "status": "ok"}


DEVICE_RESTARTS, DEVICE_RAW = 256, 1024


def measure_device(
    device: str, problem: str, n: int, q: int, asks: int, seed: int = 0
) -> dict[str, Any]:
    """Median seconds of ``ask(q)`` of ``bbo-auto`` with :data:`DEVICE_RESTARTS` restarts
    on ``device`` (the process's runtime device) after ``n`` random points of ``problem``;
    ``status`` ``unavailable`` when torch cannot use that device here."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        return {"status": "unavailable", "device": device}
    options = {"num_restarts": DEVICE_RESTARTS, "raw_samples": DEVICE_RAW}
    ask = _told_auto(problem, n, seed, 95, strategy_options=options, device=device)
    ask(q)  # warm-up: imports, the first fit, the device's kernels
    seconds = _median_time(lambda: ask(q), asks)
    return {"batch_s": seconds, "device": device, "restarts": DEVICE_RESTARTS, "status": "ok"}
