"""Priors on the optimum (bbo.space.prior): validation, serialization, density, sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import truncnorm

import bbo
from bbo.exceptions import InvalidSpaceError
from bbo.space import Categorical, Float, Int, Ordinal, Prior, Space
from bbo.space.prior import space_prior

# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Float(0, 1, prior=Prior(mean=2.0, sd=0.1)), r"low <= prior\.mean <= high"),
        (lambda: Float(0, 1, prior=Prior(mean=0.5, sd=0.0)), r"prior\.sd > 0"),
        (lambda: Float(0, 1, prior=Prior(mean=0.5, sd=-1)), r"prior\.sd > 0"),
        (lambda: Float(0, 1, prior=Prior(mean=0.5, sd=math.inf)), r"prior\.sd.*finite"),
        (lambda: Float(0, 1, prior=Prior(mean=math.nan, sd=1)), r"prior\.mean.*finite"),
        (lambda: Float(0, 1, prior={"mean": 0.5}), r"both `mean` and `sd`"),
        (lambda: Float(0, 1, prior={"choice": "a"}), r"Float: `prior` takes `mean` and `sd`"),
        (lambda: Int(1, 8, prior={"mean": 0, "sd": 1}), r"low <= prior\.mean <= high"),
        (lambda: Float(0, 1, prior={"mean": 0.5, "sd": 1, "bogus": 1}), r"unknown field"),
        (lambda: Float(0, 1, prior=[0.5, 1]), r"must be a mapping"),
        (lambda: Categorical(["a", "b"], prior={"choice": "c"}), r"prior\.choice.*one of"),
        (lambda: Categorical(["a", "b"], prior={"choice": "a", "weight": 1.0}), r"weight"),
        (lambda: Categorical(["a", "b"], prior={"probs": [0.5, 0.6]}), r"sum to 1"),
        (lambda: Categorical(["a", "b"], prior={"probs": [1.5, -0.5]}), r"> 0"),
        (lambda: Categorical(["a", "b"], prior={"probs": [1.0, 0.0]}), r"> 0"),
        (lambda: Categorical(["a", "b"], prior={"probs": [1.0]}), r"one probability per"),
        (lambda: Ordinal([1, 2], prior={"mean": 1, "sd": 1}), r"Ordinal: `prior` takes `choice`"),
        (lambda: Prior(mean=0.5, sd=1, choice="a"), r"one of"),
        (lambda: Prior(), r"one of"),
    ],
)
def test_bad_priors_are_refused_naming_the_rule(make, match) -> None:
    with pytest.raises(InvalidSpaceError, match=match):
        make()


def test_space_from_dict_names_the_parameter() -> None:
    with pytest.raises(InvalidSpaceError, match=r"parameter 'lr'.*prior\.mean"):
        Space.from_dict(
            {
                "lr": {
                    "type": "float",
                    "low": 1e-5,
                    "high": 1e-1,
                    "log": True,
                    "prior": {"mean": 1.0, "sd": 0.5},
                }
            }
        )


def test_round_trip_and_equality() -> None:
    space = Space(
        {
            "lr": Float(1e-5, 1e-1, log=True, prior=bbo.Prior(mean=1e-3, sd=0.5)),
            "n": Int(1, 8, prior={"mean": 3, "sd": 2}),
            "act": Categorical(["relu", "tanh", "gelu"], prior={"choice": "tanh", "weight": 0.7}),
            "w": Ordinal([16, 32, 64], prior=Prior(probs=[0.2, 0.3, 0.5])),
            "x": Float(0, 1),
        }
    )
    d = space.to_dict()
    assert d["lr"]["prior"] == {"mean": 1e-3, "sd": 0.5}
    assert d["act"]["prior"] == {"choice": "tanh", "weight": 0.7}
    assert d["w"]["prior"] == {"probs": [0.2, 0.3, 0.5]}
    assert "prior" not in d["x"]
    assert Space.from_dict(d) == space
    other = Space({**dict(space), "n": Int(1, 8, prior={"mean": 4, "sd": 2})})
    assert other != space
    assert repr(space["lr"].prior) == "Prior(mean=0.001, sd=0.5)"


# -- density --------------------------------------------------------------------------------


def test_log_density_is_the_truncated_normal_of_the_encoded_axis() -> None:
    # sd in decades for a log parameter: mu_u = encode(1e-3) = 0.5, sigma_u = 0.5 / 4
    space = Space(
        {
            "lr": Float(1e-5, 1e-1, log=True, prior=Prior(mean=1e-3, sd=0.5)),
            "x": Float(-5, 5, prior=Prior(mean=4.0, sd=2.0)),
            "free": Float(0, 1),
        }
    )
    prior = space_prior(space)
    assert prior is not None
    np.testing.assert_allclose(prior.mu, [0.5, 0.9])
    np.testing.assert_allclose(prior.sigma, [0.125, 0.2])
    X = np.random.default_rng(0).random((50, 3))
    expected = sum(
        truncnorm.logpdf(X[:, j], -m / s, (1 - m) / s, loc=m, scale=s)
        for j, m, s in ((0, 0.5, 0.125), (1, 0.9, 0.2))
    )
    value, grad = prior.log_density_np(X)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(grad[:, 0], -(X[:, 0] - 0.5) / 0.125**2)
    np.testing.assert_allclose(grad[:, 2], 0.0)
    Xt = torch.tensor(X, requires_grad=True)
    lt = prior.log_density(Xt)
    lt.sum().backward()
    np.testing.assert_allclose(lt.detach().numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(Xt.grad.numpy(), grad, rtol=1e-10)


def test_choice_prior_probabilities() -> None:
    space = Space(
        {
            "a": Categorical(["x", "y", "z"], prior={"choice": "z", "weight": 0.6}),
            "b": Ordinal([1, 2, 3, 4], prior={"probs": [0.1, 0.2, 0.3, 0.4]}),
            "c": Categorical(["p", "q"], prior={"choice": "q"}),  # default: 2/3 of two
        }
    )
    prior = space_prior(space)
    assert prior is not None
    X = space.encode_many([{"a": "z", "b": 4, "c": "q"}, {"a": "x", "b": 1, "c": "p"}])
    value, _ = prior.log_density_np(X)
    # density on [0, 1]: log(k p) per column
    expected = [
        math.log(3 * 0.6) + math.log(4 * 0.4) + math.log(2 * 2 / 3),
        math.log(3 * 0.2) + math.log(4 * 0.1) + math.log(2 * 1 / 3),
    ]
    np.testing.assert_allclose(value, expected)
    draws = space.decode_many(prior.sample(20000, np.random.default_rng(1)))
    freq = np.mean([d["a"] == "z" for d in draws]), np.mean([d["b"] == 3 for d in draws])
    np.testing.assert_allclose(freq, (0.6, 0.3), atol=0.015)
    assert prior.mode().tolist() == pytest.approx([5 / 6, 7 / 8, 3 / 4])


def test_sampling_follows_the_prior() -> None:
    space = Space({"x": Float(0, 10, prior=Prior(mean=2.0, sd=1.0)), "u": Float(0, 1)})
    prior = space_prior(space)
    assert prior is not None
    X = prior.sample(20000, np.random.default_rng(0))
    ref = truncnorm(-0.2 / 0.1, 0.8 / 0.1, loc=0.2, scale=0.1)
    assert X[:, 0].mean() == pytest.approx(ref.mean(), abs=0.003)
    assert X[:, 0].std() == pytest.approx(ref.std(), abs=0.003)
    assert X[:, 1].mean() == pytest.approx(0.5, abs=0.01)  # no prior: uniform
    assert X.min() >= 0.0 and X.max() <= 1.0


def test_no_prior_no_space_prior() -> None:
    assert space_prior(Space({"x": Float(0, 1), "c": Categorical(["a"])})) is None
