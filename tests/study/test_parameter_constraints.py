"""Linear parameter constraints through the Study: stored with the spec, part of its
identity, and the rule for enqueued and added points."""

from __future__ import annotations

import pytest

import bbo
from bbo.exceptions import InvalidParamsError, InvalidSpaceError, StudyConflictError
from bbo.study.spec import StudySpec

PARAMS = {"x": bbo.Float(0.0, 10.0), "n": bbo.Int(1, 20), "lr": bbo.Float(1e-3, 1.0, log=True)}
RULES = ["x + n <= 12", "x - 5*lr >= 0.5"]


def test_study_keyword_and_space_keyword_are_the_same_spec():
    a = StudySpec.create(PARAMS, parameter_constraints=RULES)
    b = StudySpec.create(bbo.Space(PARAMS, constraints=RULES))
    c = StudySpec.create(bbo.Space(PARAMS, constraints=RULES[:1]), parameter_constraints=RULES)
    assert a == b == c and a.space.constraint_texts == tuple(RULES)
    assert a.to_dict()["parameter_constraints"] == RULES
    assert StudySpec.from_dict(a.to_dict()) == a
    assert a.identity() != StudySpec.create(PARAMS).identity()
    plain = StudySpec.create(PARAMS).to_dict()
    assert "parameter_constraints" not in plain  # studies without them are stored as before
    assert set(StudySpec.create(PARAMS).identity()) == {"space", "objectives", "constraints"}
    with pytest.raises(InvalidSpaceError, match="unknown parameter 'y'"):
        StudySpec.create(PARAMS, parameter_constraints=["x + y <= 1"])
    with pytest.raises(InvalidSpaceError, match="cannot all hold"):
        bbo.Study(PARAMS, parameter_constraints=["x + n <= 0.5"])


def test_storage_round_trip_and_identity(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = bbo.Study(
        PARAMS, strategy="sobol", seed=0, storage=url, name="c", parameter_constraints=RULES
    )
    for _ in range(5):
        t = study.ask()
        study.tell(t, t.params["x"])
    again = bbo.Study.load("c", url)
    assert again.space.constraint_texts == tuple(RULES) and again.space == study.space
    nxt = again.ask(4)
    assert all(t.params["x"] + t.params["n"] <= 12 for t in nxt)
    assert all(t.params["x"] - 5 * t.params["lr"] >= 0.5 for t in nxt)
    same = bbo.Study(bbo.Space(PARAMS, RULES), strategy="sobol", storage=url, name="c")
    assert not same.created
    with pytest.raises(StudyConflictError, match="parameter_constraints"):
        bbo.Study(PARAMS, storage=url, name="c", parameter_constraints=RULES[:1])
    with pytest.raises(StudyConflictError, match="parameter_constraints"):
        bbo.Study(PARAMS, storage=url, name="c")


def test_enqueued_and_added_points_must_satisfy_them():
    study = bbo.Study(PARAMS, strategy="random", seed=0, parameter_constraints=RULES)
    bad = {"x": 9.0, "n": 9, "lr": 0.01}
    with pytest.raises(InvalidParamsError, match=r"'x \+ n <= 12' does not hold"):
        study.enqueue(bad)
    with pytest.raises(InvalidParamsError, match=r"point 1: .*'x - 5\*lr >= 0.5'"):
        study.enqueue([{"x": 2.0, "n": 3, "lr": 0.01}, {"x": 0.6, "n": 3, "lr": 0.5}])
    with pytest.raises(InvalidParamsError, match="does not hold"):
        study.add(bad, 1.0)
    assert study.trials == [] and study.queued_count == 0
    good = {"x": 2.0, "n": 3, "lr": 0.01}
    study.enqueue(good)
    assert study.ask().params == good
