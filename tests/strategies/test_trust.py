"""``auto``'s trust region (bbo.strategies.trust): TuRBO's side-length rule computed from the
history, the box it gives, and its use in the portfolio's asks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.strategies.pipeline import TrainData
from bbo.strategies.trust import (
    L_INIT,
    L_MAX,
    L_MIN,
    center,
    region_bounds,
    region_length,
)
from bbo.surrogates.gp import GPData, fit_gp

SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0), "k": bbo.Int(1, 5), "c": bbo.Categorical(["a", "b"])})


def test_the_side_starts_at_l_init_while_only_the_design_exists():
    assert region_length(np.array([3.0, 2.0, 1.0]), 3, 2) == L_INIT
    assert region_length(np.array([]), 0, 2) == L_INIT


def test_three_successes_double_the_side_up_to_l_max():
    design = [10.0, 9.0]
    y = np.array([*design, 8.0, 7.0, 6.0])  # three improvements after the design
    assert region_length(y, 2, 2) == pytest.approx(2 * L_INIT)
    y = np.array(design + list(np.arange(8.0, -10.0, -1.0)))  # 18 improvements
    assert region_length(y, 2, 2) == L_MAX


def test_max_4_d_failures_in_a_row_halve_the_side():
    # d = 6: six failures halve, five do not; an improvement resets the count
    y = np.array([5.0, 4.0] + [9.0] * 5)
    assert region_length(y, 2, 6) == L_INIT
    y = np.array([5.0, 4.0] + [9.0] * 6)
    assert region_length(y, 2, 6) == pytest.approx(L_INIT / 2)
    y = np.array([5.0, 4.0] + [9.0] * 5 + [3.0] + [9.0] * 5)
    assert region_length(y, 2, 6) == L_INIT
    # d = 2: four failures (the floor of max(4, d))
    assert region_length(np.array([5.0, 4.0] + [9.0] * 4), 2, 2) == pytest.approx(L_INIT / 2)


def test_a_tiny_improvement_is_a_failure_and_a_collapsed_region_restarts():
    # improvements below 1e-3 of the observed range do not count as successes
    y = np.array([100.0, 0.0] + [-1e-6 * (i + 1) for i in range(4)])
    assert region_length(y, 2, 2) == pytest.approx(L_INIT / 2)
    # 0.8 / 2^6 = 0.0125 >= L_MIN = 1/128; the 7th halving falls below it: back to L_INIT
    assert L_INIT / 2**6 >= L_MIN > L_INIT / 2**7
    assert region_length(np.array([5.0, 4.0] + [9.0] * 24), 2, 2) == pytest.approx(L_INIT / 64)
    assert region_length(np.array([5.0, 4.0] + [9.0] * 28), 2, 2) == L_INIT


def test_the_box_is_centred_clipped_and_leaves_discrete_columns_whole():
    center = np.array([0.9, 0.5, 0.25])
    b = region_bounds(center, 0.4, SPACE)
    np.testing.assert_allclose(b[:, 0], [0.7, 1.0])  # clipped at the cube's edge
    np.testing.assert_allclose(b[:, 1:], [[0.0, 0.0], [1.0, 1.0]])


def _data(X, u, c=None):
    Y = u[:, None] if c is None else np.column_stack([u, c])
    bounds = np.stack([np.zeros(X.shape[1]), np.ones(X.shape[1])])
    return TrainData(X, Y, 1, bounds)


def _fit(data):
    model, _ = fit_gp(
        GPData(data.X, data.Y, None), cat_dims=[], device=torch.device("cpu"), state=None
    )
    return model


def test_the_centre_is_the_incumbent_without_noise_and_the_best_mean_with_it():
    rng = np.random.default_rng(1)
    X = rng.random((40, 1))
    smooth = -((X[:, 0] - 0.7) ** 2)  # utilities: higher is better, best at 0.7
    data = _data(X, smooth)
    assert center(_fit(data), data)[0] == X[np.argmax(smooth), 0]
    # noisy: a lucky draw far from the optimum is the best observation, not the centre
    noisy = smooth + 0.05 * rng.standard_normal(40)
    lucky = int(np.argmin(np.abs(X[:, 0] - 0.1)))
    noisy[lucky] = noisy.max() + 0.05
    data = _data(X, noisy)
    assert abs(center(_fit(data), data)[0] - 0.7) < 0.1


def test_the_centre_satisfies_the_constraints_posterior_mean():
    X = np.linspace(0.0, 1.0, 21)[:, None]
    u = -((X[:, 0] - 0.9) ** 2)  # best at 0.9 ...
    c = X[:, 0] - 0.5  # ... but feasible (c <= 0) only up to 0.5
    data = _data(X, u, c)
    assert center(_fit(data), data)[0] <= 0.5 + 1e-9
    assert center(_fit(data), data)[0] >= 0.4


def _bowl(p):
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


def test_auto_asks_inside_the_trust_region_and_records_its_side():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    opts = {"num_restarts": 4, "raw_samples": 128, "global_every": 0}
    study = bbo.Study(space, seed=0, strategy_options=opts)
    for _ in range(5):  # the Sobol' design
        t = study.ask()
        study.tell(t, _bowl(t.params))
    # a run of failures halves the side: tell bad values for points asked after the design
    for _ in range(12):
        seen = np.array([[u.params["x"], u.params["y"]] for u in study.trials])
        t = study.ask()
        side = t.attrs["trust_region"]
        # inside the box around one of the observed points (the centre is an observed row)
        gap = np.abs(seen - [t.params["x"], t.params["y"]]).max(axis=1)
        assert gap.min() <= side / 2 + 1e-9
        study.tell(t, 10.0)
    assert study.trials[-1].attrs["trust_region"] == pytest.approx(L_INIT / 4)


def test_every_third_ask_searches_the_whole_box():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, seed=0, strategy_options={"num_restarts": 4, "raw_samples": 128})
    for _ in range(11):
        t = study.ask()
        study.tell(t, _bowl(t.params))
    model_asks = study.trials[5:]  # trial k was asked with k trials seen
    assert [("trust_region" in t.attrs) for t in model_asks] == [k % 3 != 0 for k in range(5, 11)]


def test_trust_region_false_searches_the_whole_box():
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})
    study = bbo.Study(space, seed=0, strategy_options={"trust_region": False})
    for _ in range(7):
        t = study.ask()
        study.tell(t, _bowl(t.params))
    assert "trust_region" not in study.trials[-1].attrs


def test_spaces_with_discrete_parameters_search_the_whole_box():
    study = bbo.Study(SPACE, seed=0, strategy_options={"num_restarts": 4, "raw_samples": 128})
    for _ in range(7):
        t = study.ask()
        study.tell(t, (t.params["x"] - 0.3) ** 2 + t.params["k"] + (t.params["c"] == "a"))
    assert "trust_region" not in study.trials[-1].attrs
    assert study.trials[-1].attrs["source"] != "sobol"


def test_a_bad_trust_region_option_names_it():
    with pytest.raises(bbo.exceptions.InvalidArgumentError, match="trust_region"):
        bbo.Study(SPACE, seed=0, strategy_options={"trust_region": "yes"})


def test_the_centre_reads_a_one_output_gp_through_its_cache_as_gpytorch_would():
    """The cached posterior mean (no gpytorch call: its first call imports sympy, 0.5 s of
    a short study) ranks the observed rows as the model's own posterior does."""
    rng = np.random.default_rng(2)
    X = rng.random((30, 3))
    u = -np.sum((X - 0.4) ** 2, axis=1) + 0.05 * rng.standard_normal(30)
    data = _data(X, u)
    model = _fit(data)
    with torch.no_grad():
        mean = model.posterior(torch.as_tensor(X)).mean.numpy().ravel()
    np.testing.assert_array_equal(center(model, data), X[int(np.argmax(mean))])
