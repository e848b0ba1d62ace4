"""`bbo studies`, `show`, `trials`, `export` on a real SQLite study with every trial state."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import bbo


@pytest.fixture
def stored(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = bbo.Space(
        {"x": bbo.Float(0.0, 1.0), "n": bbo.Int(1, 4), "act": bbo.Categorical(["relu", "tanh"])}
    )
    s = bbo.Study(space, {"loss": "minimize"}, strategy="sobol", seed=0, storage=url, name="ins")
    s.add({"x": 0.5, "n": 2, "act": "relu"}, {"loss": 0.25, "latency": 3.0})
    s.add({"x": 0.1, "n": 1, "act": "tanh"}, samples=[0.5, 0.7])
    s.add({"x": 0.9, "n": 4, "act": "relu"}, failed=True, reason="OOM")
    s.ask()  # RUNNING, from the strategy
    bbo.Study(
        bbo.Space({"y": bbo.Float(0, 1)}), "maximize", strategy="sobol", storage=url, name="other"
    )
    return url, s


def test_studies_lists_counts_and_best(stored, invoke):
    url, _ = stored
    result = invoke("studies", "--storage", url)
    assert result.exit_code == 0, result.output
    row = next(ln for ln in result.stdout.splitlines() if "│ ins " in ln)
    assert [c.strip() for c in row.split("│")[1:7]] == ["ins", "4", "2", "1", "1", "0.25"]
    as_json = json.loads(invoke("studies", "--storage", url, "--format", "json").stdout)
    assert [s["name"] for s in as_json] == ["ins", "other"]
    assert as_json[0]["objectives"] == {"loss": "minimize"} and as_json[1]["best"] is None


def test_show_summarizes_best_and_sources(stored, invoke):
    url, _ = stored
    result = invoke("show", "ins", "--storage", url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "objectives: minimize loss" in out
    assert "│ sources     │ sobol: 1, user: 3" in out
    assert "│ best value  │ 0.25" in out and "│ best params │ x=0.5, n=2, act=relu" in out
    assert "│ x         │ float       │ low=0.0, high=1.0, log=False" in out
    assert "failed: trial 2: OOM" in out


def test_trials_as_table_csv_json(stored, invoke):
    url, _ = stored
    table = invoke("trials", "ins", "--storage", url)
    assert table.exit_code == 0 and "COMPLETED" in table.stdout and "RUNNING" in table.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(invoke("trials", "ins", "--storage", url, "--format", "csv").stdout)
        )
    )
    assert [r["state"] for r in rows] == ["COMPLETED", "COMPLETED", "FAILED", "RUNNING"]
    assert rows[0]["values.latency"] == "3" and rows[0]["params.act"] == "relu"  # whole: int
    assert json.loads(rows[1]["samples"]) == [0.5, 0.7] and rows[2]["reason"] == "OOM"
    data = json.loads(
        invoke("trials", "ins", "--storage", url, "--format", "json", "--state", "completed").stdout
    )
    assert [d["trial"] for d in data] == [0, 1] and data[0]["values"] == {
        "loss": 0.25,
        "latency": 3.0,
    }
    bad = invoke("trials", "ins", "--storage", url, "--state", "done")
    assert bad.exit_code == 2 and "--state must be one of" in bad.stderr


def test_export_csv_json_parquet(stored, invoke, tmp_path):
    url, s = stored
    trials = s.trials
    for suffix in ("csv", "json", "parquet"):
        out = tmp_path / f"out.{suffix}"
        result = invoke("export", "ins", out, "--storage", url)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"wrote 4 trial(s) of ins to {out}"
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["params.x"]) for r in rows] == [t.params["x"] for t in trials]
    data = json.loads((tmp_path / "out.json").read_text())
    assert [d["params"] for d in data] == [t.params for t in trials]
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert table["trial"] == [0, 1, 2, 3]
    assert table["params.n"] == [t.params["n"] for t in trials]
    assert table["value"][:2] == [0.25, pytest.approx(0.6)] and table["value"][2] is None
    assert table["samples"][1] == [0.5, 0.7] and table["state"][2] == "FAILED"
    bad = invoke("export", "ins", tmp_path / "out.xlsx", "--storage", url)
    assert (
        bad.exit_code == 2 and "the suffix picks the format: .csv, .json or .parquet" in bad.stderr
    )


def test_show_names_the_recommendation_and_the_best_observation(tmp_path, invoke):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    s = bbo.Study(bbo.Space({"x": bbo.Float(0.0, 1.0)}), strategy="random", seed=0,
                  storage=url, name="noisy", noisy=True)  # fmt: skip
    for i, x in enumerate(np.linspace(0.02, 0.98, 25)):
        s.add({"x": float(x)}, -0.05 if i == 22 else float((x - 0.3) ** 2))  # 22: x = 0.9
    result = invoke("show", "noisy", "--storage", url)
    assert result.exit_code == 0, result.output
    assert "best observed" in result.stdout and "trial 22: -0.05" in result.stdout
    assert "noisy objective: the best trial is the one of best predicted value" in result.stdout
    assert s.best.id != 22


# -- issue 14: why a trial failed is visible in every view ------------------------------------
OOM = """\
import sys
x = float(sys.argv[1])
print("epoch 1: loss 0.93", file=sys.stderr)
if x > 0:
    print("W" * 500, file=sys.stderr)  # a very long line: cut, not wrapped over the screen
    raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB [GPU 0]")
