"""``bbo space edit`` through the real ``bbo`` executable in a temporary folder (issue 18 item
6): named changes, the edited study file, refusals (exit 2, field and rule, nothing stored),
``bbo run`` resuming with the edited file, and ``bbo show`` listing the edits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

import bbo

from .conftest import study_dict

BBO = str(Path(sys.executable).parent / "bbo")


def _bbo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BBO, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_space_edit_from_the_command_line(tmp_path: Path):
    d = study_dict(tmp_path, storage="sqlite:///demo.db", workers=1)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    assert _bbo(tmp_path, "run", "study.yaml").returncode == 0
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    before = bbo.Study.load("demo", url).trials

    # refusals: exit 2 with the field and the rule; nothing stored
    bad = _bbo(tmp_path, "space", "edit", "demo", "--set", "x={type: int, low: -1, high: 1}")
    assert bad.returncode == 2 and "`space.x.type`" in bad.stderr, bad.stderr
    bad = _bbo(tmp_path, "space", "edit", "demo", "--set", "y={type: float, low: 0, high: 1}")
    assert bad.returncode == 2 and "--default y=" in bad.stderr, bad.stderr
    bad = _bbo(tmp_path, "space", "edit", "demo", "--remove", "nope")
    assert bad.returncode == 2 and "no parameter 'nope'" in bad.stderr
    assert bbo.Study.load("demo", url).space_edits == []

    # named changes
    ok = _bbo(tmp_path, "space", "edit", "demo", "--set", "x={type: float, low: -2, high: 2}")
    assert ok.returncode == 0, ok.stderr
    assert "x: [-1.0, 1.0] -> [-2.0, 2.0] (widened)" in ok.stdout

    # the edited study file: its space becomes the study's, and `bbo run` resumes with it
    d["space"] = {
        "x": {"type": "float", "low": -2.0, "high": 2.0},
        "y": {"type": "int", "low": 0, "high": 3},
    }
    d["objective"]["command"] = [*d["objective"]["command"], "{y}"]
    d["budget"] = 6
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    ok = _bbo(tmp_path, "space", "edit", "study.yaml", "--default", "y=1")
    assert ok.returncode == 0, ok.stderr
    assert "(stored trials read with y=1)" in ok.stdout
    run = _bbo(tmp_path, "run", "study.yaml")
    assert run.returncode == 0, run.stderr
    study = bbo.Study.load("demo", url)
    assert study.trials[: len(before)] == before and len(study.trials) == 6
    assert all(set(t.params) == {"x", "y"} for t in study.trials[len(before) :])
    shown = _bbo(tmp_path, "show", "demo")
    assert "space edit 1" in shown.stdout and "space edit 2" in shown.stdout, shown.stdout
    again = _bbo(tmp_path, "space", "edit", "study.yaml", "--default", "y=1")
    assert again.returncode == 0 and "unchanged" in again.stdout
