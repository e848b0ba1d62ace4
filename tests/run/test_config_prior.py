"""study.yaml: `prior:` on a parameter is parsed into the space, and bad ones are refused
with the file, the field and the rule."""

from __future__ import annotations

import pytest
import yaml

import bbo
from bbo.exceptions import ConfigError
from bbo.run.config import load_config


def _write(tmp_path, space):
    d = {
        "name": "pri",
        "space": space,
        "objective": {"command": ["echo", "1"]},
        "budget": 3,
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def test_priors_in_study_yaml(tmp_path):
    path = _write(
        tmp_path,
        {
            "lr": {
                "type": "float",
                "low": 1e-5,
                "high": 1e-1,
                "log": True,
                "prior": {"mean": 1e-3, "sd": 0.5},
            },
            "layers": {"type": "int", "low": 1, "high": 8, "prior": {"mean": 3, "sd": 1.5}},
            "act": {
                "type": "categorical",
                "choices": ["relu", "tanh", "gelu"],
                "prior": {"choice": "gelu", "weight": 0.6},
            },
            "bs": {"type": "ordinal", "values": [16, 32, 64], "prior": {"probs": [0.5, 0.3, 0.2]}},
            "x": {"type": "float", "low": 0, "high": 1},
        },
    )
    config, _ = load_config(path)
    space = config.spec().space
    assert space["lr"].prior == bbo.Prior(mean=1e-3, sd=0.5)
    assert space["layers"].prior == bbo.Prior(mean=3, sd=1.5)
    assert space["act"].prior == bbo.Prior(choice="gelu", weight=0.6)
    assert space["bs"].prior == bbo.Prior(probs=[0.5, 0.3, 0.2])
    assert space["x"].prior is None
    assert "prior" not in space.to_dict()["x"]


@pytest.mark.parametrize(
    ("param", "rule"),
    [
        (
            {"type": "float", "low": 0, "high": 1, "prior": {"mean": 2, "sd": 0.1}},
            "space.p: Float: `low <= prior.mean <= high` must hold, got mean=2.0",
        ),
        (
            {"type": "float", "low": 0, "high": 1, "prior": {"mean": 0.5, "sd": 0}},
            "space.p: `prior.sd > 0` must hold, got sd=0.0",
        ),
        (
            {"type": "categorical", "choices": ["a", "b"], "prior": {"choice": "c"}},
            "space.p: Categorical: `prior.choice` must be one of ['a', 'b'], got 'c'",
        ),
        (
            {"type": "categorical", "choices": ["a", "b"], "prior": {"probs": [0.9, 0.2]}},
            "space.p: `prior.probs` must sum to 1",
        ),
        (
            {"type": "categorical", "choices": ["a", "b"], "prior": {"probs": [1.2, -0.2]}},
            "space.p: `prior.probs` must all be > 0",
        ),
        (
            {"type": "float", "low": 0, "high": 1, "prior": {"mean": 0.5, "sd": 1, "mode": 1}},
            "space.p.prior.mode: unknown key",
        ),
    ],
)
def test_bad_priors_name_the_file_field_and_rule(tmp_path, param, rule):
    path = _write(tmp_path, {"p": param})
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(path) in str(e.value) and rule in str(e.value)
