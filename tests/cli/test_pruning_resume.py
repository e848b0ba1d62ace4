"""`bbo run` with a pruner as a real process: kill -9 mid-study, resume; every reported
value is kept and pruned trials are not run again. Then `bbo trials` and `bbo export`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap

import bbo
from bbo.space import params_key
from tests.cli.test_processes import bbo_cmd, bbo_run, wait_for

BUDGET = 12
# prints {"step": s, "value": x + 1 / (s + 1)} every 0.1 s for 10 steps, then x
CURVE = textwrap.dedent(
    """
    import json, sys, time
    x = float(sys.argv[1])
    for s in range(10):
        print(json.dumps({"step": s, "value": x + 1 / (s + 1)}), flush=True)
        time.sleep(0.1)
    print(x)
    """
)


def _study(tmp_path, write_study):
    (tmp_path / "curve.py").write_text(CURVE)
    # threshold from step 1: x + 1/2 > 1 prunes every x > 0.5 at step 1
    pruner = {"name": "threshold", "upper": 1.0, "n_warmup_steps": 1}
    return write_study(
        objective={"command": ["python", str(tmp_path / "curve.py"), "{x}"]},
        space={"x": {"type": "float", "low": 0.0, "high": 1.0}},
        budget=BUDGET,
        workers=2,
        pruner=pruner,
    )


def _state(url: str):
    try:
        study = bbo.Study.load("demo", url)
    except bbo.StudyNotFoundError:
        return [], []
    return study.trials, study.reports()


def test_kill_9_keeps_reports_and_does_not_rerun_pruned_trials(tmp_path, write_study, invoke):
    path = _study(tmp_path, write_study)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    proc = bbo_run(path)

    def ready():
        trials, reports = _state(url)
        pruned = [t for t in trials if t.state == bbo.TrialState.PRUNED]
        running = {t.id for t in trials if t.state == bbo.TrialState.RUNNING}
        reporting = {r.trial for r in reports if r.trial in running}
        return len(pruned) >= 2 and reporting

    wait_for(ready, timeout=90, what="2 pruned trials and a running one that reported")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    trials, reports = _state(url)
    pruned = {t.id: t for t in trials if t.state == bbo.TrialState.PRUNED}
    running = {t.id: t for t in trials if t.state == bbo.TrialState.RUNNING}
    assert pruned and running

    rerun = subprocess.run(bbo_cmd("run", path), capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    after, reports_after = _state(url)
    by_id = {t.id: t for t in after}
    kept = {(r.trial, r.step, r.value) for r in reports_after}
    assert {(r.trial, r.step, r.value) for r in reports} <= kept  # every report survives
    for i, t in pruned.items():  # pruned: unchanged, never retried nor evaluated again
        assert by_id[i] == t and t.params["x"] > 0.5 and t.attrs["pruned_at_step"] == 1
        assert t.value == t.params["x"] + 0.5
        assert not [r for r in after if r.retry_of == i]
        assert [params_key(r.params) for r in after].count(params_key(t.params)) == 1
    for i in running:  # in flight at the kill: abandoned with their reports, retried
        assert by_id[i].state == bbo.TrialState.ABANDONED
        assert [r for r in after if r.retry_of == i]
    assert sum(t.state.finished for t in after) == BUDGET
    for t in after:
        if t.state == bbo.TrialState.COMPLETED:
            assert t.params["x"] <= 0.5
            steps = sorted(r.step for r in reports_after if r.trial == t.id)
            assert steps == list(range(10))
        elif t.state == bbo.TrialState.PRUNED:
            assert t.params["x"] > 0.5
    assert "PRUNED" in rerun.stdout  # the summary counts them

    # bbo trials shows the state; bbo export carries the reports
    shown = invoke("trials", "demo", "--storage", url, "--state", "pruned", "--format", "json")
    assert shown.exit_code == 0, shown.output
    listed = json.loads(shown.stdout)
    assert {t["trial"] for t in listed} == {t.id for t in after if t.state == bbo.TrialState.PRUNED}
    out = tmp_path / "out.json"
    assert invoke("export", "demo", str(out), "--storage", url).exit_code == 0
    exported = {t["trial"]: t for t in json.loads(out.read_text())}
    for t in after:
        mine = sorted((r.step, r.value) for r in reports_after if r.trial == t.id)
        assert [(r["step"], r["value"]) for r in exported[t.id]["reports"]] == mine
    csv_out = tmp_path / "out.csv"
    assert invoke("export", "demo", str(csv_out), "--storage", url).exit_code == 0
    header, first = csv_out.read_text().splitlines()[:2]
    assert header.endswith(",reports") and '""step"": 0' in first
