"""The Kriging-believer batch (:mod:`bbo.acquisition.believer`): each point is the greedy
maximizer of the believed posterior's LogEI, its cheap later steps find what a full search
finds, and the faster qLogNEHVI proposes valid points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bbo.acquisition import believer, registry
from bbo.acquisition.optimize import OptimizerConfig, optimize_one
from bbo.acquisition.registry import AcqContext, _CachedLogEI, get_acquisition
from bbo.space import Categorical, Float, Space
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp
from bbo.torch_utils import seeded

BOUNDS = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
SPACE = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})
CPU = torch.device("cpu")


def _fit(n: int = 12, outputs: int = 1, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 2, generator=g, dtype=torch.float64)
    wave = torch.sin(9 * X[:, :1]) * torch.cos(7 * X[:, 1:])
    f = -(X - 0.3).pow(2).sum(-1, keepdim=True) * 7 + wave
    Y = torch.cat([f, -(X - 0.7).pow(2).sum(-1, keepdim=True) * 5][:outputs], dim=1)
    model, _ = fit_gp(GPData(X.numpy(), Y.numpy()), cat_dims=[], device=CPU, state=None)
    return X, Y, model


def _ctx(X, Y, model, m: int = 1, pending=None, space: Space = SPACE) -> AcqContext:
    return AcqContext(model, space, X, Y[:, :m], m, 0, pending, BOUNDS, seed=3)


def test_each_batch_point_is_the_greedy_maximizer_of_the_believed_logei(monkeypatch):
    """Point ``j`` maximizes LogEI of the posterior that believed points ``< j`` at their
    means, incumbent the best believed mean: a full multi-start search of that acquisition
    finds nothing much better (a cheap step, searching near the earlier steps' maxima and
    the candidates around the believed point, may fall short of it by less than a factor 2
    in EI), the points are distinct and the first one is a single ask's point."""
    monkeypatch.setattr(believer, "AROUND", 16)
    X, Y, model = _fit()
    q = 5
    with seeded(0, CPU):  # botorch's restart selection draws from torch's global RNG
        batch = get_acquisition("LogEI")(_ctx(X, Y, model), q)
    assert batch.shape == (q, 2)
    assert ((batch >= 0) & (batch <= 1)).all()
    assert torch.cdist(batch, batch).add(torch.eye(q)).min() > 1e-3
    with seeded(0, CPU):
        single = get_acquisition("LogEI")(_ctx(X, Y, model), 1)
    torch.testing.assert_close(batch[:1], single)
    cache = CachedGP.from_model(model)
    assert cache is not None
    with torch.no_grad():
        best_f = cache.mean(X).max()
    config = OptimizerConfig(num_restarts=20, raw_samples=1024)
    for j in range(q):
        acqf = _CachedLogEI(model, best_f, cache)
        with seeded(100 + j, CPU):
            full = optimize_one(acqf, SPACE, BOUNDS, config, seed=100 + j, pools={}).X
        with torch.no_grad():
            got, best = float(acqf(batch[j : j + 1])), float(acqf(full))
        # log scale: within a factor 2 of the best EI (the cheap steps search near the
        # earlier steps' maxima only; seeded, this batch's worst step is 0.21 below)
        assert got >= best - math.log(2.0), (j, got, best)
        with torch.no_grad():
            cache = cache.believe(batch[j : j + 1])
            best_f = torch.maximum(best_f, cache.mean(batch[j : j + 1]).max())


@pytest.mark.parametrize("cheap", [True, False])
def test_default_and_full_steps_give_distinct_points(monkeypatch, cheap):
    monkeypatch.setattr(believer, "CHEAP_STEPS", cheap)
    X, Y, model = _fit()
    batch = get_acquisition("LogEI")(_ctx(X, Y, model), 4)
    assert batch.shape == (4, 2)
    assert torch.cdist(batch, batch).add(torch.eye(4)).min() > 1e-3


def test_pending_points_are_believed_before_the_first_point():
    X, Y, model = _fit()
    free = get_acquisition("LogEI")(_ctx(X, Y, model), 1)
    with_pending = get_acquisition("LogEI")(_ctx(X, Y, model, pending=free), 1)
    assert float((with_pending - free).abs().max()) > 1e-3  # the pending point repels
    again = get_acquisition("LogEI")(_ctx(X, Y, model, pending=free), 1)
    torch.testing.assert_close(again, with_pending)  # deterministic in the seed


def test_next_point_starts_from_the_ends_and_returns_the_other_ends():
    X, _, model = _fit()
    cache = CachedGP.from_model(model)
    assert cache is not None
    acqf = _CachedLogEI(model, cache.mean(X).max(), cache)
    top = optimize_one(acqf, SPACE, BOUNDS, OptimizerConfig(), seed=0, pools={})
    shared = believer.sobol_points(BOUNDS, 16, seed=1)
    assert shared.shape == (16, 2) and ((shared >= 0) & (shared <= 1)).all()
    ends = torch.cat([top.ends, top.X])  # the maximizer last among the ends
    x, rest = believer.next_point(acqf, SPACE, BOUNDS, ends, shared, maxiter=200)
    with torch.no_grad():
        assert float(acqf(x)) >= float(acqf(top.X)) - 1e-6
    assert x.shape == (1, 2) and rest.shape[1] == 2
    assert float(torch.cdist(rest, x).min()) > 1e-6  # the chosen point is not an end again
    assert len(rest) <= believer.MAX_ENDS


def test_a_mixed_space_batch_searches_each_point_fully():
    space = Space({"a": Float(0.0, 1.0), "b": Categorical(["u", "v"])})
    assert not believer._continuous(space) and believer._continuous(SPACE)
    X, Y, model = _fit(n=12)
    X = X.clone()
    X[:, 1] = (X[:, 1] > 0.5).double()
    model, _ = fit_gp(GPData(X.numpy(), Y.numpy()), cat_dims=[1], device=CPU, state=None)
    ctx = _ctx(X, Y, model, space=space)
    ctx.config = OptimizerConfig(num_restarts=2, raw_samples=16, maxiter=20)
    batch = get_acquisition("LogEI")(ctx, 3)
    assert batch.shape == (3, 2)
    assert len(space.decode_many(batch.numpy())) == 3  # on the categorical levels


@pytest.mark.parametrize("fast", [True, False])
def test_nehvi_proposes_valid_points_with_pending(monkeypatch, fast):
    monkeypatch.setattr(registry, "FAST_NEHVI", fast)
    X, Y, model = _fit(n=15, outputs=2)
    config = OptimizerConfig(num_restarts=4, raw_samples=32, maxiter=20)
    ctx = _ctx(X, Y, model, m=2, pending=X[:1] + 0.01)
    ctx.config, ctx.mc_samples = config, 64
    out = get_acquisition("qLogNEHVI")(ctx, 2)
    assert out.shape == (2, 2) and ((out >= 0) & (out <= 1)).all()
    assert np.isfinite(out.numpy()).all()
    if fast:
        assert ctx.config.num_restarts == 2 and ctx.config.raw_samples == 8
