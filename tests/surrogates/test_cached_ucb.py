"""The cached analytic UCB equals botorch's UpperConfidenceBound, value and gradient, with
and without the numpy mirror; the UCB proposer spreads a batch by the Kriging believer."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from botorch.acquisition.analytic import UpperConfidenceBound

from bbo.acquisition.registry import AcqContext, _CachedUCB, get_acquisition
from bbo.space import Float, Space
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp


def _model(n: int = 30, d: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64)
    Y = -(X - 0.3).pow(2).sum(-1, keepdim=True) * 7 + 0.1 * torch.randn(
        n, 1, generator=g, dtype=torch.float64
    )
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    return X, Y, model, cache


@pytest.mark.parametrize("numpy_mirror", [True, False])
def test_cached_ucb_equals_botorch_ucb_and_gradient(numpy_mirror):
    _, _, model, cache = _model(n=40, d=4, seed=5)
    if not numpy_mirror:
        cache = dataclasses.replace(cache, grad=None)
    x = torch.rand(16, 1, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    ref = UpperConfidenceBound(model, beta=2.0)(x1)
    got = _CachedUCB(model, 2.0, cache)(x2)
    torch.testing.assert_close(got, ref, rtol=1e-6, atol=1e-8)
    ref.sum().backward()
    got.sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-5, atol=1e-8)


def test_ucb_beta_trades_mean_for_variance_and_batches_are_distinct():
    X, Y, model, cache = _model(n=30, d=2, seed=3)
    space = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)

    def ask(q: int, beta: float) -> torch.Tensor:
        ctx = AcqContext(model, space, X, Y, 1, 0, None, bounds, seed=7, beta=beta)
        return get_acquisition("UCB")(ctx, q)

    batch = ask(4, 4.0)
    assert batch.shape == (4, 2)
    assert torch.cdist(batch, batch).add(torch.eye(4)).min() > 1e-3  # qUCB: distinct points
    with torch.no_grad():
        greedy, explore = ask(1, 1e-6), ask(1, 100.0)
        var_greedy, var_explore = (cache.mean_var(x)[1] for x in (greedy, explore))
        mean_greedy, mean_explore = (cache.mean(x) for x in (greedy, explore))
    assert float(mean_greedy) >= float(mean_explore)
    assert float(var_explore) > float(var_greedy)
    torch.testing.assert_close(
        greedy, torch.tensor([[0.3, 0.3]], dtype=torch.float64), atol=0.1, rtol=0
    )
