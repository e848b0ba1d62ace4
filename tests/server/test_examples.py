"""examples/simulator_python.py against a real server (in-process, loopback port)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bbo.server.app import ServerThread

import bbo

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location(
        "simulator_python", ROOT / "examples/simulator_python.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_python_simulator(capsys):
    sim = _load()
    with ServerThread("memory://") as srv:
        sim.main(
            [
                "--target",
                srv.target,
                "--study",
                "sim",
                "--evals",
                "6",
                "--replicates",
                "2",
                "--strategy",
                "sobol",
            ]
        )
        out = capsys.readouterr().out
        with bbo.connect(srv.target) as c:
            trials = c.get_study("sim").trials
    assert len(trials) == 6 and all(t.state == bbo.TrialState.COMPLETED for t in trials)
    assert all(len(t.samples) == 2 and t.value == sum(t.samples) / 2 for t in trials)
    assert len({t.client_id for t in trials}) == 1  # one worker
    best = min(trials, key=lambda t: t.value)
    assert out.startswith(f"best: trial {best.id} value {best.value:.4f}")
