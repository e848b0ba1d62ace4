"""A stored single-objective and a two-objective study, built with ``Study.add`` (no
strategy work), shared by the plot and report tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

import bbo

pytest.importorskip("matplotlib", reason="plots need matplotlib (pip install 'bbo[plot]')")


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """``(url, single, multi)``: 'plotdemo' (x1, x2, lr log, act categorical; 16 completed,
    1 failed) and 'mo' (two objectives, 14 completed) in one SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('viz') / 'viz.db'}"
    rng = np.random.default_rng(0)
    space = bbo.Space(
        {
            "x1": bbo.Float(-5.0, 10.0),
            "x2": bbo.Float(0.0, 15.0),
            "lr": bbo.Float(1e-4, 1e-1, log=True),
            "act": bbo.Categorical(["relu", "tanh", "gelu"]),
        }
    )
    single = bbo.Study(space, "minimize", strategy="sobol", seed=0, storage=url, name="plotdemo")
    for i, p in enumerate(space.sample(17, rng)):
        if i == 5:
            single.add(p, failed=True, reason="diverged")
            continue
        lr_pen = abs(math.log10(p["lr"]) + 2)
        single.add(p, branin(p["x1"], p["x2"]) + lr_pen + ["relu", "tanh", "gelu"].index(p["act"]))
    mo_space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    multi = bbo.Study(
        mo_space, {"f1": "minimize", "f2": "minimize"}, strategy="sobol", storage=url, name="mo"
    )
    for p in mo_space.sample(14, rng):
        g = 1 + 9 * p["y"]
        multi.add(p, {"f1": p["x"], "f2": g * (1 - math.sqrt(p["x"] / g))})
    return url, single, multi


@pytest.fixture
def invoke():
    from bbo.cli.app import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])
