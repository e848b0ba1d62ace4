"""The recommended point of a noisy objective (``noisy=True`` or replicates told): the
evaluated point of best GP posterior mean, through Python, study.yaml and gRPC."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.study import StudySpec

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})


def _noisy_quadratic(study: bbo.Study, lucky_at: float = 0.9) -> None:
    """25 points of ``(x - 0.3)^2 + N(0, 0.02^2)``; the one at ``lucky_at`` drew -0.05."""
    rng = np.random.default_rng(0)
    for x in np.linspace(0.02, 0.98, 25):
        y = (x - 0.3) ** 2 + rng.normal(0, 0.02)
        study.add({"x": float(x)}, -0.05 if abs(x - lucky_at) < 0.02 else float(y))


def test_a_noisy_study_recommends_by_the_model_not_the_lucky_draw():
    study = bbo.Study(SPACE, strategy="random", seed=0, noisy=True)
    _noisy_quadratic(study)
    assert study.best_observed.params["x"] == pytest.approx(0.9)
    rec = study.best
    assert abs(rec.params["x"] - 0.3) < 0.1 and rec.id != study.best_observed.id
    assert study.best is rec  # cached until the next completed trial


def test_a_noise_free_study_keeps_the_best_observation():
    study = bbo.Study(SPACE, strategy="random", seed=0)
    _noisy_quadratic(study)
    assert study.best.id == study.best_observed.id
    assert study.best.params["x"] == pytest.approx(0.9)


def test_replicates_make_the_noise_known_without_the_flag():
    """Two replicates of sd 0.15 per point: the GP uses their standard errors as known
    noise, and its recommendation lies nearer the optimum (0.6) than the best mean."""
    study = bbo.Study(SPACE, strategy="random", seed=0)
    rng = np.random.default_rng(5)
    for x in np.linspace(0.05, 0.95, 15):
        reps = (x - 0.6) ** 2 + rng.normal(0, 0.15, 2)
        study.add({"x": float(x)}, samples=[float(v) for v in reps])
    observed, rec = study.best_observed, study.best
    assert observed.params["x"] == pytest.approx(0.5)
    assert rec.params["x"] == pytest.approx(0.6285714, abs=1e-6)


def test_constraints_and_several_objectives():
    """Only feasible trials are recommended; several objectives keep the observed Pareto set."""
    study = bbo.Study(SPACE, {"y": "minimize"}, constraints=["c <= 0"], strategy="random",
                      seed=0, noisy=True)  # fmt: skip
    for x in np.linspace(0.0, 1.0, 11):
        study.add({"x": float(x)}, {"y": float((x - 0.3) ** 2), "c": float(0.5 - x)})
    assert study.best.params["x"] >= 0.5
    multi = bbo.Study(SPACE, {"a": "minimize", "b": "minimize"}, noisy=True, strategy="random")
    for x in (0.1, 0.5, 0.9):
        multi.add({"x": x}, {"a": x, "b": 1 - x})
    assert isinstance(multi.best, list) and len(multi.best) == 3


def test_noisy_is_stored_and_may_change_on_resume(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    bbo.Study(SPACE, strategy="random", storage=url, name="s", noisy=True)
    assert bbo.Study.load("s", url).spec.noisy
    assert not bbo.Study(SPACE, strategy="random", storage=url, name="s").spec.noisy
    assert StudySpec.from_dict({**StudySpec(SPACE).to_dict(), "noisy": None}).noisy is False
    with pytest.raises(bbo.InvalidArgumentError, match="`noisy` must be true or false"):
        StudySpec(SPACE, noisy="yes")  # type: ignore[arg-type]


def test_the_yaml_takes_it(tmp_path):
    from bbo.run.config import load_config

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nspace: {x: {type: float, low: 0, high: 1}}\n"
        "objective: {command: [echo, '{x}'], noisy: true}\nbudget: 3\n"
    )
    config, _ = load_config(path)
    assert config.spec().noisy
