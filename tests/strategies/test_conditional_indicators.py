"""The GP's activity indicators on a conditional space (``conditional: indicators``,
bbo.surrogates.activity): the columns are the activity, the cached posterior is the model's,
and gp/auto studies with the option ask valid, seeded suggestions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.exceptions import InvalidArgumentError
from bbo.space import Categorical, Float, Int, Space
from bbo.strategies.gp import GPOptions
from bbo.strategies.portfolio import AutoOptions
from bbo.surrogates.activity import ActivityIndicators, append_activity, fit_activity_gp
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData

SPACE = Space(
    {
        "optimizer": Categorical(["sgd", "adam"]),
        "momentum": Float(0.0, 1.0, when={"optimizer": ["sgd"]}),
        "nesterov": Categorical([True, False], when={"optimizer": ["sgd"]}),
        "dampening": Float(0.0, 1.0, when={"nesterov": [False]}),  # nested
        "layers": Int(1, 3),
        "width3": Float(0.0, 1.0, when={"layers": [3]}),
    }
)


def loss(p: dict) -> float:
    v = (p["momentum"] - 0.3) ** 2 if p["optimizer"] == "sgd" else 0.2
    v += 0.1 * p.get("dampening", 0.0)
    return v + (0.3 if p["layers"] < 3 else (p["width3"] - 0.7) ** 2)


def test_indicator_columns_are_exactly_the_activity() -> None:
    # optimizer adam (u 0.75), sgd + nesterov (0.25, 0.25), sgd + not nesterov; layers 3 / 1
    X = np.array(
        [
            [0.75, 0.5, 0.5, 0.5, 0.9, 0.5],
            [0.25, 0.1, 0.25, 0.5, 0.1, 0.5],
            [0.25, 0.1, 0.75, 0.2, 0.9, 0.4],
        ]
    )
    A = append_activity(X, SPACE.conditions)
    assert A.shape == (3, 10)
    np.testing.assert_array_equal(A[:, :6], X)
    # momentum, nesterov, dampening, width3
    expected = [[0, 0, 0, 1], [1, 1, 0, 0], [1, 1, 1, 1]]
    np.testing.assert_array_equal(A[:, 6:], np.array(expected, dtype=float))
    # the same from torch, and for every point: the mask of the conditional columns
    rng = np.random.default_rng(0)
    U = rng.random((50, 6))
    mask = SPACE.conditions.active_mask(U)[:, [1, 2, 3, 5]]
    T = append_activity(torch.as_tensor(U).reshape(5, 10, 6), SPACE.conditions)
    assert T.shape == (5, 10, 10) and T.dtype == torch.float64
    T32 = append_activity(torch.as_tensor(U, dtype=torch.float32), SPACE.conditions)
    assert T32.dtype == torch.float32
    np.testing.assert_array_equal(T32[:, 6:].numpy(), mask.astype(np.float32))
    np.testing.assert_array_equal(T.reshape(50, 10)[:, 6:].numpy(), mask.astype(float))
    tf = ActivityIndicators(SPACE.conditions)
    np.testing.assert_array_equal(
        tf.transform(torch.as_tensor(U)).numpy(), append_activity(U, SPACE.conditions)
    )


def test_the_cached_posterior_is_the_models() -> None:
    rng = np.random.default_rng(1)
    X = SPACE.impute(rng.random((14, 6)))
    Y = np.sin(3 * X.sum(1, keepdims=True))
    torch.manual_seed(0)
    model, state = fit_activity_gp(
        GPData(X, Y),
        SPACE.conditions,
        cat_dims=sorted(SPACE.categorical_dims),
        device=torch.device("cpu"),
        state=None,
    )
    assert len(state["params"]["covar_module.kernels.1.raw_lengthscale"][0]) == 2 + 4
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.X.shape == (14, 6) and cache.grad is not None
    x = torch.as_tensor(SPACE.impute(rng.random((7, 6))))
    with torch.no_grad():
        post = model.posterior(x)
    mean, var = cache.mean_var(x)
    torch.testing.assert_close(mean, post.mean.squeeze(-1))
    torch.testing.assert_close(var, post.variance.squeeze(-1))
    xg = x.clone().requires_grad_(True)
    model.posterior(xg).mean.sum().backward()
    _, _, dmean, _ = cache.grad(x.numpy())
    assert dmean is not None and dmean.shape == (7, 6) and xg.grad is not None
    np.testing.assert_allclose(dmean, xg.grad.numpy(), atol=1e-8)
    believed = cache.believe(x[:2])  # the Kriging believer's fantasy keeps d columns
    assert believed.X.shape == (16, 6)
    torch.testing.assert_close(believed.mean(x), mean)


def run(strategy: str, asks: int = 10) -> bbo.Study:
    study = bbo.Study(
        SPACE, strategy=strategy, seed=5, strategy_options={"conditional": "indicators"}
    )
    for i in range(asks):
        for t in study.ask(2 if i % 4 == 1 else 1):
            assert SPACE.validate(t.params) == t.params, t.params
            study.tell(t, loss(t.params))
    return study


@pytest.mark.parametrize("strategy", ["gp", "auto"])
def test_a_study_with_indicators_asks_valid_seeded_suggestions(strategy: str) -> None:
    a, b = run(strategy), run(strategy)
    assert len(a.trials) == 13
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    sources = [t.attrs["source"] for t in a.trials]
    # the model answers after the design, the last two as a Kriging-believer batch
    assert sources[:8] == ["sobol"] * 8 and sources[8:] == ["gp:LogEI"] * 5
    assert {t.params["optimizer"] for t in a.trials} == {"sgd", "adam"}
    assert a.best.value < 0.3


@pytest.mark.parametrize("options", [GPOptions, AutoOptions])
def test_the_option_is_validated(options: type[GPOptions]) -> None:
    assert options.parse({"conditional": "indicators"}).conditional == "indicators"
    assert options().conditional == "impute"
    with pytest.raises(InvalidArgumentError) as e:
        options.parse({"conditional": "kernel"})
    assert str(e.value) == (
        f"{options.strategy} option `conditional` must be one of ['impute', 'indicators'], "
        "got 'kernel'"
    )
