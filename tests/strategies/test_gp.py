"""GP-BO strategy: quality on easy problems, pending points, determinism and resume,
mixed spaces, constraints, failures, several objectives, large histories."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.space import params_key

FAST = {"num_restarts": 4, "raw_samples": 128, "mc_samples": 64}
SPACE2 = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
FASTGP = {"num_restarts": 2, "raw_samples": 64}


def quad(p):
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


def quad_c(p):
    return {"value": quad(p), "c": p["x"]}


def run(study, f, n):
    for _ in range(n):
        t = study.ask()
        study.tell(t, f(t.params))
    return study


def gp_study(space=SPACE2, **kw):
    opts = {**FAST, **kw.pop("strategy_options", {})}
    return bbo.Study(space, strategy="gp", seed=kw.pop("seed", 0), strategy_options=opts, **kw)


def test_gp_beats_random_on_a_quadratic():
    gp = run(gp_study(), quad, 15)
    rnd = run(bbo.Study(SPACE2, strategy="random", seed=0), quad, 15)
    assert gp.best.value < 1e-3 < rnd.best.value
    sources = [t.attrs["source"] for t in gp.trials]
    assert sources[:5] == ["sobol"] * 5 and set(sources[5:]) == {"gp:LogEI"}


def test_maximize_is_minimize_of_the_negation():
    a = run(gp_study(), quad, 8)
    b = run(gp_study(direction="maximize"), lambda p: -quad(p), 8)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_default_acquisition_follows_the_ask():
    study = run(gp_study(), quad, 6)
    assert study.ask().attrs["source"] == "gp:LogEI"  # sequential
    assert study.ask().attrs["source"] == "gp:LogEI"  # pending: the Kriging believer
    study = run(gp_study(), quad, 6)
    assert {t.attrs["source"] for t in study.ask(2)} == {"gp:LogEI"}  # a batch: the same
    constrained = run(gp_study(constraints=["c <= 0.5"]), quad_c, 6)
    assert constrained.ask().attrs["source"] == "gp:qLogNEI"
    explicit = gp_study(constraints=["c <= 0.5"], strategy_options={"acquisition": "LogEI"})
    with pytest.raises(InvalidArgumentError, match="does not model outcome constraints"):
        run(explicit, quad_c, 6).ask()


def test_batch_with_pending_points_spreads_out():
    study = run(gp_study(), quad, 6)
    first = study.ask(4)
    second = study.ask(4)  # the first four are RUNNING: pending
    X = SPACE2.encode_many([t.params for t in first + second])
    dist = np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(8, 1)]
    assert dist.min() > 1e-3
    assert len({params_key(t.params) for t in first + second}) == 8


def test_same_seed_same_suggestions_and_exact_resume(tmp_path):
    url = f"sqlite:///{tmp_path / 'gp.db'}"
    reference = [t.params for t in run(gp_study(), quad, 10).trials]
    study = run(gp_study(storage=url, name="gp"), quad, 7)
    assert study.storage.get_study("gp").strategy_state["params"]  # fitted state stored
    reopened = bbo.Study.load("gp", url)
    run(reopened, quad, 3)
    assert [t.params for t in reopened.trials] == reference


def test_mixed_space_finds_the_right_category():
    space = bbo.Space(
        {
            "x": bbo.Float(-1.0, 1.0),
            "k": bbo.Int(0, 6),
            "c": bbo.Categorical(["a", "b", "c"]),
            "o": bbo.Ordinal([1, 2, 4, 8]),
        }
    )

    def f(p):
        return (p["x"] - 0.2) ** 2 + (p["k"] - 3) ** 2 / 10 + (p["c"] != "b") + abs(p["o"] - 4) / 4

    study = run(gp_study(space), f, 16)
    best = study.best
    assert best.params["c"] == "b" and best.value < 0.6
    assert all(space.contains(t.params) for t in study.trials)


def test_constraints_steer_to_the_feasible_region():
    # minimize x + y subject to x * y >= 0.1 (optimum x = y = 0.316, value 0.632)
    study = gp_study(constraints=["prod >= 0.1"])
    for _ in range(16):
        t = study.ask()
        x, y = t.params["x"], t.params["y"]
        study.tell(t, {"value": x + y, "prod": x * y})
    gp_phase = study.trials[5:]
    feasible = [t for t in gp_phase if t.feasible(study.constraints)]
    assert len(feasible) >= 4  # the optimum is on the boundary: approached from both sides
    assert study.best.value < 0.66  # true optimum 2 * sqrt(0.1) = 0.632
    near = [t for t in gp_phase if abs(t.params["x"] * t.params["y"] - 0.1) < 0.03]
    assert len(near) >= 7


def test_failures_shape_the_search():
    # the objective improves towards x = 1 but evaluations crash for x > 0.6
    study = gp_study(bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)}))
    for _ in range(20):
        t = study.ask()
        if t.params["x"] > 0.6:
            study.tell(t, failed=True, reason="crash")
        else:
            study.tell(t, -t.params["x"] + 0.1 * t.params["y"])
    gp_phase = study.trials[8:]
    failed = sum(t.state == bbo.TrialState.FAILED for t in gp_phase)
    assert failed <= 4, failed
    assert study.best.params["x"] > 0.5


def test_several_objectives_use_nehvi():
    study = gp_study(direction={"f1": "minimize", "f2": "minimize"})
    for _ in range(9):
        t = study.ask()
        x, y = t.params["x"], t.params["y"]
        study.tell(t, {"f1": x**2 + y, "f2": (x - 1) ** 2 + y})
    assert study.trials[-1].attrs["source"] == "gp:qLogNEHVI"
    front = study.best
    assert len(front) >= 3
    assert min(t.params["y"] for t in front) < 0.1  # y = 0 on the true front


@pytest.mark.parametrize("acq", ["UCB", "qLogNEI", "qUCB", "TS", "PM"])
def test_every_acquisition_proposes_valid_distinct_points(acq):
    study = run(gp_study(strategy_options={"acquisition": acq}), quad, 6)
    batch = study.ask(3)
    assert all(t.attrs["source"] == f"gp:{acq}" for t in batch)
    assert len({params_key(t.params) for t in batch}) == 3
    assert all(SPACE2.contains(t.params) for t in batch)


@pytest.mark.parametrize(
    ("opts", "needle"),
    [
        ({"acquisition": "EI"}, "`acquisition` must be one of ['LogEI', 'UCB', 'qLogNEI'"),
        ({"n_init": 0}, "`n_init` must be an integer >= 1"),
        ({"device": "cpu"}, "`device` is not a strategy option: it is a runtime setting"),
        ({"beta": -1}, "`beta` must be > 0"),
    ],
)
def test_bad_options(opts, needle):
    with pytest.raises(InvalidArgumentError) as e:
        bbo.Study(SPACE2, strategy="gp", strategy_options=opts)
    assert needle in str(e.value)


def test_single_objective_acquisition_refused_for_several_objectives():
    study = gp_study(
        direction={"a": "minimize", "b": "minimize"}, strategy_options={"acquisition": "qUCB"}
    )
    for t in study.ask(5):
        study.tell(t, {"a": t.params["x"], "b": t.params["y"]})
    with pytest.raises(InvalidArgumentError, match="use 'qLogNEHVI'"):
        study.ask()


def test_replicates_give_known_noise():
    from bbo.strategies import History
    from bbo.strategies.pipeline import known_noise

    study = gp_study()
    rng = np.random.default_rng(0)
    for _ in range(7):
        t = study.ask()
        study.tell(t, samples=(quad(t.params) + 0.01 * rng.standard_normal(4)).tolist())
    history = History(study.space, study.objectives, tuple(study.trials))
    noise = known_noise(history)
    expected = [np.var(t.samples, ddof=1) / 4 for t in history.completed]
    np.testing.assert_allclose(noise[:, 0], expected)
    assert study.ask().attrs["source"] == "gp:LogEI"


def test_large_history_switches_to_a_local_model():
    study = gp_study(strategy_options={"max_exact": 30})
    for p in SPACE2.sample(50, 3):
        study.add(p, quad(p))
    t = study.ask()
    assert t.attrs["source"] == "gp:LogEI:local"
    X = SPACE2.encode_many([s.params for s in study.trials[:50]])
    best = X[np.argmin([quad(s.params) for s in study.trials[:50]])]
    near = X[np.argsort(np.linalg.norm(X - best, axis=1))[:30]]
    lo, hi = near.min(0), near.max(0)
    x = SPACE2.encode(t.params)
    pad = 0.05 * (hi - lo) + 1e-9
    assert np.all(x >= lo - pad) and np.all(x <= hi + pad)


def test_thread_policy_is_scoped_to_the_ask():
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from bbo.torch_utils import SINGLE_THREAD_MAX_N, thread_policy

    def blas() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            seen = {}
            with thread_policy(100):
                seen["small"] = (torch.get_num_threads(), blas())
            with thread_policy(SINGLE_THREAD_MAX_N + 1):
                seen["large"] = (torch.get_num_threads(), blas())
            assert seen == {"small": (1, {1}), "large": (2, {2})}
            run(gp_study(), quad, 6)
            # the caller's settings are restored
            assert torch.get_num_threads() == 2 and blas() == {2}
    finally:
        torch.set_num_threads(before)


def test_bilog_warp_keeps_order_and_compresses_the_bad_tail():
    from bbo.strategies.gp import bilog_warp

    U = np.array([[-1e4], [-3.0], [-1.0], [0.0], [2.0], [50.0]])
    W = bilog_warp(U)
    assert list(np.argsort(W[:, 0])) == list(np.argsort(U[:, 0]))
    z = (U - U.mean()) / U.std()
    good = z[:, 0] >= 0
    np.testing.assert_allclose(W[good], z[good])  # the good tail keeps its scale
    assert np.all(np.abs(W[~good]) < np.abs(z[~good]))  # the bad tail is compressed
    # the catastrophic point dominates less: its gap to the rest shrinks (2.68 -> 1.62)
    assert (W[1, 0] - W[0, 0]) < 0.65 * (z[1, 0] - z[0, 0])
    assert np.all(bilog_warp(np.ones((3, 1))) == 0)  # constant column: no division by zero


def test_the_power_warp_keeps_order_and_spreads_the_good_end():
    from bbo.strategies.warps import WARPS, bilog_warp, power_warp

    rng = np.random.default_rng(0)
    U = -np.exp(rng.normal(0.0, 3.0, (40, 2)))  # costs spanning decades (Rosenbrock-like)
    best = np.argsort(-U[:, 0])[:5]
    W = power_warp(U)
    assert W.shape == U.shape and np.all(np.isfinite(W))
    for j in range(2):  # monotone per column
        assert list(np.argsort(W[:, j], kind="stable")) == list(np.argsort(U[:, j], kind="stable"))
    # the five best points are told apart: far more spread than bilog's
    assert np.ptp(W[best, 0]) > 20 * np.ptp(bilog_warp(U)[best, 0])
    # rare deep minima (a long good tail, Hartmann-6-like): lambda is clipped to 1, so the
    # power warp is bilog's exactly and never compresses the good end
    deep = np.concatenate([rng.exponential(1.0, (50, 1)), [[25.0], [40.0]]])
    np.testing.assert_allclose(power_warp(deep), bilog_warp(deep), atol=1e-12)
    for warp in WARPS.values():
        assert np.all(warp(np.ones((4, 1))) == 0)  # constant column: no division by zero


def test_warp_auto_powers_only_the_columns_heavy_tailed_over_the_design():
    from bbo.strategies.warps import bilog_warp, heavy_tailed, power_warp

    rng = np.random.default_rng(0)
    heavy = -np.exp(rng.normal(0.0, 3.0, 10))  # costs spanning decades: lambda ~ -0.6
    deep = np.concatenate([rng.exponential(1.0, 8), [25.0, 40.0]])  # rare deep minima: 1
    U = np.stack([heavy, deep], axis=1)
    assert heavy_tailed(U) == [0]
    assert heavy_tailed(U[:4]) == []  # too few points to judge
    W = power_warp(U, heavy_tailed(U))
    np.testing.assert_allclose(W[:, 1], bilog_warp(U)[:, 1])  # the other column: bilog
    assert not np.allclose(W[:, 0], bilog_warp(U)[:, 0])


@pytest.mark.parametrize("warp", [True, False, "bilog", "power", "auto"])
def test_warp_option_takes_a_bool_or_a_name(warp):
    study = bbo.Study(SPACE2, strategy="gp", seed=0, strategy_options={"warp": warp, **FASTGP})
    for _ in range(7):  # past the initial design: the warp is used
        t = study.ask()
        study.tell(t, (t.params["x"] - 0.3) ** 2 + t.params["y"])
    assert study.trials[-1].attrs["source"] == "gp:LogEI"


def test_an_unknown_warp_is_refused_naming_the_choices():
    with pytest.raises(InvalidArgumentError, match="warp"):
        bbo.Study(SPACE2, strategy="gp", seed=0, strategy_options={"warp": "log"})


@pytest.mark.parametrize("kernel", ["rbf", "matern52"])
def test_kernel_option_picks_the_continuous_kernel(kernel):
    from gpytorch.kernels import MaternKernel, RBFKernel

    from bbo.surrogates.gp import GPData, fit_gp

    rng = np.random.default_rng(0)
    X = rng.random((12, 3))
    data = GPData(X, ((X - 0.4) ** 2).sum(1, keepdims=True))
    cpu = torch.device("cpu")
    for cats in ([], [2]):  # alone, and in the product with the categorical kernel
        model, _ = fit_gp(data, cat_dims=cats, device=cpu, state=None, kernel=kernel)
        kinds = {type(k) for k in model.covar_module.modules()}
        assert (MaternKernel in kinds) == (kernel == "matern52")
        assert (RBFKernel in kinds) == (kernel == "rbf")
    with pytest.raises(InvalidArgumentError, match="kernel"):
        bbo.Study(SPACE2, strategy="gp", seed=0, strategy_options={"kernel": "cosine"})


def test_a_numerical_failure_retries_fresh_then_falls_back_to_sobol(monkeypatch):
    """A kernel matrix that is not PD even with jitter never stops the study: the ask is
    tried again from fresh hyperparameters, then answered by the Sobol' design."""
    from gpytorch.utils.errors import NotPSDError

    from bbo.strategies.gp import GPFactory

    study = run(gp_study(), quad, 7)
    fit = GPFactory.fit
    states: list[dict] = []

    def flaky(self, data, **kw):  # fails with the warm state, works from fresh defaults
        states.append(kw["state"])
        if kw["state"]:
            raise NotPSDError("Matrix not positive definite after repeatedly adding jitter")
        return fit(self, data, **kw)

    monkeypatch.setattr(GPFactory, "fit", flaky)
    t = study.ask()
    assert t.attrs["source"] == "gp:LogEI" and [bool(s) for s in states] == [True, False]
    study.tell(t, quad(t.params))

    def broken(self, data, **kw):
        raise NotPSDError("Matrix not positive definite after repeatedly adding jitter")

    monkeypatch.setattr(GPFactory, "fit", broken)
    t = study.ask()
    assert t.attrs["source"] == "sobol-fallback"
    study.tell(t, quad(t.params))
    monkeypatch.setattr(GPFactory, "fit", fit)
    assert study.ask().attrs["source"] == "gp:LogEI"  # and the next ask is a model's again
