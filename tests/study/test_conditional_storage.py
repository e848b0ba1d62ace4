"""A study with conditional parameters in SQLite: the space (with `when`) and the trials
(only their active parameters) survive a reopen, and the resumed study continues the same
suggestions as one that never stopped."""

from __future__ import annotations

import pytest

import bbo
from bbo.exceptions import InvalidParamsError

SPACE = bbo.Space(
    {
        "optimizer": bbo.Categorical(["sgd", "adam"]),
        "momentum": bbo.Float(0.0, 1.0, when={"optimizer": ["sgd"]}),
        "beta": bbo.Float(0.0, 1.0, when={"optimizer": ["adam"]}),
        "layers": bbo.Int(1, 2),
        "width2": bbo.Int(8, 64, log=True, when={"layers": [2]}),
    }
)


def loss(p: dict) -> float:
    v = p["momentum"] if p["optimizer"] == "sgd" else 0.5 + p["beta"]
    return v + (0.2 if p["layers"] == 1 else abs(p["width2"] - 32) / 64)


def _steps(study: bbo.Study, n: int) -> None:
    for _ in range(n):
        t = study.ask()
        study.tell(t, loss(t.params))


def test_sqlite_round_trip_and_resume(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = bbo.Study(SPACE, strategy="gp", seed=4, storage=url, name="cond")
    _steps(study, 8)
    before = [t.params for t in study.trials]
    assert any("momentum" in p for p in before) and any("beta" in p for p in before)

    again = bbo.Study.load("cond", url)
    assert again.space == SPACE
    assert again.space["width2"].when == SPACE["width2"].when
    assert [t.params for t in again.trials] == before
    _steps(again, 3)

    straight = bbo.Study(SPACE, strategy="gp", seed=4, name="cond")
    _steps(straight, 11)
    assert [t.params for t in again.trials] == [t.params for t in straight.trials]
    for t in again.trials:
        assert SPACE.validate(t.params) == t.params
    with pytest.raises(InvalidParamsError, match="'beta' is inactive"):
        again.add({"optimizer": "sgd", "momentum": 0.1, "beta": 0.2, "layers": 1}, 1.0)
