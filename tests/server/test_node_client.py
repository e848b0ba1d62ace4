"""The wire contract is language-neutral: the Node.js simulator of examples/node-client
(@grpc/grpc-js + @grpc/proto-loader reading proto/ directly) runs against a real server,
and so does its pruning example (Report per epoch, Tell pruned)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bbo.server.app import ServerConfig, ServerThread

import bbo

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "examples/node-client"
TOKEN = "node-test-token-0123456789"


def branin(x: float, y: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not (NODE_DIR / "node_modules/@grpc/grpc-js").is_dir(),
    reason="examples/node-client/node_modules is missing: run scripts/deps/node.sh",
)
def test_node_simulator_against_the_server():
    with ServerThread("memory://", ServerConfig(tokens=[TOKEN])) as srv:
        env = {**os.environ, "BBO_TOKEN": TOKEN}
        run = subprocess.run(
            ["node", str(NODE_DIR / "simulator.js"), srv.target, "node-branin", "12"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert run.returncode == 0, run.stderr
        out = json.loads(run.stdout)
        assert out["created"] is True and out["told"] == 12
        assert out["codes"] == {"nan": "INVALID_ARGUMENT", "unknown_study": "NOT_FOUND"}
        with bbo.connect(srv.target, token=TOKEN) as c:
            s = c.get_study("node-branin")
            trials = s.trials
            best = s.best
        done = [t for t in trials if t.state == bbo.TrialState.COMPLETED]
        assert len(trials) == 13 and len(done) == 12 == out["completed"]
        assert trials[-1].state == bbo.TrialState.FAILED and trials[-1].reason == "node demo"
        for t in done:  # what Node computed and told is what Python reads back
            assert t.value == pytest.approx(branin(t.params["x"], t.params["y"]), rel=1e-12)
            assert t.client_id.startswith("node-") and "request_id" in t.attrs
        assert (best.id, best.value) == (out["best"]["id"], out["best"]["value"])
        # without the token, the simulator fails with UNAUTHENTICATED
        env.pop("BBO_TOKEN")
        denied = subprocess.run(
            ["node", str(NODE_DIR / "simulator.js"), srv.target, "x", "1"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert denied.returncode == 1 and "UNAUTHENTICATED" in denied.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not (NODE_DIR / "node_modules/@grpc/grpc-js").is_dir(),
    reason="examples/node-client/node_modules is missing: run scripts/deps/node.sh",
)
def test_node_reports_per_epoch_and_stops_pruned_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'node.db'}"
    with ServerThread(url, ServerConfig(tokens=[TOKEN])) as srv:
        run = subprocess.run(
            ["node", str(NODE_DIR / "pruning.js"), srv.target, "node-pruning", "20"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "BBO_TOKEN": TOKEN},
        )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["created"] is True and out["pruner"] == "asha"
    assert out["pruned"] > 0 and out["pruned"] + out["completed"] == 20
    assert out["epochs"] < out["full_budget_epochs"] / 3  # ASHA stops most runs early
    assert out["codes"] == {
        "nan": "INVALID_ARGUMENT",
        "backwards": "FAILED_PRECONDITION",
        "unknown_trial": "NOT_FOUND",
        "finished": "FAILED_PRECONDITION",
    }
    study = bbo.Study.load("node-pruning", url)  # what Node reported is stored
    reports = study.reports()
    assert len(reports) == out["epochs"] + 1  # and the demo trial's one report
    pruned = [t for t in study.trials if t.state == bbo.TrialState.PRUNED]
    assert len(pruned) == out["pruned"]
    for t in pruned:  # its value: its last report, the loss at the epoch it stopped
        last = study.reports(t)[-1]
        lr = t.params["lr"]
        assert t.value == last.value == pytest.approx((lr - 0.3) ** 2 + 1 / last.step)
    assert study.best.id == out["best"]["id"]
    study.storage.close()
