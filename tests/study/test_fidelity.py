"""Multi-fidelity studies: declaring a fidelity, storing it, the fidelity a trial gets,
the proto round trip, and fewer epochs to a target than full-budget runs."""

from __future__ import annotations

import math

import pytest

import bbo
from bbo.exceptions import InvalidArgumentError, StudyConflictError
from bbo.study.spec import StudySpec

SPACE = {"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)}
FID = bbo.Fidelity("epochs", 1, 27)


def test_a_trial_carries_its_fidelity_and_the_study_stops_it_at_rungs():
    study = bbo.Study(SPACE, fidelity=FID, seed=0)
    assert study.spec.fidelity == {"name": "epochs", "low": 1, "high": 27, "eta": 3}
    assert study.pruner is not None and study.pruner.name == "fidelity"
    t0, t1, t2 = (study.ask() for _ in range(3))
    assert (t0.fidelity, t0.attrs["fidelity"]) == (27, 27)
    # trial 0 (bracket 0) is first at rung 1: promoted; trial 2 (bracket 0) is worse: stopped
    assert not t0.report(0.5, step=1)
    assert not t1.report(0.9, step=1)  # bracket 1: not judged before step 3
    assert t2.report(0.7, step=1)
    assert bbo.Study(SPACE, seed=0).ask().fidelity is None


def test_fidelity_as_a_mapping_and_its_errors_name_the_field():
    study = bbo.Study(SPACE, fidelity={"name": "epochs", "low": 1, "high": 9}, seed=0)
    assert study.spec.fidelity == {"name": "epochs", "low": 1, "high": 9, "eta": 3}
    with pytest.raises(InvalidArgumentError, match=r"`fidelity.high` must be an integer >= 1"):
        bbo.Study(SPACE, fidelity={"name": "epochs", "low": 1, "high": 0})
    with pytest.raises(InvalidArgumentError, match=r"`fidelity` and `pruner` exclude each other"):
        bbo.Study(SPACE, fidelity=FID, pruner="asha")
    with pytest.raises(InvalidArgumentError, match=r"`fidelity.name` must not be a parameter"):
        bbo.Study(SPACE, fidelity=bbo.Fidelity("x", 1, 9))


def test_the_fidelity_is_stored_and_a_reopened_study_allocates_the_same_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'mf.db'}"
    first = bbo.Study(SPACE, fidelity=FID, storage=url, name="mf", seed=1)
    asked = [first.ask() for _ in range(2)]
    first.report(asked[0], 0.3, 1)
    loaded = bbo.Study.load("mf", url)  # as after kill -9: everything from storage
    assert loaded.spec.fidelity == FID.to_dict()
    assert loaded.spec == first.spec
    assert loaded.trials[0].fidelity == 27
    again = bbo.Study(SPACE, storage=url, name="mf")  # no fidelity given: the stored one
    assert again.spec.fidelity == FID.to_dict()
    assert again.report(asked[1], 0.9, 1) is False  # bracket 1: first judged at step 3
    t2 = again.ask()
    assert (t2.id, t2.fidelity) == (2, 27)
    assert again.report(t2, 0.9, 1) is True  # bracket 0, behind trial 0's 0.3
    assert StudySpec.from_dict(first.spec.to_dict()) == first.spec
    changed = bbo.Study(SPACE, storage=url, name="mf", fidelity=bbo.Fidelity("epochs", 1, 9))
    assert changed.spec.fidelity["high"] == 9  # may change on resume, like a pruner
    with pytest.raises(StudyConflictError):
        bbo.Study({"x": bbo.Float(0.0, 2.0)}, storage=url, name="mf", fidelity=FID)


def test_proto_round_trip():
    from bbo.server.convert import spec_from_pb, spec_to_pb

    from bbo.api.v1 import optimizer_pb2 as pb

    spec = StudySpec.create(SPACE, fidelity=bbo.Fidelity("epochs", 2, 50, eta=4), seed=3)
    msg = spec_to_pb(spec)
    assert (msg.fidelity.name, msg.fidelity.low, msg.fidelity.high, msg.fidelity.eta) == (
        "epochs", 2, 50, 4,
    )  # fmt: skip
    assert spec_from_pb(pb.StudySpec.FromString(msg.SerializeToString())) == spec
    assert not spec_to_pb(StudySpec.create(SPACE)).HasField("fidelity")
    msg.fidelity.eta = 0  # unset: 3
    assert spec_from_pb(msg).fidelity["eta"] == 3
    msg.fidelity.low = 60
    with pytest.raises(InvalidArgumentError, match=r"`spec.fidelity.low < fidelity.high`"):
        spec_from_pb(msg)


def _curve(p, step):
    """A synthetic learning curve: ``f(x) + g exp(-step / 4)``; best final value 0.1."""
    f = 0.1 + (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2
    return f + 0.5 * math.exp(-step / 4)


def _epochs_to(study: bbo.Study, target: float, budget: int) -> float:
    """Run trials to their fidelity, reporting each step, until ``budget`` epochs; the
    epochs spent when a trial first finished at ``target`` or better (inf if none)."""
    spent = 0
    while spent < budget:
        trial = study.ask()
        high = trial.fidelity or 27
        for step in range(1, high + 1):
            value = _curve(trial.params, step)
            spent += 1
            if step < high and trial.report(value, step):
                study.tell(trial, pruned=True)
                break
        else:
            study.tell(trial, value)
            if value <= target:
                return spent
    return math.inf


def test_multi_fidelity_reaches_a_target_with_fewer_epochs_than_full_budget():
    target, budget = 0.13, 27 * 30
    mf = [_epochs_to(bbo.Study(SPACE, fidelity=FID, seed=s), target, budget) for s in range(3)]
    full = [_epochs_to(bbo.Study(SPACE, seed=s), target, budget) for s in range(3)]
    assert mf == [110, 82, 110]  # rungs rank by predicted final values
    assert full == [162, 108, 81]
    assert sum(mf) < sum(full)
