"""Warm start from earlier studies (issue 18): ``prior_studies`` in the spec, its checks at
creation, which prior trials the strategy sees, and the GP's prior mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.strategies import History
from bbo.strategies.transfer import PriorMeanModel, align
from bbo.study.spec import StudySpec
from bbo.study.storage import MemoryStorage
from bbo.trial import TrialState


def _space():
    return {"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)}


def _f(p, shift=0.0):
    return (p["x"] - 0.3 - shift) ** 2 + (p["y"] - 0.6) ** 2


def _prior(storage, name="a", n=12, space=None, fn=_f, seed=0, direction="minimize"):
    study = bbo.Study(
        space or _space(), direction, strategy="sobol", seed=seed, storage=storage, name=name
    )
    for _ in range(n):
        t = study.ask()
        study.tell(t, fn(t.params))
    return study


# -- the spec -------------------------------------------------------------------------------
def test_the_spec_stores_prior_studies_and_reads_them_back():
    spec = StudySpec.create(_space(), prior_studies=["a", "b"])
    assert spec.prior_studies == ("a", "b")
    d = spec.to_dict()
    assert d["prior_studies"] == ["a", "b"] and StudySpec.from_dict(d) == spec
    assert "prior_studies" not in StudySpec.create(_space()).to_dict()  # older specs unchanged
    assert spec.identity() == StudySpec.create(_space()).identity()  # not the identity


@pytest.mark.parametrize(
    ("names", "words"),
    [
        ("a", "`prior_studies` must be a list of study names, got 'a'"),
        (["a", ""], "`prior_studies` must hold non-empty study names, got ''"),
        (["a", 3], "`prior_studies` must hold non-empty study names, got 3"),
        (["a", "a"], "`prior_studies` must name each study once, got ['a'] twice"),
    ],
)
def test_bad_prior_study_lists_are_refused(names, words):
    with pytest.raises(InvalidArgumentError) as err:
        StudySpec.create(_space(), prior_studies=names)
    assert words in str(err.value)


# -- the checks at creation -----------------------------------------------------------------
def test_unknown_self_or_metricless_prior_studies_are_refused_and_nothing_is_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _prior(url, "a")
    bbo.Study(_space(), {"loss": "minimize"}, strategy="random", storage=url, name="m")
    with pytest.raises(InvalidArgumentError) as err:
        bbo.Study(_space(), storage=url, name="b", prior_studies=["a", "zz"])
    assert "`prior_studies`: no study named 'zz' in" in str(err.value)
    assert "studies there: 'a', 'm'" in str(err.value)
    with pytest.raises(InvalidArgumentError, match="study 'a' cannot be its own prior study"):
        bbo.Study(_space(), storage=url, name="a", prior_studies=["a"])
    with pytest.raises(InvalidArgumentError) as err:
        bbo.Study(_space(), storage=url, name="b", prior_studies=["m"])
    assert (
        "study 'm' has no metric 'value' (the objective of this study); its metrics are ['loss']"
        in str(err.value)
    )
    assert [r.name for r in bbo.Study.load("a", url).storage.list_studies()] == ["a", "m"]


def test_reopening_without_prior_studies_keeps_the_stored_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _prior(url, "a")
    _prior(url, "c")
    bbo.Study(_space(), strategy="gp", seed=0, storage=url, name="b", prior_studies=["a"])
    assert bbo.Study(_space(), storage=url, name="b").spec.prior_studies == ("a",)
    assert bbo.Study.load("b", url).spec.prior_studies == ("a",)
    again = bbo.Study(_space(), storage=url, name="b", prior_studies=["c", "a"])
    assert bbo.Study.load("b", url).spec.prior_studies == ("c", "a") == again.spec.prior_studies


# -- which trials the strategy sees ---------------------------------------------------------
def test_prior_trials_are_matched_to_the_new_space():
    st = MemoryStorage()
    wide = {"x": bbo.Float(-1.0, 1.0), "y": bbo.Float(0.0, 1.0), "z": bbo.Int(0, 3)}
    old = bbo.Study(wide, strategy="random", seed=0, storage=st, name="a")
    old.add({"x": 0.5, "y": 0.5, "z": 1}, 1.0)  # z dropped: usable
    old.add({"x": -0.5, "y": 0.5, "z": 1}, 2.0)  # x outside the new domain: unusable
    old.add({"x": 0.25, "y": 0.75, "z": 2}, failed=True)  # not COMPLETED
    old.add({"x": 0.75, "y": 0.25, "z": 0}, 3.0)
    narrow = bbo.Study(
        {"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0), "w": bbo.Int(0, 1)},
        storage=st,
        name="n",
    )
    narrow.add({"x": 0.1, "y": 0.1, "w": 0}, 4.0)
    study = bbo.Study(
        _space(), strategy="random", seed=0, storage=st, name="b", prior_studies=["a", "n"]
    )
    prior = study._prior_trials()
    assert [t.params for t in prior] == [
        {"x": 0.5, "y": 0.5},
        {"x": 0.75, "y": 0.25},
        {"x": 0.1, "y": 0.1},
    ]
    assert [t.value for t in prior] == [1.0, 3.0, 4.0]
    assert study.prior_summary() == {"a": (2, 3), "n": (1, 1)}
    # a new-space parameter the prior study lacks makes its trials unusable
    extra = bbo.Study(
        {**_space(), "v": bbo.Float(0.0, 1.0)}, storage=st, name="e", prior_studies=["a"]
    )
    assert extra._prior_trials() == () and extra.prior_summary() == {"a": (0, 3)}


def test_the_strategy_gets_the_prior_trials_in_its_history():
    st = MemoryStorage()
    _prior(st, "a", n=6)
    seen: list[History] = []
    study = bbo.Study(
        _space(), strategy="random", seed=0, storage=st, name="b", prior_studies=["a"]
    )
    real = study._distinct.strategy.suggest

    def spy(n, history):
        seen.append(history)
        return real(n, history)

    study._distinct.strategy.suggest = spy  # type: ignore[method-assign]
    study.ask()
    (h,) = seen
    assert len(h.prior) == 6 and h.trials == () and h.n_seen == 0
    assert h.X_prior.shape == (6, 2)
    assert np.allclose(h.Y_prior[:, 0], [t.value for t in h.prior])


def test_a_maximized_study_reads_prior_values_in_its_own_direction():
    st = MemoryStorage()
    _prior(st, "a", n=4, direction="maximize")
    study = bbo.Study(
        _space(), "minimize", strategy="random", seed=0, storage=st, name="b", prior_studies=["a"]
    )
    h = History(study.space, study.objectives, (), prior=study._prior_trials())
    assert np.allclose(h.Y_prior[:, 0], [t.value for t in h.prior])  # minimize: sign +1
    up = bbo.Study(
        _space(), "maximize", strategy="random", seed=0, storage=st, name="c", prior_studies=["a"]
    )
    h = History(up.space, up.objectives, (), prior=up._prior_trials())
    assert np.allclose(h.Y_prior[:, 0], [-t.value for t in h.prior])


def test_a_deleted_prior_study_is_skipped(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _prior(url, "a", n=4)
    bbo.Study(_space(), strategy="gp", seed=0, storage=url, name="b", prior_studies=["a"])
    bbo.Study.load("b", url).storage.delete_study("a")
    study = bbo.Study.load("b", url)
    assert study.prior_summary() == {}
    assert study.ask().state == TrialState.RUNNING  # no prior: the plain design


# -- the GP's prior mean --------------------------------------------------------------------
def test_align_shrinks_towards_the_prior_and_fits_what_the_data_say():
    assert align(np.zeros(0), np.zeros(0)) == pytest.approx((1.0, 0.0))
    m = np.linspace(-1, 1, 200)
    a, b = align(m, 3.0 * m - 0.5)
    assert a == pytest.approx(3.0, abs=0.1) and b == pytest.approx(-0.5, abs=0.02)  # shrunk a bit
    a, _ = align(m, np.cos(40 * m))  # unrelated: the prior loses its weight
    assert abs(a) < 0.2


def test_the_prior_mean_model_shifts_the_residual_posterior():
    from botorch.models import SingleTaskGP

    X = torch.rand(6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    residual = SingleTaskGP(X, X.sum(-1, keepdim=True))
    prior = SingleTaskGP(X, (X[:, :1] - 0.5) ** 2)
    model = PriorMeanModel(residual.eval(), prior.eval(), 2.0, -1.0)
    x = torch.rand(4, 1, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    post, base, pm = model.posterior(x), residual.posterior(x), prior.posterior(x)
    assert torch.allclose(post.mean, base.mean + 2.0 * pm.mean - 1.0)
    assert torch.allclose(post.variance, base.variance)
    x.requires_grad_(True)
    model.posterior(x).mean.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_a_gp_study_starts_at_the_priors_best_point_and_is_deterministic():
    st = MemoryStorage()
    _prior(st, "a", n=16, fn=lambda p: _f(p, shift=0.05))

    def run(seed, name):
        study = bbo.Study(
            _space(), strategy="gp", seed=seed, storage=st, name=name, prior_studies=["a"]
        )
        out = []
        for _ in range(5):
            t = study.ask()
            study.tell(t, _f(t.params))
            out.append((t.attrs["source"], t.params))
        return out

    first = run(3, "t1")
    assert [s for s, _ in first[:3]] == ["prior", "sobol", "sobol"]  # PRIOR_DESIGN points
    assert all(s.startswith("gp:") for s, _ in first[3:])
    assert _f(first[0][1], shift=0.05) < 0.02  # near the prior's optimum (0.35, 0.6)
    assert run(3, "t2") == first  # same seed, same prior: same suggestions
    assert math.isfinite(min(_f(p) for _, p in first))


def test_priors_are_ignored_with_constraints_or_several_objectives():
    st = MemoryStorage()
    prior = bbo.Study(
        _space(),
        {"a": "minimize", "b": "minimize"},
        strategy="sobol",
        seed=0,
        storage=st,
        name="mo",
    )
    for _ in range(6):
        t = prior.ask()
        prior.tell(t, {"a": _f(t.params), "b": t.params["x"]})
    study = bbo.Study(
        _space(),
        {"a": "minimize", "b": "minimize"},
        strategy="gp",
        seed=0,
        storage=st,
        name="new",
        prior_studies=["mo"],
    )
    sources = []
    for _ in range(3):
        t = study.ask()
        study.tell(t, {"a": _f(t.params), "b": t.params["x"]})
        sources.append(t.attrs["source"])
    assert sources == ["sobol"] * 3  # the full design, no prior point


def test_an_exceed_study_reads_its_prior_as_the_probit_score_not_the_frequency():
    # every replicate exceeds 0: the prior's frequency is 1 everywhere (flat); the prior GP
    # is fitted on the probit score at this study's threshold, as the study's own GP is
    from bbo.statistics import exceed_target
    from bbo.strategies.transfer import prior_data

    st = MemoryStorage()
    src = bbo.Study(_space(), strategy="sobol", seed=0, storage=st, name="a", statistic="exceed(0)")
    e = np.random.default_rng(0).normal(size=20)  # the same spread at every point
    for _ in range(5):
        t = src.ask()
        src.tell(t, samples=list(1.0 + 4.0 * t.params["x"] + 0.1 * e))
    study = bbo.Study(
        _space(),
        strategy="gp",
        seed=0,
        storage=st,
        name="b",
        prior_studies=["a"],
        statistic="exceed(0)",
    )
    h = History(study.space, study.objectives, (), prior=study._prior_trials())
    assert np.all(h.Y_prior == 1.0)  # the frequency: blind
    data = prior_data(h, None)
    assert data is not None
    want = [-exceed_target(t.samples, 0.0, seed=t.id)[0] for t in h.prior]
    np.testing.assert_allclose(data.U[:, 0], want)
    xs = np.array([t.params["x"] for t in h.prior])
    assert list(np.argsort(-data.U[:, 0])) == list(np.argsort(xs))  # closest to 0 first
    assert data.U[:, 0].max() < -10.0  # the probit scale, not the frequency's -1
    study.ask()  # the warm-started GP asks on it
