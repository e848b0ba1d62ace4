"""``exceed(t)`` objectives model the probit of the smoothed exceedance (issue 20): on a
plateau where every replicate exceeds ``t`` the frequency is 1 everywhere, the probit
score still orders the points by how far their replicates lie above ``t``."""

from __future__ import annotations

import numpy as np
import pytest

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


def _sd_rule_probit(Y: np.ndarray, t: float) -> np.ndarray:
    """The earlier score, at Silverman's plain ``h = 1.06 sd n^(-1/5)``: ``b x n`` -> ``b``."""
    from scipy.special import log_ndtr, logsumexp, ndtri_exp

    n = Y.shape[-1]
    h = 1.06 * Y.std(axis=-1, keepdims=True) * n**-0.2
    log_p = logsumexp(log_ndtr((Y - t) / h), axis=-1) - np.log(n)
    log_q = logsumexp(log_ndtr((t - Y) / h), axis=-1) - np.log(n)
    z = ndtri_exp(np.minimum(np.minimum(log_p, log_q), np.log(0.5)))
    return np.where(log_p <= log_q, z, -z)


def _bimodal(high: int, rng: np.random.Generator) -> np.ndarray:
    """20 replicates as levi-bimodal's near its risk optimum: ``20 - high`` of them just above
    the threshold 0 (``0.2 + 0.03 e``), ``high`` in a second mode 1.5 above them."""
    return np.concatenate(
        [0.2 + 0.03 * rng.standard_normal(20 - high), 1.7 + 0.03 * rng.standard_normal(high)]
    )


def test_a_second_high_mode_no_longer_widens_the_bandwidth_nor_splits_the_bootstrap():
    from bbo.statistics import exceed_bandwidth, exceed_probit

    seed = 3
    for high in (1, 3):
        y = _bimodal(high, np.random.default_rng(high))
        # the sd is the far mode's; the IQR (and the robust h) is the bulk's
        h_sd = 1.06 * y.std() * 20**-0.2
        h = float(exceed_bandwidth(y[None, :], THRESHOLD)[0, 0])
        assert h < h_sd / 4
        exceed_mod.cached_target.cache_clear()
        z, var = exceed_mod.cached_target(tuple(y), THRESHOLD, seed)
        z_sd = float(_sd_rule_probit(y[None, :], THRESHOLD)[0])
        # exceed_target's resamples, scored both ways
        R = y[np.random.default_rng(seed).integers(0, 20, size=(500, 20))]
        Z, Z_sd = exceed_probit(R, THRESHOLD), _sd_rule_probit(R, THRESHOLD)
        assert var == pytest.approx(np.var(Z, ddof=1))
        # the sd rule: resamples that miss the high mode score far above those that hold it
        # (a narrow h against a wide one), so its bootstrap is split in two and wide for its
        # value; the robust rule's h follows the bulk either way (up to the IQR's 25%
        # breakdown: a resample with 5 of 20 replicates in the far mode widens it too)
        miss = R.max(axis=1) < 1.0
        assert miss.any() and (~miss).any()
        split_sd = np.median(Z_sd[miss]) / np.median(Z_sd[~miss])
        split = np.median(Z[miss]) / np.median(Z[~miss])
        assert split_sd > 5 and split < split_sd / 3
        # relative to the score, the bootstrap variance drops (not always in absolute
        # terms: the robust z of a point whose bulk lies just above t is larger, ~ (y_(1) -
        # t) / h, and its variance with it)
        assert var / z**2 < np.var(Z_sd, ddof=1) / z_sd**2 / 2


def test_the_bandwidth_falls_back_on_the_sd_then_the_floor():
    from bbo.statistics import exceed_bandwidth, exceed_probit

    tied = np.array([[1.0] * 16 + [2.0, 3.0, 4.0, 5.0]])  # IQR 0: the sd's h
    h = exceed_bandwidth(tied, 0.5)
    np.testing.assert_allclose(h, 0.9 * tied.std() * 20**-0.2)
    equal = np.full((1, 20), 1.0)  # both 0: the floor, and a finite score
    assert exceed_bandwidth(equal, 0.5)[0, 0] == 1e-9 + 1e-6 * 1.5
    assert np.isfinite(exceed_probit(equal, 0.5)).all()
    assert exceed_bandwidth(np.zeros((3, 5, 20)), 0.0).shape == (3, 5, 1)  # batched
