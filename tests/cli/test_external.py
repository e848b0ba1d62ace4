"""`objective: external`: `bbo run` serves the study over gRPC and waits for outside workers;
here a real `bbo run` process and a `bbo.connect` worker in the test."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

import bbo

pytest.importorskip("grpc", reason="the external objective needs grpcio")


def test_run_serves_the_study_and_waits_for_outside_workers(tmp_path):
    url = f"sqlite:///{tmp_path / 'ext.db'}"
    study = {
        "name": "ext",
        "space": {"x": {"type": "float", "low": -1.0, "high": 1.0}},
        "objective": {"direction": "minimize", "external": {"port": 0, "lease": 30}},
        "strategy": {"name": "sobol"},
        "budget": 4,
        "seed": 0,
        "storage": url,
    }
    path = tmp_path / "ext.yaml"
    path.write_text(yaml.safe_dump(study))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bbo.cli.app", "run", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        while not any("serving study" in ln for ln in lines):
            line = proc.stdout.readline()
            assert line, f"bbo run ended early: {proc.stderr.read()}"
            lines.append(line)
        target = lines[-1].split(" on ", 1)[1].split(";", 1)[0]
        assert f"bbo.connect('{target}').get_study('ext')" in lines[-1]

        remote = bbo.connect(target, retry_timeout=5).get_study("ext")
        told = []
        for _ in range(3):
            t = remote.ask()
            told.append(remote.tell(t, t.params["x"] ** 2))
        t = remote.ask()
        remote.tell(t, failed=True, reason="worker crashed")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    trials = bbo.Study.load("ext", url).trials
    assert [t.state for t in trials] == [bbo.TrialState.COMPLETED] * 3 + [bbo.TrialState.FAILED]
    assert [t.value for t in trials[:3]] == [t.params["x"] ** 2 for t in trials[:3]]
    best = min(trials[:3], key=lambda t: t.value)
    assert f"│ best value  │ {best.value:.6g}" in out  # the summary of a normal run
    assert "trial 3 FAILED: worker crashed" in out  # progress lines while waiting
    with pytest.raises(bbo.BboError):  # the server is stopped: a late worker is refused
        bbo.connect(target, retry_timeout=0.5, timeout=2).get_study("ext").ask()


def test_external_on_a_public_address_needs_a_token(tmp_path, write_study, invoke):
    path = write_study(objective={"external": {"host": "0.0.0.0", "port": 0}})
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{path}: objective.external: host '0.0.0.0' is not a loopback address: set `token_env`"
    )
    missing = write_study(objective={"external": {"port": 0, "token_env": "BBO_TEST_NO_SUCH_VAR"}})
    result = invoke("run", missing)
    assert result.exit_code == 2
    assert "BBO_TEST_NO_SUCH_VAR: the environment variable is not set" in result.stderr
