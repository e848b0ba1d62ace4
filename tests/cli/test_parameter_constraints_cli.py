"""study.yaml `parameter_constraints:` end to end: `bbo run` with a real command, `bbo show`,
and the errors of a bad constraint (file, field, rule)."""

from __future__ import annotations

import bbo

# prints x + 10 * n * lr (a real process per trial)
SCRIPT = "import sys; x, n, lr = map(float, sys.argv[1:]); print(x + 10 * n * lr)"
SPACE = {
    "x": {"type": "float", "low": 0.0, "high": 10.0},
    "n": {"type": "int", "low": 1, "high": 20},
    "lr": {"type": "float", "low": 0.001, "high": 1.0, "log": True},
}
RULES = ["x + n <= 12", "x - 5*lr >= 0.5"]


def test_run_show_and_resume_with_parameter_constraints(tmp_path, write_study, invoke):
    path = write_study(
        space=SPACE,
        parameter_constraints=RULES,
        objective={"command": ["python", "-c", SCRIPT, "{x}", "{n}", "{lr}"]},
        strategy={"name": "random"},
        budget=8,
    )
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = bbo.Study.load("demo", url)
    assert study.space.constraint_texts == tuple(RULES)
    trials = study.trials
    assert len(trials) == 8 and all(t.state == bbo.TrialState.COMPLETED for t in trials)
    for t in trials:
        p = t.params
        assert p["x"] + p["n"] <= 12 and p["x"] - 5 * p["lr"] >= 0.5
        assert t.value == float(f"{p['x'] + 10 * p['n'] * p['lr']}")
    shown = invoke("show", "demo", "--storage", url)
    assert shown.exit_code == 0, shown.output
    assert "parameter constraints: x + n <= 12; x - 5*lr >= 0.5" in shown.stdout
    again = invoke("run", path)  # the same file resumes the same study
    assert again.exit_code == 0, again.output


def test_changed_constraints_conflict_with_the_stored_study(write_study, invoke):
    path = write_study(
        space=SPACE,
        parameter_constraints=RULES,
        budget=2,
        objective={"command": ["python", "-c", SCRIPT, "{x}", "{n}", "{lr}"]},
    )
    assert invoke("run", path).exit_code == 0
    path = write_study(
        space=SPACE,
        parameter_constraints=RULES[:1],
        budget=2,
        objective={"command": ["python", "-c", SCRIPT, "{x}", "{n}", "{lr}"]},
    )
    result = invoke("run", path)
    assert result.exit_code != 0
    assert "parameter_constraints" in result.output


def _error_lines(path, result):
    assert result.exit_code == 2, result.output
    return [ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}: ")]


def test_bad_constraints_name_the_field_and_the_rule(tmp_path, write_study, invoke):
    for rules, rule in [
        (["x * n <= 3"], "non-linear term `x*n`"),
        (["x + y <= 3"], "unknown parameter 'y'"),
        (["x <= -1"], "cannot all hold"),
    ]:
        path = write_study(space=SPACE, parameter_constraints=rules)
        lines = _error_lines(path, invoke("run", path))
        assert any("parameter_constraints: " in ln and rule in ln for ln in lines), lines
    path = write_study(
        space=SPACE,
        parameter_constraints=RULES,
        initial_points=[{"x": 9.0, "n": 9, "lr": 0.01}],
    )
    lines = _error_lines(path, invoke("run", path))
    assert any("initial_points" in ln and "'x + n <= 12' does not hold" in ln for ln in lines)
    assert not (tmp_path / "study.db").exists()
