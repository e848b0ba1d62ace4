"""The surrogate benchmark's bookkeeping: CPU seconds per ask, merging result files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import surrogates


def result(methods, budget=3, commit="aaa", regret=1.0, seeds=(0, 1)):
    runs = [
        {
            "method": m,
            "problem": "levi-bimodal",
            "seed": s,
            "dim": 2,
            "budget": budget,
            "replicates": 4,
            "trace": [regret] * budget,
            "ask_s": [0.5],
            "ask_cpu_s": [0.25],
            "to_tol": None,
            "error": None,
            "wall_s": 2.0,
            "cpu_s": 1.0,
        }
        for m in methods
        for s in seeds
    ]
    return {
        "kind": "surrogates",
        "commit": commit,
        "machine": "test",
        "methods": list(methods),
        "problems": ["levi-bimodal"],
        "seeds": list(seeds),
        "budget": budget,
        "replicates": 4,
        "tolerance": 0.1,
        "jobs": 2,
        "wall_s": 10.0,
        "runs": runs,
    }


def test_merge_unions_methods_and_a_later_file_replaces_a_rerun_method():
    first = result(["gp-lcb", "wasserstein"], regret=1.0)
    rerun = result(["wasserstein"], commit="bbb", regret=0.25)
    merged = surrogates.merge([("a.json", first), ("b.json", rerun)])
    assert merged["methods"] == ["gp-lcb", "wasserstein"]
    assert len(merged["runs"]) == 4
    w = [r["trace"][-1] for r in merged["runs"] if r["method"] == "wasserstein"]
    assert w == [0.25, 0.25]
    # CPU time of the kept runs per source: a.json keeps only its gp-lcb runs
    assert [s["cpu_s"] for s in merged["sources"]] == [2.0, 2.0]
    assert merged["sources"][0]["methods"] == ["gp-lcb"]
    text = surrogates.report(merged, markdown=True)
    assert "CPU seconds per model-based ask" in text and "| 0.25 | 0.25 |" in text
    assert "a.json" in text and "b.json" in text and "commit bbb" in text


def test_merge_refuses_results_of_another_budget():
    with pytest.raises(ValueError, match=r"b.json differs .* budget=5 vs 3"):
        surrogates.merge([("a.json", result(["sobol"])), ("b.json", result(["sobol"], 5))])


def test_partial_log_is_a_result_and_reports_through_main(tmp_path: Path, capsys):
    rec = surrogates.run_one("gp-lcb", "levi-bimodal", 0, 6, 3)
    assert rec["error"] is None and len(rec["trace"]) == 6
    assert len(rec["ask_cpu_s"]) == 1 and 0 < rec["ask_cpu_s"][0] <= rec["cpu_s"]
    log = tmp_path / "surrogates-x.partial.jsonl"
    log.write_text(json.dumps(rec) + "\n")
    loaded = surrogates.load(log)
    assert loaded["methods"] == ["gp-lcb"] and loaded["budget"] == 6
    assert math.isnan(loaded["wall_s"])
    merged = surrogates.main(["--report", str(log)])
    assert merged["runs"][0]["trace"] == rec["trace"]
    assert "surrogates-x.partial.jsonl: methods gp-lcb" in capsys.readouterr().out


def test_truncate_is_the_shorter_run():
    rec = surrogates.run_one("gp-lcb", "levi-bimodal", 1, 7, 3)
    short = surrogates.run_one("gp-lcb", "levi-bimodal", 1, 6, 3)
    cut = surrogates.truncate(rec, 6)
    assert cut["trace"] == short["trace"] and cut["to_tol"] == short["to_tol"]
    assert len(cut["ask_cpu_s"]) == len(short["ask_cpu_s"]) == 1
    assert cut["truncated_from"] == 7 and surrogates.truncate(rec, 7) is rec
    with pytest.raises(ValueError, match="cannot extend a run of budget 7 to 8"):
        surrogates.truncate(rec, 8)


def test_resume_reuses_runs_and_saves_json(tmp_path: Path):
    first = surrogates.run_one("sobol", "levi-bimodal", 0, 4, 2)
    log = tmp_path / "old.partial.jsonl"
    log.write_text(json.dumps(first) + "\n")
    argv = ["--problems", "levi-bimodal", "--methods", "sobol", "--seeds", "2", "--budget", "3"]
    argv += ["--replicates", "2", "--out", str(tmp_path / "out"), "--resume", str(log)]
    res = surrogates.main(argv)
    assert [r["seed"] for r in res["runs"]] == [0, 1]
    assert res["runs"][0]["trace"] == first["trace"][:3] and res["runs"][0]["truncated_from"] == 4
    saved = list((tmp_path / "out").glob("surrogates-*.json"))
    assert len(saved) == 1 and not list((tmp_path / "out").glob("*.partial.jsonl"))
    assert json.loads(saved[0].read_text())["args"]["resume"] == [str(log)]
