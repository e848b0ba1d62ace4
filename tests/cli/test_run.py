"""`bbo run` in-process (CliRunner) on real subprocess objectives and real SQLite files."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import yaml

import bbo
from bbo.space import params_key

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("branin_example", REPO / "examples" / "branin.py")
assert _spec is not None and _spec.loader is not None
_branin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_branin)
branin = _branin.branin


def _trials(path_or_url, name="demo"):
    return bbo.Study.load(name, path_or_url).trials


def test_branin_example_runs_resumes_and_extends(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(REPO)  # the example's command path is relative to where bbo starts
    config = yaml.safe_load((REPO / "examples" / "branin.yaml").read_text())
    url = f"sqlite:///{tmp_path / 'branin.db'}"
    # sobol keeps the test fast on 2 cores; the strategy is not what is tested here
    config.update(budget=30, workers=4, storage=url, strategy={"name": "sobol"})
    path = tmp_path / "branin.yaml"
    path.write_text(yaml.safe_dump(config))

    first = invoke("run", path)
    assert first.exit_code == 0, first.output
    trials = _trials(url, "branin-demo")
    assert [t.state for t in trials] == [bbo.TrialState.COMPLETED] * 30
    for t in trials:  # the value told is the script's output for those params
        assert t.value == pytest.approx(branin(t.params["x1"], t.params["x2"]), rel=1e-12)
    best = min(trials, key=lambda t: t.value)
    assert f"│ best value  │ {best.value:.6g}" in first.stdout
    assert f"x1={best.params['x1']:.6g}, x2={best.params['x2']:.6g}" in first.stdout
    assert url in first.stdout and "branin-demo" in first.stdout

    again = invoke("run", path)
    assert again.exit_code == 0
    assert "budget of 30 finished trials already reached" in again.stdout
    assert _trials(url, "branin-demo") == trials

    config["budget"] = 35
    path.write_text(yaml.safe_dump(config))
    more = invoke("run", path)
    assert more.exit_code == 0, more.output
    after = _trials(url, "branin-demo")
    assert after[:30] == trials
    assert len(after) == 35 and all(t.state == bbo.TrialState.COMPLETED for t in after)
    assert len({params_key(t.params) for t in after}) == 35


def test_cwd_is_relative_to_the_yaml_directory(tmp_path, write_study, invoke, monkeypatch):
    (tmp_path / "obj.py").write_text("import sys\nprint(float(sys.argv[1]) + 100)\n")
    path = write_study(objective={"command": ["python", "obj.py", "{x}"], "cwd": "."}, budget=2)
    monkeypatch.chdir(REPO)
    assert invoke("run", path).exit_code == 0
    trials = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    assert [t.value for t in trials] == [pytest.approx(t.params["x"] + 100) for t in trials]


def _run_one_kind(tmp_path, write_study, invoke, command, *, ok=False, **objective):
    path = write_study(objective={"command": command, **objective}, budget=2)
    result = invoke("run", path)
    if ok:
        assert result.exit_code == 0, result.output
    else:  # every trial failed: the run says so and exits 1 (not 0, as if it had worked)
        assert result.exit_code == 1, result.output
        assert "the budget is spent but no trial completed (2 finished" in result.output
    return result, _trials(f"sqlite:///{tmp_path / 'study.db'}")


def test_failing_command_records_exit_code_and_stderr_tail(tmp_path, write_study, invoke):
    script = "import sys\nfor i in range(30): print('line', i, file=sys.stderr)\nsys.exit(3)"
    result, trials = _run_one_kind(tmp_path, write_study, invoke, ["python", "-c", script, "{x}"])
    assert [t.state for t in trials] == [bbo.TrialState.FAILED] * 2
    for t in trials:
        assert t.reason == "exit code 3"
        tail = t.attrs["stderr_tail"].splitlines()
        assert tail == [f"line {i}" for i in range(10, 30)]  # the last 20 lines
    assert "FAILED: exit code 3" in result.stdout
    for t in trials:  # each failure is printed once, as it came (not again in the summary)
        assert result.stdout.count(f"trial {t.id} FAILED") == 1
        assert result.stdout.count(f"trial {t.id}: exit code 3") == 0
    assert "(failed trials: bbo trials demo --failed --storage" in result.stdout


def test_garbage_output_is_a_configuration_error_quoting_the_last_line(
    tmp_path, write_study, invoke
):
    script = "print('starting'); print('result: about {x}')"
    path = write_study(objective={"command": ["python", "-c", script]}, budget=2, workers=1)
    result = invoke("run", path)
    assert result.exit_code == 2, result.output
    (t,) = _trials(f"sqlite:///{tmp_path / 'study.db'}")  # stopped at the first trial
    assert t.state == bbo.TrialState.ABANDONED
    x = t.params["x"]
    why = f"the command printed no number on its last line: 'starting' | 'result: about {x}'"
    assert t.reason == f"configuration error: {why}"
    assert f"configuration error: trial 0: {why}" in result.stderr


def test_timeout_kills_the_command(tmp_path, write_study, invoke):
    _, trials = _run_one_kind(tmp_path, write_study, invoke, ["sleep", "30"], timeout=0.5)
    assert [t.reason for t in trials] == ["timed out after 0.5s"] * 2
    assert all(t.finished_at - t.created_at < 10 for t in trials)


def test_nan_output_is_failed_not_a_crash(tmp_path, write_study, invoke):
    _, trials = _run_one_kind(tmp_path, write_study, invoke, ["echo", "nan"])
    assert all(t.state == bbo.TrialState.FAILED for t in trials)
    assert "must be finite" in trials[0].reason


def test_json_metrics_and_pareto_summary(tmp_path, write_study, invoke):
    script = "import json, sys; x = float(sys.argv[1]); print(json.dumps(dict(a=x, b=-x)))"
    path = write_study(
        objective={
            "command": ["python", "-c", script, "{x}"],
            "direction": {"a": "minimize", "b": "minimize"},
        },
        budget=5,
    )
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    trials = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    assert all(t.values == {"a": t.params["x"], "b": -t.params["x"]} for t in trials)
    row = [ln for ln in result.stdout.splitlines() if "Pareto set" in ln and "│" in ln]
    assert row and "5 trial(s)" in row[0]  # a = -b: every point is optimal
    for t in trials:  # the Pareto table lists each with its metrics
        assert f"│ {t.id} " in result.stdout and f"x={t.params['x']:.6g}" in result.stdout


def test_constraints_from_the_study_file(tmp_path, write_study, invoke):
    script = "import json, sys; x = float(sys.argv[1]); print(json.dumps(dict(value=x, g=x)))"
    path = write_study(
        objective={"command": ["python", "-c", script, "{x}"], "constraints": ["g >= 0.5"]},
        budget=6,
    )
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    study = bbo.Study.load("demo", f"sqlite:///{tmp_path / 'study.db'}")
    assert [str(c) for c in study.constraints] == ["g >= 0.5"]
    feasible = [t for t in study.trials if t.params["x"] >= 0.5]
    assert study.best.id == min(feasible, key=lambda t: t.value).id


def test_replicate_samples(tmp_path, write_study, invoke):
    # literal braces in a template are doubled, as in str.format
    script = "import sys; x = float(sys.argv[1]); print('{{\"samples\": [%r, %r]}}' % (x, x + 1))"
    command = ["python", "-c", script, "{x}"]
    _, trials = _run_one_kind(tmp_path, write_study, invoke, command, ok=True)
    for t in trials:
        assert t.samples == (t.params["x"], t.params["x"] + 1)
        assert t.value == pytest.approx(t.params["x"] + 0.5)


def test_missing_metric_is_a_configuration_error(tmp_path, write_study, invoke):
    path = write_study(
        objective={
            "command": ["echo", '{{"other": 1, "size": 2}}'],
            "direction": {"loss": "minimize"},
        },
        budget=1,
    )
    result = invoke("run", path)
    assert result.exit_code == 2
    (t,) = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    assert t.state == bbo.TrialState.ABANDONED
    assert t.reason.startswith(
        "configuration error: the objective returned metrics ['other', 'size'], which lack"
    )
    assert "lack ['loss']" in result.stderr


OBJECTIVES = """
import os

