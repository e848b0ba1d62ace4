"""``exceed(t)`` objectives model the probit of the smoothed exceedance (issue 20): on a
plateau where every replicate exceeds ``t`` the frequency is 1 everywhere, the probit
score still orders the points by how far their replicates lie above ``t``."""

from __future__ import annotations

import numpy as np

import bbo
from bbo.statistics import exceed_target
from bbo.strategies import History
from bbo.strategies import exceed as exceed_mod
from bbo.strategies.pipeline import ImputedData

FAST = {"num_restarts": 2, "raw_samples": 64, "mc_samples": 64}
SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0)})
THRESHOLD = 0.0
SHAPE = np.random.default_rng(0).standard_normal(20)


def saturated(x: float, rng: np.random.Generator | None = None) -> list[float]:
    """Replicates ``1 + 4 x + 0.1 e``: all above the threshold 0 on [0, 1], so the empirical
    exceedance is exactly 1 at every point, and the smallest ``x`` lies closest to it.
    ``e``: 20 draws of ``N(0, 1)`` from ``rng``, or (None) the same draws :data:`SHAPE` at
    every point (equal spreads: the probit score is then exactly ordered by the shift)."""
    e = SHAPE if rng is None else rng.standard_normal(len(SHAPE))
    return (1.0 + 4.0 * x + 0.1 * e).tolist()


def _enqueued(xs, statistic=f"exceed({THRESHOLD:g})", same_shape=False, **kw):
    """A study whose trials are ``xs`` (enqueued), each told ``saturated`` replicates."""
    study = bbo.Study(SPACE, seed=0, statistic=statistic, **kw)
    rng = None if same_shape else np.random.default_rng(0)
    for x in xs:
        study.enqueue({"x": x})
    for x in xs:
        study.tell(study.ask(), samples=saturated(x, rng))
    return study


XS = [0.9, 0.1, 0.5, 0.7, 0.3, 0.6]


def test_saturated_data_gets_a_graded_target():
    study = _enqueued(XS, strategy="random", same_shape=True)
    history = History(study.space, study.objectives, tuple(study.trials))
    assert np.all(history.Y[:, 0] == 1.0)  # the frequency: blind
    exceed_mod.cached_target.cache_clear()
    data = ImputedData(study.space)(history)
    assert data is not None and data.Yvar is not None
    xs = np.array([t.params["x"] for t in history.completed])
    u = data.Y[:, 0]
    assert len(set(u.round(6))) == len(u)  # not constant
    assert list(np.argsort(-u)) == list(np.argsort(xs))  # best utility: closest to t
    want = [exceed_target(t.samples, THRESHOLD, seed=t.id) for t in history.completed]
    np.testing.assert_allclose(u, [-z for z, _ in want])  # minimized: u = -z
    np.testing.assert_allclose(data.Yvar[:, 0], [max(v, 1e-12) for _, v in want])
    assert np.all(data.Yvar > 0)
    # independent draws: the spreads differ, the score still puts x=0.1 first, x=0.9 last
    noisy = _enqueued(XS, strategy="random")
    h = History(noisy.space, noisy.objectives, tuple(noisy.trials))
    d = ImputedData(noisy.space)(h)
    assert d is not None
    xs = np.array([t.params["x"] for t in h.completed])
    assert xs[np.argmax(d.Y[:, 0])] == 0.1 and xs[np.argmin(d.Y[:, 0])] == 0.9


def test_maximized_exceedance_flips_the_utility():
    study = _enqueued(XS, strategy="random", direction="maximize")
    history = History(study.space, study.objectives, tuple(study.trials))
    data = ImputedData(study.space)(history)
    assert data is not None
    want = [exceed_target(t.samples, THRESHOLD, seed=t.id)[0] for t in history.completed]
    np.testing.assert_allclose(data.Y[:, 0], want)


def test_a_failure_keeps_the_frequency_and_other_statistics_are_unchanged():
    study = _enqueued(XS, strategy="random")
    study.tell(study.ask(), failed=True)
    history = History(study.space, study.objectives, tuple(study.trials))
    data = ImputedData(study.space, warp=False)(history)
    assert data is not None and data.Yvar is None
    assert np.all(data.Y[:, 0] == -1.0)  # the frequency (imputed row included)
    p90 = _enqueued(XS, statistic="p90", strategy="random")
    h = History(p90.space, p90.objectives, tuple(p90.trials))
    d = ImputedData(p90.space)(h)
    assert d is not None
    np.testing.assert_allclose(d.Y[:, 0], -h.Y[:, 0])


def test_the_target_is_cached_per_trial(monkeypatch):
    study = _enqueued(XS, strategy="random")
    history = History(study.space, study.objectives, tuple(study.trials))
    calls = []

    def counting(samples, threshold, seed=0, draws=500):
        calls.append(seed)
        return exceed_target(samples, threshold, seed=seed, draws=draws)

    monkeypatch.setattr(exceed_mod, "exceed_target", counting)
    exceed_mod.cached_target.cache_clear()
    first = ImputedData(study.space)(history)
    assert sorted(calls) == sorted(t.id for t in history.completed)
    second = ImputedData(study.space)(history)
    assert len(calls) == len(XS)  # no recomputation
    assert first is not None and second is not None
    np.testing.assert_array_equal(first.Y, second.Y)
    np.testing.assert_array_equal(first.Yvar, second.Yvar)  # type: ignore[arg-type]


def test_gp_asks_on_a_saturated_study():
    study = _enqueued(XS, strategy="gp", strategy_options=FAST)
    nxt = study.ask()
    assert nxt.attrs["source"] == "gp:LogEI" and 0.0 <= nxt.params["x"] <= 1.0
