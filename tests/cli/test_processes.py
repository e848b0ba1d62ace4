"""`bbo run` as a real process: kill -9 and resume, Ctrl-C / SIGTERM and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bbo
from bbo.space import params_key

BUDGET = 16
# prints float(x)**2 after a sleep: `python -c SQUARE <sleep> {x}`
SQUARE = "import sys, time; time.sleep(float(sys.argv[1])); print(float(sys.argv[2]) ** 2)"


def bbo_cmd(*args: object) -> list[str]:
    """argv running the CLI in a fresh process."""
    return [sys.executable, "-m", "bbo.cli.app", *map(str, args)]


def bbo_run(path: Path, **kw):
    return subprocess.Popen(
        bbo_cmd("run", path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def completed(url: str) -> list[bbo.Trial]:
    try:
        study = bbo.Study.load("demo", url)
    except bbo.StudyNotFoundError:
        return []
    return [t for t in study.trials if t.state == bbo.TrialState.COMPLETED]


def running_trials(url: str) -> list[bbo.Trial]:
    try:
        study = bbo.Study.load("demo", url)
    except bbo.StudyNotFoundError:
        return []
    return [t for t in study.trials if t.state == bbo.TrialState.RUNNING]


def sleepy_study(write_study, sleep: float):
    return write_study(
        objective={"command": ["python", "-c", SQUARE, str(sleep), "{x}"]},
        budget=BUDGET,
        workers=2,
    )


def test_kill_9_then_rerun_reevaluates_exactly_the_inflight_points(tmp_path, write_study):
    path = sleepy_study(write_study, 0.3)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    proc = bbo_run(path)
    # kill while a trial is in flight: between a result and the next ask's trials (asked in
    # the background) none may be RUNNING for a moment
    wait_for(
        lambda: len(completed(url)) >= 4 and running_trials(url),
        what="4 completed, 1 running trial",
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    at_kill = bbo.Study.load("demo", url).trials
    done_before = {t.id: t for t in at_kill if t.state == bbo.TrialState.COMPLETED}
    running = {t.id: t for t in at_kill if t.state == bbo.TrialState.RUNNING}
    # 2 evaluating, plus at most 2 asked ahead for evaluations about to end (bbo.run.pace)
    assert len(done_before) >= 4 and 1 <= len(running) <= 2 * 2

    rerun = subprocess.run(bbo_cmd("run", path), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    after = bbo.Study.load("demo", url).trials
    by_id = {t.id: t for t in after}
    for i, t in done_before.items():  # completed results survive unchanged
        assert by_id[i] == t
    assert sum(t.state.finished for t in after) == BUDGET
    for i, t in running.items():  # in-flight trials: abandoned, their point re-evaluated
        assert by_id[i].state == bbo.TrialState.ABANDONED
        (retry,) = [r for r in after if r.retry_of == i]
        assert retry.params == t.params and retry.state == bbo.TrialState.COMPLETED
        assert retry.value == pytest.approx(t.params["x"] ** 2)
    assert all(t.state != bbo.TrialState.RUNNING for t in after)
    keys = [params_key(t.params) for t in after if t.state == bbo.TrialState.COMPLETED]
    assert len(keys) == len(set(keys)) == BUDGET  # nothing evaluated to completion twice


def test_ctrl_c_abandons_running_trials_and_rerun_completes(tmp_path, write_study):
    path = sleepy_study(write_study, 0.3)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    proc = bbo_run(path)
    wait_for(lambda: len(completed(url)) >= 2, what="2 completed trials")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err
    assert "Traceback" not in out + err
    trials = bbo.Study.load("demo", url).trials
    abandoned = [t for t in trials if t.state == bbo.TrialState.ABANDONED]
    assert not [t for t in trials if t.state == bbo.TrialState.RUNNING]
    assert abandoned and all(t.reason == "interrupted" for t in abandoned)
    assert f"interrupted ({len(abandoned)} running trial(s) abandoned)" in err
    assert "│ ABANDONED" in out  # the summary is printed

    rerun = subprocess.run(bbo_cmd("run", path), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    after = bbo.Study.load("demo", url).trials
    assert sum(t.state == bbo.TrialState.COMPLETED for t in after) == BUDGET
    for t in abandoned:
        (retry,) = [r for r in after if r.retry_of == t.id]
        assert retry.params == t.params and retry.state == bbo.TrialState.COMPLETED


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("signals", [[signal.SIGINT, signal.SIGINT], [signal.SIGTERM]])
def test_stop_kills_the_command_process_groups(tmp_path, write_study, signals):
    """A long evaluation and the processes it started die with the stop; a second Ctrl-C
    leaves no traceback."""
    pids = tmp_path / "pids"
    pids.mkdir()
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "for p in (os.getpid(), child.pid): open(os.path.join(sys.argv[1], str(p)), 'w')\n"
        "time.sleep(60)\n"
    )
    path = write_study(
        objective={"command": ["python", "-c", script, str(pids), "{x}"]}, budget=2, workers=2
    )
    proc = bbo_run(path)
    wait_for(lambda: len(list(pids.iterdir())) == 4, what="2 evaluations with 2 processes each")
    started = time.monotonic()
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.1)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130
    assert "Traceback" not in out + err
    assert not [p.name for p in pids.iterdir() if _alive(int(p.name))]
    trials = bbo.Study.load("demo", f"sqlite:///{tmp_path / 'study.db'}").trials
    assert [t.state for t in trials] == [bbo.TrialState.ABANDONED] * 2
