"""Issue 14, item 5: inspect commands find a study as `bbo run` stored it: by its name
(NAME.db in the current directory), by its study file, or by a bare .db file."""

from __future__ import annotations

import json

import pytest
import yaml

STUDY = {
    "name": "mo-demo",
    "space": {"x": {"type": "int", "low": 0, "high": 9}},
    "objective": {"command": ["echo", "{x}"]},
    "strategy": {"name": "sobol"},
    "budget": 2,
}


@pytest.fixture
def ran(tmp_path, invoke, monkeypatch):
    """A study run with the default storage (mo-demo.db beside study.yaml, in the cwd)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BBO_STORAGE", raising=False)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(STUDY))
    assert invoke("run", "study.yaml").exit_code == 0
    return tmp_path


@pytest.mark.parametrize("target", ["mo-demo", "study.yaml", "mo-demo.db"])
def test_show_and_trials_need_no_storage(ran, invoke, target):
    shown = invoke("show", target)
    assert shown.exit_code == 0, shown.output
    assert "best trial" in shown.stdout
    listed = invoke("trials", target, "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == 2


def test_export_report_ask_tell_delete_take_a_study_file(ran, invoke):
    assert invoke("export", "study.yaml", "out.json").exit_code == 0
    assert len(json.loads((ran / "out.json").read_text())) == 2
    asked = invoke("ask", "--study", "study.yaml")
    assert asked.exit_code == 0, asked.output
    trial = json.loads(asked.stdout)["trial"]
    told = invoke("tell", "--study", "mo-demo.db", "--trial", trial, "--value", "1.5")
    assert told.exit_code == 0, told.output
    assert invoke("trials", "mo-demo", "--storage", "mo-demo.db").exit_code == 0  # bare path
    deleted = invoke("delete", "study.yaml", "--yes")
    assert deleted.exit_code == 0 and "deleted study 'mo-demo' (3 trials)" in deleted.stdout


def test_a_name_with_nothing_to_find_says_where_to_look(ran, invoke):
    result = invoke("show", "other")
    assert result.exit_code == 2
    assert "where is study 'other'? pass its study file" in result.stderr
    assert "there is no other.db here" in result.stderr
    (ran / "b.yaml").write_text(yaml.safe_dump({**STUDY, "name": "b", "storage": "mo-demo.db"}))
    assert invoke("run", "b.yaml").exit_code == 0
    result = invoke("show", "mo-demo.db")
    assert result.exit_code == 2
    assert "mo-demo.db holds 'mo-demo', 'b': name the study" in result.stderr
    assert invoke("show", "b", "--storage", "mo-demo.db").exit_code == 0
    result = invoke("show", "missing.db")
    assert result.exit_code == 2 and "missing.db: the file does not exist" in result.stderr
