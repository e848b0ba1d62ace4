"""``initial_points:`` of a study file (issue 18): checked against the space by the model,
queued by :func:`open_study` once however often the study is opened."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bbo.run.config import StudyConfig
from bbo.run.runner import open_study


def _config(tmp_path, points, **extra) -> StudyConfig:
    return StudyConfig.model_validate(
        {
            "name": "ip",
            "space": {
                "x": {"type": "float", "low": 0.0, "high": 1.0},
                "act": {"type": "categorical", "choices": ["relu", "tanh"]},
            },
            "objective": {"python": "m:f"},
            "strategy": {"name": "random"},
            "budget": 5,
            "seed": 0,
            "initial_points": points,
            "storage": f"sqlite:///{tmp_path / 'ip.db'}",
            **extra,
        }
    )


def test_open_study_queues_the_initial_points_once(tmp_path):
    points = [{"x": 0.5, "act": "tanh"}, {"x": 0, "act": "relu"}]
    study = open_study(_config(tmp_path, points))
    assert study.queued == [{"x": 0.5, "act": "tanh"}, {"x": 0.0, "act": "relu"}]
    first = study.ask()
    assert first.params == {"x": 0.5, "act": "tanh"} and first.attrs["source"] == "enqueued"
    again = open_study(_config(tmp_path, points))  # a resumed run: neither point twice
    assert again.queued == [{"x": 0.0, "act": "relu"}]
    study.tell(first, 1.0)
    third = open_study(_config(tmp_path, [*points, {"x": 0.25, "act": "relu"}]))
    assert third.queued_count == 2  # a point added to the file is queued


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ([{"x": 1.5, "act": "relu"}], "point 0: parameter 'x': value 1.5 is outside [0.0, 1.0]"),
        ([{"x": 0.5}], "point 0: missing parameter(s) ['act']"),
        ([{"x": 0.5, "act": "relu"}, {"x": 0.5, "act": 3}], "point 1: parameter 'act'"),
    ],
)
def test_a_bad_initial_point_is_a_validation_error_at_its_field(tmp_path, points, words):
    with pytest.raises(ValidationError) as err:
        _config(tmp_path, points)
    (e,) = err.value.errors()
    assert e["loc"] == ("initial_points",) and words in e["msg"]


def test_prior_studies_of_a_study_file_reach_the_spec(tmp_path):
    config = _config(tmp_path, [], prior_studies=["a", "b"])
    assert config.spec().prior_studies == ("a", "b")
    with pytest.raises(ValidationError) as err:
        _config(tmp_path, [], prior_studies=["a", ""])
    (e,) = err.value.errors()
    assert e["loc"] == ("prior_studies",)
    assert "`prior_studies` must hold non-empty study names, got ''" in e["msg"]
