"""The Kriging believer's fantasy (``CachedGP.believe``) is gpytorch's conditioning on the
posterior mean, and the batches it proposes spread out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.surrogates.cached import CachedGP
from bbo.surrogates.gp import GPData, fit_gp


def _model(n: int = 40, d: int = 3, seed: int = 0) -> tuple[torch.nn.Module, CachedGP]:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64)
    Y = (X - 0.3).pow(2).sum(-1, keepdim=True) * 7 + 0.05 * torch.randn(
        n, 1, generator=g, dtype=torch.float64
    )
    torch.manual_seed(seed)
    model, _ = fit_gp(
        GPData(X.numpy(), Y.numpy()), cat_dims=[], device=torch.device("cpu"), state=None
    )
    cache = CachedGP.from_model(model)
    assert cache is not None and cache.grad is not None
    return model, cache


def test_believe_is_conditioning_on_the_posterior_mean():
    model, cache = _model()
    g = torch.Generator().manual_seed(1)
    xp = torch.rand(3, 3, generator=g, dtype=torch.float64)
    x = torch.cat([xp, torch.rand(50, 3, generator=g, dtype=torch.float64)])
    believed = cache.believe(xp)
    with torch.no_grad():
        fantasy = model.condition_on_observations(xp, model.posterior(xp).mean)
        post = fantasy.posterior(x)
        mean0, var0 = cache.mean_var(x)
        mean, var = believed.mean_var(x)
    torch.testing.assert_close(mean, mean0, rtol=1e-9, atol=1e-9)  # the mean is unchanged
    torch.testing.assert_close(mean, post.mean.squeeze(-1), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(var, post.variance.squeeze(-1), rtol=1e-4, atol=1e-7)
    assert (var <= var0 + 1e-12).all() and (var[:3] < 0.8 * var0[:3]).all()  # at xp
    # the numpy mirror follows, values and gradients alike
    m, v, _, dv = believed.grad(x.numpy())
    np.testing.assert_allclose(m, mean.numpy(), rtol=1e-9)
    np.testing.assert_allclose(v, var.numpy(), rtol=1e-7, atol=1e-12)
    eps = 1e-5
    xs = x.numpy()[:4]
    for j in range(3):
        step = np.zeros_like(xs)
        step[:, j] = eps
        up, down = believed.grad(xs + step, grad=False), believed.grad(xs - step, grad=False)
        np.testing.assert_allclose((up[1] - down[1]) / (2 * eps), dv[:4, j], rtol=1e-3, atol=1e-5)


def test_believing_a_duplicate_point_stays_finite():
    _, cache = _model()
    x = cache.X[:1].clone()
    believed = cache.believe(torch.cat([x, x]))
    _, var = believed.mean_var(x)
    assert torch.isfinite(believed.K_inv).all() and torch.isfinite(var).all()
    assert float(var) <= float(cache.mean_var(x)[1]) + 1e-12


def _quad(p: dict[str, float]) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.7) ** 2


SPACE = bbo.Space({"x": bbo.Float(0.0, 1.0), "y": bbo.Float(0.0, 1.0)})


@pytest.mark.parametrize("strategy", ["gp", "auto"])
def test_batches_and_pending_asks_use_the_believer(strategy):
    study = bbo.Study(SPACE, strategy=strategy, seed=0)
    for _ in range(8):
        t = study.ask()
        study.tell(t, _quad(t.params))
    batch = study.ask(4)
    assert {t.attrs["source"].split(">")[-1] for t in batch} == {"gp:LogEI"}
    pending = study.ask()  # the batch is still running: pending points
    assert pending.attrs["source"].split(">")[-1] == "gp:LogEI"
    X = SPACE.encode_many([t.params for t in [*batch, pending]])
    dist = np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(5, 1)]
    assert dist.min() > 1e-3  # each believed point repels the next
    again = bbo.Study(SPACE, strategy=strategy, seed=0)
    for t in study.trials[:8]:
        again.tell(again.ask(), _quad(t.params))
    assert [t.params for t in again.ask(4)] == [t.params for t in batch]  # deterministic