def square(x):
    print("noise on stdout is not the result")
    return x * x

def metrics(x):
    return {"loss": abs(x), "pid": os.getpid()}

def explode(x):
    raise ValueError(f"cannot evaluate x={x}")

def sleepy(x):
    import time
    time.sleep(30)
"""


def test_python_function_objective(tmp_path, write_study, invoke):
    (tmp_path / "objectives.py").write_text(OBJECTIVES)
    path = write_study(objective={"python": "objectives:square"}, budget=4, workers=2)
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    trials = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    assert len(trials) == 4
    assert all(t.value == pytest.approx(t.params["x"] ** 2, rel=1e-15) for t in trials)
    assert "noise" not in result.stdout


def test_python_workers_are_reused_processes(tmp_path, write_study, invoke):
    (tmp_path / "objectives.py").write_text(OBJECTIVES)
    path = write_study(
        objective={"python": "objectives:metrics", "direction": {"loss": "minimize"}},
        budget=6,
        workers=2,
    )
    assert invoke("run", path).exit_code == 0
    trials = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    pids = {t.values["pid"] for t in trials}
    assert len(trials) == 6 and 1 <= len(pids) <= 2  # one process per worker slot


def test_python_function_that_raises_is_failed_with_traceback(tmp_path, write_study, invoke):
    (tmp_path / "objectives.py").write_text(OBJECTIVES)
    path = write_study(objective={"python": "objectives:explode"}, budget=2)
    result = invoke("run", path)
    assert result.exit_code == 1
    assert "no trial completed" in result.output and "raised ValueError" in result.output
    for t in _trials(f"sqlite:///{tmp_path / 'study.db'}"):
        assert t.state == bbo.TrialState.FAILED
        x = t.params["x"]
        assert t.reason == f"objectives:explode raised ValueError: cannot evaluate x={x}"
        assert 'objectives.py", line 12, in explode' in t.attrs["traceback_tail"]


def test_python_timeout_and_import_error(tmp_path, write_study, invoke):
    (tmp_path / "objectives.py").write_text(OBJECTIVES)
    path = write_study(objective={"python": "objectives:sleepy", "timeout": 0.5}, budget=2)
    assert invoke("run", path).exit_code == 1
    trials = _trials(f"sqlite:///{tmp_path / 'study.db'}")
    assert [t.reason for t in trials] == ["timed out after 0.5s"] * 2

    path = write_study(name="other", objective={"python": "nowhere:f"}, budget=1)
    assert invoke("run", path).exit_code == 2  # a configuration error, not a failed point
    (t,) = _trials(f"sqlite:///{tmp_path / 'study.db'}", "other")
    assert t.state == bbo.TrialState.ABANDONED
    assert t.reason.startswith("configuration error: cannot import 'nowhere:f': ModuleNotFound")


def test_default_storage_is_name_db_in_the_current_directory(tmp_path, invoke, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: here\nspace: {x: {type: int, low: 0, high: 9}}\n"
        "objective: {command: [echo, '{x}']}\nbudget: 3\n"
    )
    monkeypatch.chdir(tmp_path)
    assert invoke("run", path.name).exit_code == 0
    trials = _trials(f"sqlite:///{tmp_path / 'here.db'}", "here")
    assert [t.value for t in trials] == [float(t.params["x"]) for t in trials]
    assert not math.isnan(trials[0].value)


# -- issue 14: the live display says why a trial failed -----------------------------------
RAISES = """\
import sys
print("loading data", file=sys.stderr)
raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
"""


def test_live_display_shows_the_stderr_of_the_first_failures(tmp_path, write_study, invoke):
    (tmp_path / "train.py").write_text(RAISES)
    command = ["python", str(tmp_path / "train.py"), "{x}"]
    path = write_study(objective={"command": command}, budget=5, workers=1)
    result = invoke("run", path)
    assert result.exit_code == 1  # nothing completed
    lines = result.stdout.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("[")]
    assert len(starts) == 5 and all("FAILED: exit code 1" in lines[i] for i in starts)
    tail = [
        "    | loading data",
        "    | Traceback (most recent call last):",
        f'    |   File "{tmp_path / "train.py"}", line 3, in <module>',
        '    |     raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")',
        "    | RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
    ]
    for i in starts[:3]:  # the first three failures: the last 5 lines of their stderr
        assert lines[i + 1 : i + 6] == tail
    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert lines[starts[3] + 1] == (
        f"  (the output of further failures: bbo trials demo --failed --storage {url})"
    )
    assert not lines[starts[4] + 1].startswith("    | ")  # later failures: one line each
    assert result.stdout.count("  (the output of further failures") == 1


def test_json_log_trial_event_carries_the_error_tail(tmp_path, write_study, invoke):
    import json

    (tmp_path / "train.py").write_text(RAISES)
    command = ["python", str(tmp_path / "train.py"), "{x}"]
    path = write_study(objective={"command": command}, budget=2, workers=1)
    result = invoke("run", path, "--log-format", "json")
    events = [json.loads(ln) for ln in result.stdout.splitlines() if ln.startswith("{")]
    told = [e for e in events if e["event"] == "trial"]
    assert len(told) == 2
    for e in told:
        assert e["state"] == "FAILED" and e["reason"] == "exit code 1"
        assert e["error_tail"].startswith("loading data\nTraceback (most recent call last):")
        assert e["error_tail"].endswith(
            "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
        )
