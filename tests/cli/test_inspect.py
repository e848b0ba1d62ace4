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
    assert rows[0]["values.latency"] == "3.0" and rows[0]["params.act"] == "relu"
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
