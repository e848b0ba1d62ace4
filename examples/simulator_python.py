"""A simulator that asks a bbo server for points and tells results (Python client).

Start a server, then one or more simulators (each is a worker with its own client id):

    bbo serve --storage sqlite:///sim.db --port 50051 --token-env BBO_TOKEN &
    BBO_TOKEN=... python examples/simulator_python.py --target 127.0.0.1:50051 --evals 30

The "simulation" is a noisy Branin function measured ``--replicates`` times: the result is
told as replicate samples. A background thread heart-beats the running trial, so a long
evaluation keeps its lease; a crash of the simulator lets the lease expire and the server
offers the point to another worker. Asking again with the same ``client_id`` after a
restart returns the trial this worker still holds (no point is lost or evaluated twice).
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import uuid
from collections.abc import Sequence

import numpy as np

import bbo

SPACE = bbo.Space({"x": bbo.Float(-5.0, 10.0), "y": bbo.Float(0.0, 15.0)})


def simulate(x: float, y: float, rng: np.random.Generator, replicates: int) -> list[float]:
    """Branin plus Gaussian noise (sd 0.5), ``replicates`` independent runs."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    f = (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10
    return [float(f + e) for e in rng.normal(0.0, 0.5, replicates)]


def run(
    target: str,
    study_name: str,
    evals: int,
    *,
    replicates: int = 3,
    lease: float = 60.0,
    seed: int = 0,
    strategy: str = "auto",
    token: str | None = None,
    worker: str | None = None,
) -> bbo.Trial:
    """Evaluate ``evals`` trials of ``study_name``; returns the best trial."""
    rng = np.random.default_rng(seed)
    worker = worker or f"py-sim-{uuid.uuid4().hex[:8]}"
    with bbo.connect(target, token=token) as client:
        study = client.create_study(SPACE, name=study_name, strategy=strategy, seed=seed)
        for _ in range(evals):
            trial = study.ask(client_id=worker, lease=lease)
            done = threading.Event()

            def beat(trial_id: int = trial.id, stop: threading.Event = done) -> None:
                while not stop.wait(lease / 4):  # renew the lease while simulating
                    study.heartbeat([trial_id], lease)

            beater = threading.Thread(target=beat, daemon=True)
            beater.start()
            try:
                samples = simulate(trial.params["x"], trial.params["y"], rng, replicates)
            except Exception as e:  # a crashed simulation is told, not lost
                study.tell(trial, failed=True, reason=f"{type(e).__name__}: {e}")
            else:
                study.tell(trial, samples=samples)
            finally:
                done.set()
                beater.join()
        return study.best


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", default="127.0.0.1:50051")
    p.add_argument("--study", default="python-sim")
    p.add_argument("--evals", type=int, default=30)
    p.add_argument("--replicates", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", default="auto")
    a = p.parse_args(argv)
    best = run(
        a.target,
        a.study,
        a.evals,
        replicates=a.replicates,
        seed=a.seed,
        strategy=a.strategy,
        token=os.environ.get("BBO_TOKEN"),  # never on the command line
    )
    print(f"best: trial {best.id} value {best.value:.4f} params {best.params}")


if __name__ == "__main__":
    main()
