"""Objective statistics through study.yaml and the CLI (issue 20): `bbo run` of a command
that prints replicate samples, `bbo show` with the bootstrap interval, `bbo export`."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import bbo
from bbo.statistics import Statistic

# prints {"samples": [...]}: 8 replicates x + 0.1 * k, k = 0..7
SAMPLES = (
    "import sys, json; x = float(sys.argv[1]); "
    "print(json.dumps({{'samples': [x + 0.1 * k for k in range(8)]}}))"
)


def _objective(**kw):
    return {"command": ["python", "-c", SAMPLES, "{x}"], **kw}


def test_run_show_export_a_cvar_study(write_study, invoke, tmp_path):
    path = write_study(objective=_objective(statistic="cvar", alpha=0.75))
    result = invoke("run", path)
    assert result.exit_code == 0, result.output
    study = bbo.Study.load("demo", f"sqlite:///{tmp_path / 'study.db'}")
    assert study.objectives[0].statistic == Statistic("cvar", 0.75)
    t = study.best
    assert t.samples is not None and len(t.samples) == 8
    assert t.value == pytest.approx(t.params["x"] + 0.65)  # the mean of the top two
    shown = invoke("show", "demo", "--storage", f"sqlite:///{tmp_path / 'study.db'}")
    assert shown.exit_code == 0, shown.output
    assert "minimize value (cvar(0.75))" in shown.stdout
    assert "best cvar(0.75):" in shown.stdout and "95% interval [" in shown.stdout
    out = tmp_path / "t.csv"
    exported = invoke("export", "demo", str(out), "--storage", f"sqlite:///{tmp_path / 'study.db'}")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert {"value_se", "value_low", "value_high"} <= set(rows[0])
    est = study.estimate(t)
    best_row = next(r for r in rows if int(r["trial"]) == t.id)
    assert float(best_row["value_low"]) == pytest.approx(est.low)
    assert json.loads(best_row["samples"]) == list(t.samples)


@pytest.mark.parametrize(
    "objective, words",
    [
        ({"statistic": "cvar", "alpha": 1.5}, ["objective: statistic:", "must lie in (0, 1)"]),
        ({"statistic": "cvar"}, ["objective: statistic:", "needs `alpha`"]),
        ({"statistic": "p95", "alpha": 0.9}, ["`alpha` go beside a statistic's bare name"]),
        ({"statistic": "var95"}, ["must be one of"]),
        ({"constraints": ["cvar(lat) <= 3"]}, ["objective.constraints", "needs `alpha`"]),
    ],
)
def test_bad_statistic_in_study_yaml_names_the_field(write_study, invoke, objective, words):
    path = write_study(objective=_objective(**objective))
    result = invoke("run", path)
    assert result.exit_code != 0
    for w in words:
        assert w in result.output, result.output


def test_a_value_for_a_statistic_study_fails_the_trial_with_the_rule(write_study, invoke, tmp_path):
    square = "import sys; print(float(sys.argv[1]) ** 2)"
    obj = {"command": ["python", "-c", square, "{x}"], "statistic": "median"}
    path = write_study(objective=obj, budget=2)
    result = invoke("run", path)
    assert "tell `samples=[...]`" in result.output, result.output


# {"samples": {"value": [...], "lat": [...]}}: 10 replicates per metric, lat spread grows with x
PER_METRIC = (
    "import sys, json; x = float(sys.argv[1]); "
    "print(json.dumps({{'samples': {{'value': [x * x + 0.01 * k for k in range(10)], "
    "'lat': [1 + x * k for k in range(10)]}}}}))"
)


def test_run_with_a_constraint_statistic_and_samples_per_metric(write_study, invoke, tmp_path):
    obj = {
        "command": ["python", "-c", PER_METRIC, "{x}"],
        "constraints": ["p90(lat) <= 4"],
        "statistic": "median",
    }
    result = invoke("run", write_study(objective=obj, budget=6))
    assert result.exit_code == 0, result.output
    study = bbo.Study.load("demo", f"sqlite:///{tmp_path / 'study.db'}")
    done = [t for t in study.trials if t.state == bbo.TrialState.COMPLETED]
    assert len(done) == 6
    for t in done:
        assert set(t.metric_samples) == {"value", "lat"}
        lat = [1 + t.params["x"] * k for k in range(10)]
        assert t.values["lat"] == pytest.approx(np.quantile(lat, 0.9))
    best = study.best
    assert best is None or best.values["lat"] <= 4