print(x**2)
"""


@pytest.fixture
def oom(tmp_path, write_study, invoke):
    """A real `bbo run` of a script that raises for x > 0 (trials 1 and 2 of Sobol' seed 0)."""
    (tmp_path / "train.py").write_text(OOM)
    path = write_study(objective={"command": ["python", str(tmp_path / "train.py"), "{x}"]})
    invoke("run", path)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    failed = [t for t in bbo.Study.load("demo", url).trials if t.state == bbo.TrialState.FAILED]
    assert [t.id for t in failed] == [1, 2] and all(t.reason == "exit code 1" for t in failed)
    return url, failed


LAST = "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB [GPU 0]"


def test_show_prints_the_stderr_tail_of_failed_trials(oom, invoke):
    url, _ = oom
    result = invoke("show", "demo", "--storage", url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for tid in (1, 2):
        i = lines.index(f"failed: trial {tid}: exit code 1")
        tail = lines[i + 1 : i + 6]
        assert all(ln.startswith("    | ") for ln in tail), tail
        assert tail[-1] == f"    | {LAST}"
        assert tail[0] == "    | " + "W" * 199 + "\u2026"  # long lines are cut at 200
        assert not any(ln.startswith("    | ") for ln in lines[i + 6 : i + 7])  # at most 5


def test_trials_failed_lists_only_failures_with_reason_and_tail(oom, invoke):
    url, failed = oom
    result = invoke("trials", "demo", "--storage", url, "--failed")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2 failed trial(s) of demo"
    for t in failed:
        i = lines.index(f"trial {t.id} FAILED: exit code 1 (x={t.params['x']:.6g})")
        assert lines[i + 5] == f"    | {LAST}"
    assert "COMPLETED" not in result.stdout
    as_json = json.loads(
        invoke("trials", "demo", "--storage", url, "--failed", "--format", "json").stdout
    )
    assert [d["trial"] for d in as_json] == [1, 2]
    assert all(d["error_tail"].endswith(LAST) and "epoch 1" in d["error_tail"] for d in as_json)
    bad = invoke("trials", "demo", "--storage", url, "--failed", "--state", "COMPLETED")
    assert bad.exit_code == 2 and "--failed" in bad.stderr


def test_trials_failed_on_a_study_without_failures(invoke, tmp_path):
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    s = bbo.Study(bbo.Space({"x": bbo.Float(0, 1)}), strategy="sobol", storage=url, name="clean")
    s.add({"x": 0.5}, 1.0)
    result = invoke("trials", "clean", "--storage", url, "--failed")
    assert result.exit_code == 0 and result.stdout.strip() == "no failed trials in clean"


def test_exports_carry_the_error_tail(oom, invoke, tmp_path):
    url, _ = oom
    rows = list(
        csv.DictReader(
            io.StringIO(invoke("trials", "demo", "--storage", url, "--format", "csv").stdout)
        )
    )
    assert [r["state"] for r in rows] == ["COMPLETED", "FAILED", "FAILED", "COMPLETED"]
    assert [bool(r["error_tail"]) for r in rows] == [False, True, True, False]
    assert rows[1]["error_tail"].splitlines()[-1] == LAST
    for suffix in ("csv", "json", "parquet"):
        assert invoke("export", "demo", tmp_path / f"out.{suffix}", "--storage", url).exit_code == 0
    with open(tmp_path / "out.csv", newline="") as f:
        assert list(csv.DictReader(f))[2]["error_tail"].endswith(LAST)
    data = json.loads((tmp_path / "out.json").read_text())
    assert data[0]["error_tail"] is None and data[1]["error_tail"].endswith(LAST)
    import pyarrow.parquet as pq

    tails = pq.read_table(tmp_path / "out.parquet").to_pydict()["error_tail"]
    assert tails[0] is None and tails[2].endswith(LAST)


def test_trials_failed_shows_the_traceback_of_a_python_objective(tmp_path, write_study, invoke):
    (tmp_path / "objectives.py").write_text(
        "def explode(x):\n    raise ValueError(f'cannot evaluate x={x}')\n"
    )
    path = write_study(objective={"python": "objectives:explode", "cwd": "."}, budget=1, workers=1)
    invoke("run", path)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    out = invoke("trials", "demo", "--storage", url, "--failed").stdout.splitlines()
    assert out[1].startswith("trial 0 FAILED: objectives:explode raised ValueError")
    assert out[-2] == "    |     raise ValueError(f'cannot evaluate x={x}')"
    assert out[-1].startswith("    | ValueError: cannot evaluate x=")


# -- issue 18: priors on the optimum are shown -----------------------------------------------
def test_show_lists_the_priors(tmp_path, invoke):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    space = bbo.Space(
        {
            "lr": bbo.Float(1e-5, 1e-1, log=True, prior=bbo.Prior(mean=1e-3, sd=0.5)),
            "act": bbo.Categorical(["relu", "tanh"], prior={"probs": [0.25, 0.75]}),
        }
    )
    bbo.Study(space, strategy="random", seed=0, storage=url, name="pri")
    result = invoke("show", "pri", "--storage", url)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "prior={'mean': 0.001, 'sd': 0.5}" in out
    assert "prior={'probs': [0.25, 0.75]}" in out


def test_show_names_the_pruner_or_the_fidelity(tmp_path, invoke):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    bbo.Study(space, strategy="random", seed=0, storage=url, name="asha", pruner="asha")
    bbo.Study(
        space,
        strategy="random",
        seed=0,
        storage=url,
        name="mf",
        fidelity=bbo.Fidelity("epochs", 1, 27),
    )
    asha = " ".join(invoke("show", "asha", "--storage", url).stdout.split())
    assert "pruner: asha (" in asha and "fidelity:" not in asha
    mf = " ".join(invoke("show", "mf", "--storage", url).stdout.split())
    assert "fidelity: epochs from 1 to 27, eta 3" in mf and "pruner:" not in mf
