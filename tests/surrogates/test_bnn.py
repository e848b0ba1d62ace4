"""BNN surrogates: posterior shapes, uncertainty on a 1-D toy, the one-hot view, the
member sampler, the HMC sampler on a known target, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from botorch.posteriors.ensemble import EnsemblePosterior

import bbo
from bbo.acquisition.registry import MemberSampler
from bbo.surrogates.bnn import KINDS, fit_bnn
from bbo.surrogates.bnn.common import OneHot
from bbo.surrogates.bnn.hmc import hmc_sample
from bbo.surrogates.gp import GPData

CPU = torch.device("cpu")
# small settings: the tests check behaviour, not the defaults' accuracy
SMALL = {
    "ensemble": {"members": 6, "epochs": 200},
    "hmc": {"samples": 16, "chains": 4, "warmup": 60, "leapfrog": 8},
    "ibnn": {},
    "dkl": {"hidden": 16, "maxiter": 100},
}
X_TOY = np.linspace(0.1, 0.35, 6)[:, None]
Y_TOY = np.concatenate([np.sin(6 * X_TOY), np.cos(6 * X_TOY)], axis=1)  # t = 2 outputs


@pytest.fixture(scope="module", params=KINDS)
def toy(request):
    """(kind, model) fitted on 6 points of a smooth 1-D function with two outputs."""
    kind = request.param
    model, state = fit_bnn(
        kind, GPData(X_TOY, Y_TOY), categorical_dims={}, device=CPU, seed=0,
        options=SMALL[kind],
    )  # fmt: skip
    return kind, model, state


def test_posterior_shapes(toy):
    kind, model, _ = toy
    X = torch.rand(5, 3, 1, dtype=torch.float64)  # batch x q x d
    post = model.posterior(X)
    assert post.mean.shape == (5, 3, 2) and post.variance.shape == (5, 3, 2)
    assert post.rsample(torch.Size([4])).shape == (4, 5, 3, 2)
    assert model.posterior(X[0]).rsample(torch.Size([7])).shape == (7, 3, 2)  # no batch
    if kind in ("ensemble", "hmc"):
        assert isinstance(post, EnsemblePosterior)
        assert post.values.shape == (5, model.ensemble_size, 3, 2)


def test_fits_the_data_and_is_uncertain_away_from_it(toy):
    kind, model, _ = toy
    with torch.no_grad():
        at = model.posterior(torch.as_tensor(X_TOY))
        far = model.posterior(torch.tensor([[0.95], [1.0]], dtype=torch.float64))
    err = (at.mean - torch.as_tensor(Y_TOY)).abs().max()
    assert err < 0.12, (kind, err)  # the outputs span ~0.4 and ~1.3
    sd_at = at.variance.sqrt().max(0).values  # per output
    sd_far = far.variance.sqrt().min(0).values
    assert torch.all(sd_far > 2.5 * sd_at), (kind, sd_at, sd_far)


def test_state_is_json_ready_and_warm_starts(toy):
    import json

    kind, _, state = toy
    assert json.loads(json.dumps(state)) == state
    if kind in ("ibnn", "dkl"):  # same data and stored params: rebuilt, not refitted
        _, state2 = fit_bnn(
            kind, GPData(X_TOY, Y_TOY), categorical_dims={}, device=CPU, seed=1,
            state=state, options=SMALL[kind],
        )  # fmt: skip
        assert state2 == state


def test_same_seed_same_model_other_seed_other_members():
    data = GPData(X_TOY, Y_TOY[:, :1])
    fit = lambda seed: fit_bnn(  # noqa: E731
        "ensemble", data, categorical_dims={}, device=CPU, seed=seed, options={"epochs": 20}
    )[0]
    X = torch.rand(4, 1, dtype=torch.float64)
    a, b, c = (fit(s).posterior(X).values for s in (0, 0, 1))
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_onehot_transform_matches_the_space_view():
    space = bbo.Space(
        {
            "x": bbo.Float(0.0, 1.0),
            "c": bbo.Categorical(["a", "b", "c"]),
            "k": bbo.Int(1, 4),
            "e": bbo.Categorical(["u", "v"]),
        }
    )
    X = space.encode_many(space.sample(20, 0))
    onehot = OneHot(space.dim, space.categorical_dims)
    Z = onehot.transform(torch.as_tensor(X).reshape(4, 5, 4))  # any batch shape
    assert onehot.out_dim == space.onehot_dim == 7
    np.testing.assert_array_equal(Z.reshape(20, 7).numpy(), space.to_onehot(X))


def test_mixed_space_model_uses_the_categories():
    # y depends only on the category: the ensemble must tell the three apart
    space = bbo.Space({"x": bbo.Float(0.0, 1.0), "c": bbo.Categorical(["a", "b", "c"])})
    configs = space.sample(24, 1)
    level = {"a": 0.0, "b": 1.0, "c": -1.0}
    X = space.encode_many(configs)
    Y = np.array([[level[p["c"]]] for p in configs])
    model, _ = fit_bnn(
        "ensemble", GPData(X, Y), categorical_dims=space.categorical_dims, device=CPU, seed=0,
        options={"members": 4, "epochs": 150},
    )  # fmt: skip
    test = space.encode_many([{"x": 0.5, "c": c} for c in "abc"])
    mean = model.posterior(torch.as_tensor(test)).mean[:, 0]
    np.testing.assert_allclose(mean.detach().numpy(), [0.0, 1.0, -1.0], atol=0.15)


def test_member_sampler_enumerates_every_member_once():
    values = torch.randn(2, 5, 3, 1, dtype=torch.float64)  # batch x s x q x m
    post = EnsemblePosterior(values)
    samples = MemberSampler(torch.Size([5]))(post)
    assert samples.shape == (5, 2, 3, 1)
    torch.testing.assert_close(samples, values.transpose(0, 1))
    torch.testing.assert_close(samples.mean(0), post.mean)


def test_hmc_samples_a_known_gaussian():
    # U(q) = |q / s|^2 / 2: the draws must have mean 0 and standard deviations s
    s = torch.logspace(-1, 0.5, 12, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    q, acc = hmc_sample(
        lambda q: 0.5 * ((q / s) ** 2).sum(-1),
        torch.zeros(8, 12, dtype=torch.float64),
        gen=gen, warmup=150, draws=100, thin=1, leapfrog=16,
    )  # fmt: skip
    assert q.shape == (800, 12)
    assert torch.all((acc > 0.6) & (acc < 0.99)), acc  # dual averaging targets 0.8
    ratio = q.std(0) / s
    assert torch.all((ratio > 0.8) & (ratio < 1.2)), ratio
    assert torch.all(q.mean(0).abs() < 0.25 * s + 0.02)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_models_run_on_cuda():
    cuda = torch.device("cuda")
    for kind in KINDS:
        model, _ = fit_bnn(
            kind, GPData(X_TOY, Y_TOY), categorical_dims={}, device=cuda, seed=0,
            options=SMALL[kind],
        )  # fmt: skip
        X = torch.rand(2, 3, 1, dtype=torch.float64, device=cuda)
        assert model.posterior(X).rsample(torch.Size([2])).device.type == "cuda"


def test_prior_scale_is_width_independent():
    from bbo.surrogates.bnn.common import BatchedMLP

    gen = torch.Generator().manual_seed(0)
    X = torch.rand(200, 3, dtype=torch.float64)
    sds = []
    for width in (16, 256):
        mlp = BatchedMLP(3, (width, width), 1)
        f = mlp.forward(mlp.init(64, gen, X), X)  # 64 prior functions
        sds.append(float(f.std()))
    assert math.isclose(sds[0], sds[1], rel_tol=0.3), sds
