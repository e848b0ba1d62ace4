"""Priors on the optimum are part of the stored study: a reopened study keeps them."""

from __future__ import annotations

import pytest

import bbo

SPACE = bbo.Space(
    {
        "lr": bbo.Float(1e-5, 1e-1, log=True, prior=bbo.Prior(mean=1e-3, sd=0.5)),
        "act": bbo.Categorical(["relu", "tanh"], prior={"probs": [0.25, 0.75]}),
    }
)


def test_a_sqlite_study_reopened_keeps_its_priors(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = bbo.Study(SPACE, strategy="random", seed=0, storage=url, name="pri")
    first = study.ask(2)
    again = bbo.Study.load("pri", storage=url)
    assert again.space == SPACE
    assert again.space["lr"].prior == bbo.Prior(mean=1e-3, sd=0.5)
    assert again.space["act"].prior.probs == (0.25, 0.75)
    assert [t.attrs["source"] for t in first] == ["prior", "random"]


def test_reopening_with_another_prior_is_a_conflict(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    bbo.Study(SPACE, strategy="random", seed=0, storage=url, name="pri")
    other = bbo.Space({**dict(SPACE), "lr": bbo.Float(1e-5, 1e-1, log=True)})
    with pytest.raises(bbo.StudyConflictError):
        bbo.Study(other, strategy="random", seed=0, storage=url, name="pri")
