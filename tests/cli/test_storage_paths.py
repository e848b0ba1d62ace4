"""Issue 14, item 6: where `bbo run` stores a study is decided by the study file, never
by a typo: default and relative SQLite paths sit next to the file, --new keeps one file,
and a missing folder is an error, not a new one."""

from __future__ import annotations

import yaml

import bbo

STUDY = {
    "name": "here",
    "space": {"x": {"type": "int", "low": 0, "high": 9}},
    "objective": {"command": ["echo", "{x}"]},
    "strategy": {"name": "sobol"},
    "budget": 2,
}


def _write(folder, **overrides):
    folder.mkdir(exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump({**STUDY, **overrides}))
    return path


def test_default_storage_is_next_to_the_study_file(tmp_path, invoke, monkeypatch):
    path = _write(tmp_path / "exp")
    monkeypatch.chdir(tmp_path)  # started elsewhere: the study still lands beside its file
    assert invoke("run", "exp/study.yaml").exit_code == 0
    assert (tmp_path / "exp" / "here.db").exists() and not (tmp_path / "here.db").exists()
    dry = invoke("run", path, "--dry-run")
    assert f"sqlite:///{tmp_path / 'exp' / 'here.db'}" in dry.stdout
    assert "resume: 2 finished" in dry.stdout


def test_relative_and_bare_storage_paths_are_relative_to_the_file(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a", storage="sqlite:///results.db")
    _write(tmp_path / "b", storage="results.db")  # a bare .db path is a SQLite file
    for sub in ("a", "b"):
        assert invoke("run", f"{sub}/study.yaml").exit_code == 0
        assert len(bbo.Study.load("here", f"sqlite:///{tmp_path / sub / 'results.db'}").trials)
    assert not (tmp_path / "results.db").exists()


def test_new_keeps_the_study_in_the_same_file(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path)
    assert invoke("run", "study.yaml").exit_code == 0
    _write(tmp_path, space={"x": {"type": "int", "low": 0, "high": 5}})
    assert invoke("run", "study.yaml").exit_code == 2  # a conflict without --new
    assert invoke("run", "study.yaml", "--new").exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["here.db"]
    url = f"sqlite:///{tmp_path / 'here.db'}"
    assert len(bbo.Study.load("here-2", url).trials) == 2


def test_a_typo_in_the_storage_folder_creates_nothing(tmp_path, invoke):
    path = _write(tmp_path, storage="sqlite:///reslts/study.db")
    result = invoke("run", path)
    assert result.exit_code == 2
    assert f"the folder {tmp_path / 'reslts'} does not exist" in result.stderr
    assert not (tmp_path / "reslts").exists()
    dry = invoke("run", path, "--dry-run")
    assert dry.exit_code == 2 and "storage problem: the folder" in dry.stderr
