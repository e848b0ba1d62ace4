"""Issue 14, item 3: setup mistakes are configuration errors, not failed evaluations.

A misspelled script, a module that does not import, output outside the result protocol
and metrics that do not match the study stop `bbo run` before or at the first trial (exit
2, with the message); that trial is ABANDONED, not FAILED, so the budget is untouched and
the rerun after the fix evaluates its point."""

from __future__ import annotations

import yaml

import bbo


def _url(tmp_path):
    return f"sqlite:///{tmp_path / 'study.db'}"


def test_misspelled_script_is_refused_by_dry_run_and_run(tmp_path, write_study, invoke):
    (tmp_path / "train.py").write_text("import sys\nprint(float(sys.argv[1]))\n")
    path = write_study(objective={"command": ["python", "trian.py", "{x}"], "cwd": "."})
    for args in (["--dry-run"], []):
        result = invoke("run", path, *args)
        assert result.exit_code == 2, result.output
        assert "objective.command: the script 'trian.py' does not exist" in result.stderr
        assert str(tmp_path / "trian.py") in result.stderr
    assert not (tmp_path / "study.db").exists()  # nothing stored, no budget spent
    path = write_study(objective={"command": ["python", "train.py", "{x}"], "cwd": "."})
    assert invoke("run", path, "--dry-run").exit_code == 0


BROKEN = "import no_such_module_here\n\ndef f(x):\n    return x\n"


def test_dry_run_imports_the_python_objective(tmp_path, write_study, invoke):
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "good.py").write_text("def f(x):\n    return x * x\n")
    result = invoke("run", write_study(objective={"python": "broken:f"}), "--dry-run")
    assert result.exit_code == 2
    assert (
        "objective.python: cannot import 'broken': ModuleNotFoundError: No module named "
        "'no_such_module_here'"
    ) in result.stderr
    result = invoke("run", write_study(objective={"python": "good:g"}), "--dry-run")
    assert result.exit_code == 2
    assert "module 'good'" in result.stderr and "has no function 'g'" in result.stderr
    result = invoke("run", write_study(objective={"python": "good:f"}), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "import" in result.stdout and "ok" in result.stdout
    assert not (tmp_path / "study.db").exists()


def test_unparseable_output_stops_at_the_first_trial_and_the_fix_resumes(
    tmp_path, write_study, invoke
):
    script = tmp_path / "obj.py"
    script.write_text("import sys\nprint(f'loss: {float(sys.argv[1]) ** 2}')\n")
    path = write_study(
        objective={"command": ["python", "obj.py", "{x}"], "cwd": "."}, budget=3, workers=1
    )
    result = invoke("run", path)
    assert result.exit_code == 2, result.output
    assert "configuration error: trial 0: the command printed no number" in result.stderr
    assert "abandoned, not counted as FAILED" in result.stderr
    (t,) = bbo.Study.load("demo", _url(tmp_path)).trials
    assert t.state == bbo.TrialState.ABANDONED and t.reason.startswith("configuration error:")

    script.write_text("import sys\nprint(float(sys.argv[1]) ** 2)\n")  # the fix
    result = invoke("run", path)  # the same command, no --new
    assert result.exit_code == 0, result.output
    trials = bbo.Study.load("demo", _url(tmp_path)).trials
    done = [x for x in trials if x.state == bbo.TrialState.COMPLETED]
    assert len(done) == 3 and not any(x.state == bbo.TrialState.FAILED for x in trials)
    assert done[0].retry_of == 0 and done[0].params == t.params  # its point, evaluated


def test_metric_names_fixed_in_the_study_file_rerun_without_new(tmp_path, write_study, invoke):
    script = "import json, sys; x = float(sys.argv[1]); print(json.dumps(dict(loss=x, acc=-x)))"
    command = ["python", "-c", script, "{x}"]
    path = write_study(objective={"command": command}, budget=2, workers=1)
    result = invoke("run", path)
    assert result.exit_code == 2
    assert "the objective returned metrics ['acc', 'loss'], which lack ['value']" in (result.stderr)
    assert "keys of `objective.direction`" in result.stderr

    path = write_study(
        objective={"command": command, "direction": {"loss": "minimize"}}, budget=2, workers=1
    )
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    assert "held no evaluated trial" in result.stderr
    study = bbo.Study.load("demo", _url(tmp_path))
    assert [o.name for o in study.objectives] == ["loss"]
    done = [t for t in study.trials if t.state == bbo.TrialState.COMPLETED]
    assert len(done) == 2 and all(t.values["loss"] == t.params["x"] for t in done)


def test_a_study_with_results_is_still_refused_as_a_conflict(tmp_path, write_study, invoke):
    path = write_study(budget=1)
    assert invoke("run", path).exit_code == 0
    objective = yaml.safe_load(path.read_text())["objective"]
    path = write_study(budget=1, objective={**objective, "direction": "maximize"})
    result = invoke("run", path)
    assert result.exit_code == 2 and "Refusing to mix trials" in result.stderr


def test_a_json_object_of_one_metric_is_the_single_objective(tmp_path, write_study, invoke):
    script = "import json, sys; print(json.dumps(dict(loss=float(sys.argv[1]))))"
    path = write_study(objective={"command": ["python", "-c", script, "{x}"]}, budget=2)
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    trials = bbo.Study.load("demo", _url(tmp_path)).trials
    assert [t.value for t in trials] == [t.params["x"] for t in trials]
