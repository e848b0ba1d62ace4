"""``rotation: true`` of ``gp``/``auto`` (:mod:`bbo.surrogates.rotation`) through a study:
validation, the stored choice and frame, an exact resume, and spaces it leaves alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError

FAST = {"num_restarts": 2, "raw_samples": 64, "rotation": True}
SPACE = bbo.Space({f"x{i}": bbo.Float(-1.0, 1.0) for i in range(3)})
Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))


def valley(p):
    """An ill-conditioned quadratic (Hessian eigenvalues 1, 30, 1000) in a rotated frame."""
    z = (np.array([p[f"x{i}"] for i in range(3)]) - 0.2) @ Q
    return float((z**2 * np.array([1.0, 30.0, 1000.0])).sum())


def run(study, n):
    for _ in range(n):
        t = study.ask()
        study.tell(t, valley(t.params))
    return study


@pytest.mark.parametrize("strategy", ["gp", "auto"])
def test_rotation_must_be_a_bool(strategy):
    with pytest.raises(InvalidArgumentError, match="`rotation` must be true or false"):
        bbo.Study(SPACE, strategy=strategy, strategy_options={"rotation": "yes"})


def test_the_rotated_gp_is_chosen_stored_and_resumed_exactly(tmp_path):
    url = f"sqlite:///{tmp_path / 'rot.db'}"
    reference = run(bbo.Study(SPACE, strategy="gp", seed=1, strategy_options=FAST), 30)
    study = run(
        bbo.Study(SPACE, strategy="gp", seed=1, strategy_options=FAST, storage=url, name="r"), 26
    )
    state = study.storage.get_study("r").strategy_state
    json.dumps(state)  # JSON-ready
    assert state["use"] == "rotated" and len(state["axes"]) == 3
    reopened = bbo.Study.load("r", url)
    run(reopened, 4)
    assert [t.params for t in reopened.trials] == [t.params for t in reference.trials]
    plain = run(
        bbo.Study(SPACE, strategy="gp", seed=1, strategy_options={**FAST, "rotation": False}), 30
    )
    assert [t.params for t in plain.trials] != [t.params for t in reference.trials]


def test_spaces_with_discrete_columns_keep_the_plain_gp():
    space = bbo.Space(
        {"x0": bbo.Float(-1.0, 1.0), "x1": bbo.Float(-1.0, 1.0), "x2": bbo.Int(-5, 5)}
    )
    study = bbo.Study(space, strategy="gp", seed=0, strategy_options=FAST)
    for _ in range(26):
        t = study.ask()
        study.tell(t, valley({**t.params, "x2": t.params["x2"] / 5}))
    assert "use" not in study._strategy.state_dict()


def test_bnn_refuses_the_gp_only_option():
    with pytest.raises(InvalidArgumentError, match="bnn option `rotation` is a GP option"):
        bbo.Study(SPACE, strategy="bnn", strategy_options={"rotation": True})
