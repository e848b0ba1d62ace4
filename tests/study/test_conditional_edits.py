"""Space edits on conditional spaces (bbo.study.edits with bbo.space.conditions): an added
conditional parameter needs a default only for stored trials that would have it active,
and removing a parent that a kept parameter depends on is refused naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

import bbo
from bbo import exceptions as ex

SPACE = {"opt": bbo.Categorical(["sgd", "adam"]), "lr": bbo.Float(0.0, 1.0)}


@pytest.fixture(params=["sqlite", "memory"])
def url(request, tmp_path: Path) -> str | None:
    return f"sqlite:///{tmp_path / 'e.db'}" if request.param == "sqlite" else None


def _study(url: str | None, opts: tuple[str, ...] = ("adam", "adam", "adam")) -> bbo.Study:
    s = bbo.Study(dict(SPACE), strategy="random", seed=1, storage=url, name="s")
    for i, o in enumerate(opts):
        s.add({"opt": o, "lr": 0.1 * (i + 1)}, float(i))
    return s


def test_an_added_parameter_inactive_for_every_old_trial_needs_no_default(url):
    s = _study(url)
    edit = s.edit_space({**SPACE, "momentum": bbo.Float(0.0, 1.0, when={"opt": ["sgd"]})})
    assert edit is not None and edit.defaults == {}
    assert [t.params for t in s.as_current(s.trials)] == [t.params for t in s.trials]
    for _ in range(8):  # the model reads every old trial; suggestions carry momentum on sgd
        t = s.ask()
        assert ("momentum" in t.params) == (t.params["opt"] == "sgd")
        s.tell(t, t.params["lr"])


def test_a_default_is_needed_only_when_old_trials_would_have_it_active(url):
    s = _study(url, ("adam", "sgd", "adam"))
    new = {**SPACE, "momentum": bbo.Float(0.0, 1.0, when={"opt": ["sgd"]})}
    with pytest.raises(ex.InvalidArgumentError) as err:
        s.edit_space(new)
    assert "`defaults.momentum`" in str(err.value) and "1 stored trial(s)" in str(err.value)
    assert s.space_edits == []
    s.edit_space(new, defaults={"momentum": 0.9})
    read = [t.params for t in s.as_current(s.trials)]
    assert read == [
        {"opt": "adam", "lr": 0.1},
        {"opt": "sgd", "lr": 0.2, "momentum": 0.9},  # only where its condition holds
        {"opt": "adam", "lr": pytest.approx(0.3)},
    ]
    assert all(s.space.contains(p) for p in read)


def test_nested_added_parameters_follow_the_added_parents_default(url):
    s = _study(url)
    new = {
        **SPACE,
        "layers": bbo.Int(1, 3),
        "width2": bbo.Float(0.0, 1.0, when={"layers": [2, 3]}),
    }
    with pytest.raises(ex.InvalidArgumentError, match=r"`defaults.width2`"):
        s.edit_space(new, defaults={"layers": 2})  # old trials read with layers=2: active
    s.edit_space(new, defaults={"layers": 1})  # layers=1: width2 inactive, no default
    assert all(
        set(p) == {"opt", "lr", "layers"} for p in (t.params for t in s.as_current(s.trials))
    )


def test_a_kept_parameter_made_conditional_is_dropped_where_inactive(url):
    s = _study(url, ("adam", "sgd"))
    s.edit_space({"opt": SPACE["opt"], "lr": bbo.Float(0.0, 1.0, when={"opt": ["sgd"]})})
    assert [t.params for t in s.as_current(s.trials)] == [
        {"opt": "adam"},
        {"opt": "sgd", "lr": 0.2},
    ]
    assert all("lr" in t.params for t in s.trials)  # stored as evaluated


def test_removing_a_parent_others_depend_on_is_refused_naming_both(url):
    s = _study(url)
    s.edit_space({**SPACE, "momentum": bbo.Float(0.0, 1.0, when={"opt": ["sgd"]})})
    spec = s.storage.get_study("s").spec
    with pytest.raises(ex.InvalidSpaceError) as err:
        s.edit_space(
            {
                "lr": SPACE["lr"],
                "momentum": {"type": "float", "low": 0.0, "high": 1.0, "when": {"opt": ["sgd"]}},
            }
        )
    msg = str(err.value)
    assert "'momentum'" in msg and "removes 'opt'" in msg and "`when.opt`" in msg
    assert s.storage.get_study("s").spec == spec and len(s.space_edits) == 1
    edit = s.edit_space({"lr": SPACE["lr"]})  # removing both is an edit like any other
    assert (
        edit is not None and "removed opt (stored values kept, ignored by models)" in edit.changes
    )
