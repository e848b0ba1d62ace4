"""Every invalid study file exits 2 with `<file>: <field path>: <rule>`."""

from __future__ import annotations

import pytest

from bbo.strategies import STRATEGY_NAMES

X_FLOAT = {"type": "float", "low": -1.0, "high": 1.0}


def _space(**params):
    return {"x": X_FLOAT, **params}


CASES = [
    pytest.param(
        {"space": {"x": {"type": "float", "low": 3, "high": 1}}},
        "space.x",
        "`low < high` must hold, got low=3.0, high=1.0",
        id="low>=high",
    ),
    pytest.param(
        {"space": {"x": {"type": "float", "low": 0, "high": 1, "log": True}}},
        "space.x",
        "`log=True` needs `low > 0`",
        id="log-low<=0",
    ),
    pytest.param(
        {"space": _space(c={"type": "categorical", "choices": []})},
        "space.c",
        "`choices` must not be empty",
        id="empty-choices",
    ),
    pytest.param(
        {"space": _space(c={"type": "categorical", "choices": ["a", "b", "a"]})},
        "space.c",
        "`choices` must be unique, 'a' appears at 0 and 2",
        id="duplicate-choices",
    ),
    pytest.param(
        {"space": _space(n={"type": "int", "low": 1})},
        "space.n.high",
        "required key is missing",
        id="int-missing-high",
    ),
    pytest.param(
        {"space": _space(n={"type": "integer", "low": 1, "high": 3})},
        "space.n",
        "'integer'",
        id="unknown-param-type",
    ),
    pytest.param(
        {"strategy": {"name": "magic"}},
        "strategy.name",
        f"must be one of {list(STRATEGY_NAMES)}, got 'magic'",
        id="unknown-strategy",
    ),
    pytest.param(
        {"strategy": {"name": "sobol", "bogus": 1}},
        "strategy",
        "takes no option(s) ['bogus']",
        id="unknown-strategy-option",
    ),
    pytest.param({"budgett": 3}, "budgett", "unknown key", id="unknown-top-key"),
    pytest.param(
        {"objective": {"command": ["true"], "retry": 2}},
        "objective.retry",
        "unknown key",
        id="unknown-nested-key",
    ),
    pytest.param({"budget": None}, "budget", "valid integer", id="budget-null"),
    pytest.param({"budget": 0}, "budget", "greater than or equal to 1", id="budget-0"),
    pytest.param({"workers": 0}, "workers", "greater than or equal to 1", id="workers-0"),
    pytest.param(
        {"objective": {"command": ["python", "f.py", "{x}", "{y}"]}},
        "objective.command",
        "placeholder {y} in '{y}' names no parameter; parameters are ['x']",
        id="unknown-placeholder",
    ),
    pytest.param(
        {"objective": {"command": ["true"], "python": "m:f"}},
        "objective",
        "exactly one of `command`, `python` and `external` must be given, got `command`, `python`",
        id="both-kinds",
    ),
    pytest.param(
        {"objective": {"direction": "minimize"}},
        "objective",
        "exactly one of `command`, `python` and `external` must be given, got none",
        id="neither-kind",
    ),
    pytest.param(
        {"objective": {"python": "no_function_here"}},
        "objective.python",
        "should match pattern",
        id="python-target-form",
    ),
    pytest.param(
        {"objective": {"command": ["true"], "direction": "up"}},
        "objective.direction",
        "'minimize' or 'maximize'",
        id="bad-direction",
    ),
    pytest.param({"name": ""}, "name", "at least 1 character", id="empty-name"),
    pytest.param(
        {"objective": {"command": ["true"], "constraints": ["lat < 3"]}},
        "objective.constraints",
        "a constraint reads 'METRIC <= BOUND' or 'METRIC >= BOUND', got 'lat < 3'",
        id="bad-constraint",
    ),
    pytest.param(
        {"space": {"9x": X_FLOAT}}, "space", "parameter name '9x' must start", id="param-name"
    ),
]


@pytest.mark.parametrize(("overrides", "field", "rule"), CASES)
def test_invalid_study_file_exits_2_naming_file_field_and_rule(
    write_study, invoke, overrides, field, rule
):
    path = write_study(**overrides)
    result = invoke("run", path)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}: {field}: ")]
    assert lines, result.stderr
    assert any(rule in ln for ln in lines), result.stderr
    assert not (path.parent / "study.db").exists()  # nothing ran


def test_missing_budget_is_reported(tmp_path, invoke):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nspace: {x: {type: float, low: 0, high: 1}}\nobjective: {command: [echo, '{x}']}\n"
    )
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{path}: budget: required key is missing"


def test_several_errors_one_line_each(write_study, invoke):
    path = write_study(workers=0, budget=0, extra=1)
    result = invoke("run", path)
    assert result.exit_code == 2
    fields = sorted(ln.split(": ")[1] for ln in result.stderr.strip().splitlines())
    assert fields == ["budget", "extra", "workers"]


def test_yaml_syntax_error_names_line(tmp_path, invoke):
    path = tmp_path / "broken.yaml"
    path.write_text("name: s\nspace:\n  x: {type: float, low: 0\nbudget: 3\n")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: YAML syntax error: line 4, column 7")


def test_missing_file(tmp_path, invoke):
    path = tmp_path / "study.yaml"
    result = invoke("run", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{path}: file not found"


def test_not_a_mapping(tmp_path, invoke):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert f"{path}: <top>: a study file is a mapping" in result.stderr


def test_changed_space_conflicts_with_stored_study(write_study, invoke):
    assert invoke("run", write_study(budget=1)).exit_code == 0
    other = {"x": {"type": "float", "low": -2.0, "high": 1.0}}
    result = invoke("run", write_study(budget=2, space=other))
    assert result.exit_code == 2
    assert "already exists with a different definition" in result.stderr
