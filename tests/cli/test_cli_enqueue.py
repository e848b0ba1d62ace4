"""``bbo enqueue`` and ``initial_points:`` (issue 18): queued points from the shell and from a
study file, asked before any suggestion, shown by ``bbo show``, never queued twice on resume."""

from __future__ import annotations

import json

import pytest
import yaml

import bbo


@pytest.fixture
def stored(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = bbo.Space({"x": bbo.Float(-2.0, 2.0), "act": bbo.Categorical(["relu", "tanh"])})
    bbo.Study(space, "minimize", strategy="sobol", seed=0, storage=url, name="sh")
    return url


def _enqueue(invoke, url, *args):
    return invoke("enqueue", "--study", "sh", "--storage", url, *args)


def test_enqueue_json_and_file_then_ask_returns_them_first(stored, invoke, tmp_path):
    r = _enqueue(invoke, stored, "--json", '{"x": 1.5, "act": "tanh"}')
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"study": "sh", "added": 1, "queued": 1}
    points = tmp_path / "points.yaml"
    points.write_text(yaml.safe_dump([{"x": -1, "act": "relu"}, {"x": 0.25, "act": "tanh"}]))
    r = _enqueue(invoke, stored, "--file", points)
    assert json.loads(r.stdout) == {"study": "sh", "added": 2, "queued": 3}
    r = _enqueue(invoke, stored, "--file", points, "--skip-if-exists")
    assert json.loads(r.stdout) == {"study": "sh", "added": 0, "queued": 3}

    shown = invoke("show", "sh", "--storage", stored)
    assert shown.exit_code == 0, shown.output
    assert "queued: 3 point(s), asked before any suggestion" in shown.stdout

    asked = invoke("ask", "--study", "sh", "--storage", stored, "-n", "4")
    rows = [json.loads(line) for line in asked.stdout.splitlines()]
    assert [r["params"] for r in rows[:3]] == [
        {"x": 1.5, "act": "tanh"},
        {"x": -1.0, "act": "relu"},
        {"x": 0.25, "act": "tanh"},
    ]
    assert [r["source"] for r in rows] == ["enqueued", "enqueued", "enqueued", "sobol"]
    shown = invoke("show", "sh", "--storage", stored).stdout
    assert "asked before any suggestion" not in shown and "enqueued: 3, sobol: 1" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", '{"x": 3, "act": "relu"}'], "enqueue: parameter 'x': value 3 is outside"),
        (["--json", '{"x": 1}'], "enqueue: missing parameter(s) ['act']"),
        (
            ["--json", '[{"x": 1, "act": "relu"}, {"x": 1, "act": "gelu"}]'],
            "enqueue: point 1: parameter 'act': value 'gelu' is not one of",
        ),
        (["--json", "{x: 1}"], "--json: not valid JSON"),
        (["--json", "[]"], "enqueue: no points given"),
        ([], "give exactly one of --json TEXT or --file FILE"),
    ],
)
def test_enqueue_errors_name_the_rule_and_queue_nothing(stored, invoke, args, message):
    r = _enqueue(invoke, stored, *args)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert bbo.Study.load("sh", stored).queued_count == 0


def test_initial_points_run_first_and_are_not_queued_twice_on_resume(write_study, invoke):
    points = [{"x": 0.5}, {"x": -0.25}]
    path = write_study(initial_points=points, budget=3, workers=1)
    r = invoke("run", path)
    assert r.exit_code == 0, r.output
    study = bbo.Study.load("demo", yaml.safe_load(path.read_text())["storage"])
    trials = study.trials
    assert [t.params for t in trials[:2]] == points
    assert [t.attrs["source"] for t in trials] == ["enqueued", "enqueued", "sobol"]
    assert [t.value for t in trials[:2]] == [0.25, 0.0625]

    path = write_study(initial_points=points, budget=5, workers=1)  # resume, a larger budget
    assert invoke("run", path).exit_code == 0
    again = bbo.Study.load("demo", yaml.safe_load(path.read_text())["storage"]).trials
    assert len(again) == 5 and [t.attrs["source"] for t in again[2:]] == ["sobol"] * 3
    assert sum(t.params == {"x": 0.5} for t in again) == 1


def test_an_initial_point_outside_the_space_names_the_point_and_rule(write_study, invoke):
    path = write_study(initial_points=[{"x": 0.5}, {"x": 2.0}])
    r = invoke("run", path)
    assert r.exit_code == 2
    assert "initial_points: point 1: parameter 'x': value 2.0 is outside [-1.0, 1.0]" in r.stderr
    path = write_study(initial_points=[{"y": 0.5}])
    r = invoke("run", path)
    assert r.exit_code == 2 and "point 0: unknown parameter(s) ['y']" in r.stderr


# -- prior studies (warm start) -------------------------------------------------------------
def test_prior_studies_in_a_study_file_and_in_bbo_show(write_study, invoke, tmp_path):
    src = write_study("src.yaml", name="src", budget=6, workers=1)
    assert invoke("run", src).exit_code == 0
    path = write_study(
        name="warm", prior_studies=["src"], budget=3, workers=1, strategy={"name": "gp"}
    )
    r = invoke("run", path)
    assert r.exit_code == 0, r.output
    url = yaml.safe_load(path.read_text())["storage"]
    study = bbo.Study.load("warm", url)
    assert study.spec.prior_studies == ("src",)
    assert [t.attrs["source"] for t in study.trials[:2]] == ["prior", "sobol"]
    assert abs(study.trials[0].params["x"]) < 0.2  # the prior's predicted best: near 0
    shown = invoke("show", "warm", "--storage", url)
    assert "prior studies: src (6 of 6 completed trials usable)" in shown.stdout


def test_an_unknown_or_repeated_prior_study_is_a_clear_error(write_study, invoke):
    r = invoke("run", write_study(prior_studies=["nope"]))
    assert r.exit_code == 2
    assert "`prior_studies`: no study named 'nope'" in r.stderr
    r = invoke("run", write_study(prior_studies=["a", "a"]))
    assert r.exit_code == 2
    assert "prior_studies: `prior_studies` must name each study once, got ['a'] twice" in r.stderr
