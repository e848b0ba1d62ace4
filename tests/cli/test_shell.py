"""Shell ask/tell: `bbo ask` prints a trial as JSON, `bbo tell` records its result."""

from __future__ import annotations

import json

import pytest
from bbo.cli.shell import shell_assignments

import bbo


@pytest.fixture
def stored(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = bbo.Space({"x": bbo.Float(-2.0, 2.0), "act": bbo.Categorical(["relu", "tanh"])})
    bbo.Study(space, "minimize", strategy="sobol", seed=0, storage=url, name="sh")
    return url


def _ask(invoke, url, *extra):
    result = invoke("ask", "--study", "sh", "--storage", url, *extra)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ask_prints_json_and_tell_value_json_samples_failed(stored, invoke):
    (a,) = _ask(invoke, stored)
    assert a["study"] == "sh" and a["trial"] == 0 and a["source"] == "sobol"
    assert set(a["params"]) == {"x", "act"}
    b, c, d = _ask(invoke, stored, "-n", "3")  # JSON lines, distinct points
    assert [t["trial"] for t in (b, c, d)] == [1, 2, 3]

    told = invoke("tell", "--study", "sh", "--storage", stored, "--trial", 0, "--value", 0.5)
    assert told.exit_code == 0, told.output
    assert json.loads(told.stdout)["state"] == "COMPLETED"
    r = invoke(
        "tell",
        "--study",
        "sh",
        "--storage",
        stored,
        "--trial",
        1,
        "--json",
        '{"samples": [1, 2, 4]}',
    )
    assert r.exit_code == 0, r.output
    r = invoke(
        "tell",
        "--study",
        "sh",
        "--storage",
        stored,
        "--trial",
        2,
        "--failed",
        "--reason",
        "segfault",
    )
    assert r.exit_code == 0, r.output
    study = bbo.Study.load("sh", stored)
    t0, t1, t2, t3 = study.trials
    assert t0.value == 0.5 and t0.params == a["params"]
    assert t1.samples == (1.0, 2.0, 4.0) and t1.value == pytest.approx(7 / 3)
    assert t2.state == bbo.TrialState.FAILED and t2.reason == "segfault"
    assert t3.state == bbo.TrialState.RUNNING  # not reclaimed although `bbo ask` exited

    again = invoke("tell", "--study", "sh", "--storage", stored, "--trial", 0, "--value", 0.5)
    assert again.exit_code == 0  # a retried identical tell is idempotent
    other = invoke("tell", "--study", "sh", "--storage", stored, "--trial", 0, "--value", 0.7)
    assert other.exit_code == 2 and "tell: trial 0:" in other.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trial", "0"], "tell exactly one of --value V, --json TEXT, --failed or --infeasible"),
        (["--trial", "0", "--value", "1", "--failed"], "tell exactly one of"),
        (["--trial", "0", "--json", "{oops"], "--json: not valid JSON (Expecting property name"),
        (
            ["--trial", "0", "--json", '{"loss": "low"}'],
            "--json returned metric 'loss' = 'low', not a number",
        ),
        (["--trial", "0", "--value", "nan"], "--value must be a finite number, got nan"),
        (["--trial", "99", "--value", "1"], "tell: trial 99:"),
    ],
)
def test_tell_errors(stored, invoke, args, message):
    _ask(invoke, stored)
    result = invoke("tell", "--study", "sh", "--storage", stored, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_study_and_missing_storage(stored, invoke, tmp_path, monkeypatch):
    result = invoke("ask", "--study", "nope", "--storage", stored)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("studies there: 'sh' (see `bbo studies`)")
    monkeypatch.delenv("BBO_STORAGE", raising=False)
    result = invoke("ask", "--study", "sh")
    assert result.exit_code == 2 and "where is study 'sh'? pass its study file" in result.stderr
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    result = invoke("ask", "--study", "sh", "--storage", missing)
    assert result.exit_code == 2 and "typo.db does not exist" in result.stderr
    assert not (tmp_path / "typo.db").exists()
    monkeypatch.setenv("BBO_STORAGE", stored)
    assert invoke("ask", "--study", "sh").exit_code == 0


def test_ask_format_shell_is_eval_ready(stored, invoke):
    """The real bash loop of docs/getting-started.md runs in tests/cli/test_docs_cli.py."""
    result = invoke("ask", "--study", "sh", "--storage", stored, "--format", "shell")
    assert result.exit_code == 0, result.output
    (t,) = bbo.Study.load("sh", stored).trials
    assert result.stdout.splitlines() == [
        "trial=0",
        f"x={t.params['x']!r}",
        f"act={t.params['act']}",
    ]
    assert shell_assignments(7, {"a.b": "it's", "on": True}) == "trial=7\na_b='it'\"'\"'s'\non=true"
    many = invoke("ask", "--study", "sh", "--storage", stored, "--format", "shell", "-n", "2")
    assert many.exit_code == 2 and "--format shell prints one trial" in many.stderr
