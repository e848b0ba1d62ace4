"""``python -m benchmarks.workers``: are parallel workers busy, and are durations right?

For each evaluation time (``--sleeps``), a study of 2 floats with strategy ``--strategy``
(default ``auto``: a Sobol design, then GP asks of about 0.2-1 s) runs ``--budget``
evaluations with ``bbo.run.runner.Runner`` and ``--workers`` workers on a SQLite file. The
objective is a command that sleeps and writes its own start and end times, so the table
compares what bbo recorded (``finished_at - created_at``) with what really ran:

- busy: per worker, the fraction of the run's wall time it spent evaluating (each
  evaluation is assigned to a worker lane by start time);
- overlap: the fraction of the trials whose evaluation overlapped another one;
- recorded / real: the median and the maximum recorded duration, and the real one.

    .venv/bin/python -m benchmarks.workers                    # sleeps 0.3 and 1.0 s
    .venv/bin/python -m benchmarks.workers --sleeps 0.2 --budget 30 --strategy gp
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

_SCRIPT = """import os, sys, time
t0 = time.time()
time.sleep(float(sys.argv[1]))
with open(sys.argv[2], "a") as f:
    f.write(f"{os.environ['BBO_TRIAL_ID']} {t0} {time.time()}\\n")
print((float(sys.argv[3]) - 0.3) ** 2 + (float(sys.argv[4]) - 0.7) ** 2)
"""


def lanes(spans: list[tuple[float, float]], workers: int) -> list[float]:
    """Busy seconds per worker: each span goes to the first lane free at its start."""
    free = [0.0] * workers
    busy = [0.0] * workers
    for a, b in sorted(spans):
        i = next((k for k in range(workers) if free[k] <= a), int(np.argmin(free)))
        free[i], busy[i] = b, busy[i] + b - a
    return busy


def run(sleep: float, budget: int, workers: int, strategy: str, seed: int) -> dict[str, Any]:
    """One study; what it recorded against the evaluations' own clocks."""
    from bbo.run.config import StudyConfig
    from bbo.run.runner import Runner, evaluator_for, open_study

    folder = Path(tempfile.mkdtemp(prefix="bbo-workers-"))
    (folder / "obj.py").write_text(_SCRIPT)
    log = folder / "log.txt"
    cfg = StudyConfig.model_validate(
        {
            "name": "w",
            "space": {
                "x": {"type": "float", "low": 0.0, "high": 1.0},
                "y": {"type": "float", "low": 0.0, "high": 1.0},
            },
            "objective": {
                "command": [
                    sys.executable,
                    str(folder / "obj.py"),
                    str(sleep),
                    str(log),
                    "{x}",
                    "{y}",
                ]
            },
            "storage": f"sqlite:///{folder / 'w.db'}",
            "seed": seed,
            "strategy": {"name": strategy},
            "budget": budget,
            "workers": workers,
        }
    )
    study = open_study(cfg)
    start = time.time()
    Runner(study, evaluator_for(cfg, folder), budget=budget, workers=workers).run()
    wall = time.time() - start
    real = {}
    for line in log.read_text().splitlines():
        tid, a, b = line.split()
        real[int(tid)] = (float(a), float(b))
    trials = [t for t in study.trials if t.finished_at is not None and t.id in real]
    spans = [real[t.id] for t in trials]
    recorded = np.array([t.finished_at - t.created_at for t in trials])  # type: ignore[operator]
    overlap = sum(
        any(j != i and c < b and a < d for j, (c, d) in enumerate(spans))
        for i, (a, b) in enumerate(spans)
    )
    return {
        "sleep": sleep,
        "trials": len(trials),
        "wall_s": wall,
        "busy": [s / wall for s in lanes(spans, workers)],
        "overlap": overlap / max(1, len(trials)),
        "recorded_median": float(np.median(recorded)),
        "recorded_max": float(recorded.max()),
        "real_median": float(np.median([b - a for a, b in spans])),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sleeps", default="0.3,1.0", help="evaluation seconds, comma-separated")
    p.add_argument("--budget", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--strategy", default="auto")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rows = [
        run(float(s), args.budget, args.workers, args.strategy, args.seed)
        for s in args.sleeps.split(",")
    ]
    head = ["sleep s", "trials", "wall s", "busy per worker", "overlap", "recorded med/max s"]
    print(" | ".join(head) + " | real med s")
    for r in rows:
        busy = " ".join(f"{b:.0%}" for b in r["busy"])
        print(
            f"{r['sleep']:7.2f} | {r['trials']:6d} | {r['wall_s']:6.1f} | {busy:>15} | "
            f"{r['overlap']:7.0%} | {r['recorded_median']:8.3f} / {r['recorded_max']:.3f} | "
            f"{r['real_median']:.3f}"
        )


if __name__ == "__main__":
    main()
