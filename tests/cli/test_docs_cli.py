"""The CLI pages are true: the study.yaml reference is the schema's, every study file and
every `bbo ...` line in them is valid, and getting-started runs as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

import bbo
from bbo.run.config import StudyConfig, load_config
from bbo.run.schema_doc import schema_markdown

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    *(ROOT / "docs" / p for p in ("cli.md", "getting-started.md", "pruning.md", "warm-start.md")),
]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, lang: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(page.read_text()) if m.group(1) == lang]


def test_study_yaml_reference_is_generated_from_the_schema():
    page = ROOT / "docs" / "study-yaml.md"
    assert page.read_text() == schema_markdown(), (
        "docs/study-yaml.md is stale: run `bbo schema --markdown > docs/study-yaml.md`"
    )


def _study_files():
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        yield pytest.param(path.read_text(), id=str(path.relative_to(ROOT)))
    for page in [*PAGES, ROOT / "docs" / "study-yaml.md"]:
        for i, text in enumerate(blocks(page, "yaml")):
            data = yaml.safe_load(text)
            if isinstance(data, dict) and {"name", "space", "objective"} <= set(data):
                yield pytest.param(text, id=f"{page.relative_to(ROOT)}#{i}")


@pytest.mark.parametrize("text", list(_study_files()))
def test_every_study_file_in_examples_and_docs_is_valid(text, tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    config, _ = load_config(path)
    assert isinstance(config, StudyConfig)


def _command_lines():
    for page in PAGES:
        for text in blocks(page, "bash"):
            for line in text.splitlines():
                line = line.split("  #", 1)[0].strip()
                if line.startswith("bbo ") and "$" not in line:  # loops run below
                    yield pytest.param(line, id=line[:60])


@pytest.mark.parametrize("line", list(_command_lines()))
def test_every_bbo_line_in_the_docs_parses(line):
    from bbo.cli.app import app

    group = typer.main.get_command(app)
    args = shlex.split(line)[1:]
    if args == ["--help"]:
        return
    ctx = group.make_context("bbo", list(args))
    sub = group.get_command(ctx, args[0])  # type: ignore[attr-defined]
    assert sub is not None, f"no command {args[0]!r}"
    sub.make_context(args[0], args[1:])  # raises on an unknown option or a bad value


def test_getting_started_runs_as_written(tmp_path, monkeypatch):
    from bbo.cli.app import app
    from typer.testing import CliRunner

    page = ROOT / "docs" / "getting-started.md"
    (script,) = [b for b in blocks(page, "python") if b.startswith("# quadratic.py")]
    (study,) = [b for b in blocks(page, "yaml") if b.startswith("# study.yaml")]
    (tmp_path / "quadratic.py").write_text(script)
    (tmp_path / "study.yaml").write_text(study)
    monkeypatch.chdir(tmp_path)
    bash = blocks(page, "bash")
    first = next(b for b in bash if "bbo run study.yaml --dry-run" in b)
    runner = CliRunner()
    for line in first.splitlines():
        result = runner.invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
    url = f"sqlite:///{tmp_path / 'quadratic.db'}"
    trials = bbo.Study.load("quadratic", url).trials
    assert len(trials) == 9 and all(t.state == bbo.TrialState.COMPLETED for t in trials)
    for t in trials:
        p = t.params
        assert t.value == pytest.approx((p["x"] - 1) ** 2 + (p["y"] + 2) ** 2 + 0.1 * p["layers"])
    assert (tmp_path / "results.json").stat().st_size > 0

    loop = next(b for b in bash if b.startswith("for i in"))  # real processes, real bash
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env["OMP_NUM_THREADS"] = "1"
    subprocess.run(["bash", "-euo", "pipefail", "-c", loop], check=True, env=env, timeout=300)
    after = bbo.Study.load("quadratic", url).trials
    assert len(after) == 11 and after[:9] == trials
    for t in after[9:]:
        p = t.params
        assert t.state == bbo.TrialState.COMPLETED
        assert t.value == pytest.approx((p["x"] - 1) ** 2 + (p["y"] + 2) ** 2 + 0.1 * p["layers"])


def test_when_trials_fail_runs_as_written(tmp_path, monkeypatch):
    """The setup mistake of getting-started's "When trials fail": the run stops at trial 0
    with exit status 2, that trial is ABANDONED, and after the fix the same command
    resumes the same study and evaluates that point first."""
    from bbo.cli.app import app
    from typer.testing import CliRunner

    page = ROOT / "docs" / "getting-started.md"
    (script,) = [b for b in blocks(page, "python") if b.startswith("# typo.py")]
    (study,) = [b for b in blocks(page, "yaml") if b.startswith("# typo.yaml")]
    (tmp_path / "typo.py").write_text(script)
    (tmp_path / "typo.yaml").write_text(study)
    monkeypatch.chdir(tmp_path)
    (commands,) = [b for b in blocks(page, "bash") if "bbo run typo.yaml" in b]
    runner = CliRunner()
    for line in commands.splitlines():
        command, _, comment = line.partition("  #")
        result = runner.invoke(app, shlex.split(command)[1:])
        expected = 2 if "exit status 2" in comment else 0
        assert result.exit_code == expected, (line, result.output)
        if expected:  # the message the page quotes
            said = comment.split("exit status 2: ", 1)[1].removesuffix("...").strip()
            assert said in result.stderr, (said, result.stderr)
    url = f"sqlite:///{tmp_path / 'typo.db'}"  # next to the study file
    (t0,) = bbo.Study.load("typo", url).trials
    assert t0.state == bbo.TrialState.ABANDONED

    text = page.read_text()
    fix = re.search(r"Fix the last line of `typo.py` to `(.+?)`", text)
    assert fix is not None
    old = next(ln for ln in script.splitlines() if ln.strip().startswith("print("))
    (tmp_path / "typo.py").write_text(script.replace(old.strip(), fix.group(1)))
    assert runner.invoke(app, ["run", "typo.yaml"]).exit_code == 0
    trials = bbo.Study.load("typo", url).trials
    done = [t for t in trials if t.state == bbo.TrialState.COMPLETED]
    assert len(done) == 3 and done[0].retry_of == 0
    assert not any(t.state == bbo.TrialState.FAILED for t in trials)
    assert all(t.value == pytest.approx((t.params["x"] - 1) ** 2) for t in done)
