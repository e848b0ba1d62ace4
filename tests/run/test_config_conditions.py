"""study.yaml: `when:` makes a parameter conditional; bad conditions are refused with the
file, the field and the rule; a command placeholder of an inactive parameter is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import bbo
from bbo.exceptions import ConfigError
from bbo.run.config import load_config
from bbo.run.objective import CommandEvaluator
from bbo.space.conditions import Condition

OPT = {"type": "categorical", "choices": ["sgd", "adam"]}


def _write(tmp_path, space, command=("echo", "1")):
    d = {"name": "cond", "space": space, "objective": {"command": list(command)}, "budget": 3}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def test_when_in_study_yaml(tmp_path):
    path = _write(
        tmp_path,
        {
            "optimizer": OPT,
            "momentum": {"type": "float", "low": 0, "high": 1, "when": {"optimizer": ["sgd"]}},
            "nesterov": {
                "type": "categorical",
                "choices": [True, False],
                "when": {"optimizer": ["sgd"]},
            },
            "dampening": {"type": "float", "low": 0, "high": 0.5, "when": {"nesterov": [False]}},
            "layers": {"type": "int", "low": 1, "high": 3},
            "width3": {"type": "ordinal", "values": [8, 16], "when": {"layers": [3]}},
        },
    )
    config, _ = load_config(path)
    space = config.spec().space
    assert space["momentum"].when == (Condition("optimizer", ("sgd",)),)
    assert space["dampening"].when == (Condition("nesterov", (False,)),)
    assert space["width3"].when == (Condition("layers", (3,)),)
    assert space["layers"].when == ()
    assert space.to_dict()["momentum"]["when"] == {"optimizer": ["sgd"]}
    assert "when" not in space.to_dict()["layers"]
    assert bbo.Space.from_dict(space.to_dict()) == space


@pytest.mark.parametrize(
    ("param", "rule"),
    [
        (
            {"type": "float", "low": 0, "high": 1, "when": {"optimiser": ["sgd"]}},
            "space: parameter 'p': `when.optimiser` names no parameter of the space",
        ),
        (
            {"type": "float", "low": 0, "high": 1, "when": {"optimizer": ["sgdd"]}},
            "space: parameter 'p': `when.optimizer`: value 'sgdd' is not one of ['sgd', 'adam']",
        ),
        (
            {"type": "float", "low": 0, "high": 1, "when": {"x": [0.5]}},
            "space: parameter 'p': `when.x`: a condition needs a parameter with discrete values",
        ),
        (
            {"type": "float", "low": 0, "high": 1, "when": {"optimizer": []}},
            "space.p: `when.optimizer` must list at least one value",
        ),
        (
            {"type": "categorical", "choices": ["a"], "when": {"p": ["a"]}},
            "space: parameter 'p': `when.p`: a parameter cannot depend on itself",
        ),
    ],
)
def test_bad_conditions_name_the_file_field_and_rule(tmp_path, param, rule):
    path = _write(tmp_path, {"optimizer": OPT, "x": {"type": "float", "low": 0, "high": 1},
                             "p": param})  # fmt: skip
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(path) in str(e.value) and rule in str(e.value)


def test_a_cycle_is_refused(tmp_path):
    path = _write(
        tmp_path,
        {
            "a": {"type": "categorical", "choices": ["x", "y"], "when": {"b": ["x"]}},
            "b": {"type": "categorical", "choices": ["x", "y"], "when": {"a": ["y"]}},
        },
    )
    with pytest.raises(ConfigError, match=r"form a cycle \(a -> b -> a\)"):
        load_config(path)


def test_an_inactive_placeholder_is_empty():
    obj = CommandEvaluator(["prog", "--opt={optimizer}", "--momentum={momentum}"], cwd=Path("."))
    assert obj.argv({"optimizer": "adam"})[1:] == ["--opt=adam", "--momentum="]
    assert obj.argv({"optimizer": "sgd", "momentum": 0.5})[1:] == ["--opt=sgd", "--momentum=0.5"]
