"""docs/pruning.md runs as written: the command objective with progress lines under
`bbo run` (its bash lines, literally), and the `python:` objective with a trial argument."""

from __future__ import annotations

import json
import shlex

import yaml

import bbo
from tests.cli.test_docs_cli import ROOT, blocks

PAGE = ROOT / "docs" / "pruning.md"


def test_the_command_example_runs_as_written(tmp_path, monkeypatch, invoke):
    train, _ = blocks(PAGE, "py")
    (study,) = blocks(PAGE, "yaml")
    (commands,) = blocks(PAGE, "bash")
    (tmp_path / "train.py").write_text(train)
    (tmp_path / "study.yaml").write_text(study)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for line in commands.splitlines():
        command = line.partition("  #")[0]
        result = invoke(*shlex.split(command)[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.stdout)
    trials = bbo.Study.load("early-stopping", f"sqlite:///{tmp_path / 'early-stopping.db'}").trials
    assert len(trials) == 12 and all(t.state.finished for t in trials)
    pruned = [t for t in trials if t.state == bbo.TrialState.PRUNED]
    assert pruned and len(pruned) < 12
    for t in pruned:
        step = t.attrs["pruned_at_step"]
        assert step >= 1 and t.value == (t.params["lr"] - 0.3) ** 2 + 1.0 / step
    assert "PRUNED" in outputs[0]  # the summary of `bbo run`
    assert all(f"│ {t.id} " in outputs[1] or f" {t.id} │" in outputs[1] for t in pruned)
    curves = json.loads((tmp_path / "curves.json").read_text())
    done = [c for c in curves if c["state"] == "COMPLETED"]
    assert done and all([r["step"] for r in c["reports"]] == list(range(1, 10)) for c in done)


def test_the_python_objective_example_runs(tmp_path, monkeypatch, invoke):
    _, module = blocks(PAGE, "py")
    (study,) = blocks(PAGE, "yaml")
    (tmp_path / "train.py").write_text(module)
    data = yaml.safe_load(study)
    data["objective"] = {"direction": "minimize", "python": "train:fit"}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "study.yaml")
    assert result.exit_code == 0, result.output
    trials = bbo.Study.load("early-stopping", f"sqlite:///{tmp_path / 'early-stopping.db'}").trials
    states = [t.state for t in trials]
    assert len(trials) == 12 and bbo.TrialState.PRUNED in states
    assert bbo.TrialState.COMPLETED in states
