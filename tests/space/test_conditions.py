"""Conditional parameters (bbo.space.conditions): rules, validation, encoding, counting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import bbo
from bbo.exceptions import InvalidParamsError, InvalidSpaceError
from bbo.space import Categorical, Float, Int, Ordinal, Space
from bbo.space.conditions import Condition


def optimizer_space() -> Space:
    """An optimizer choice with per-optimizer parameters, nested two deep, and a variable
    depth with a width per layer."""
    return Space(
        {
            "optimizer": Categorical(["sgd", "adam"]),
            "momentum": Float(0.0, 0.99, when={"optimizer": ["sgd"]}),
            "nesterov": Categorical([True, False], when={"optimizer": "sgd"}),
            "dampening": Float(0.0, 0.5, when={"nesterov": [False]}),
            "beta2": Float(0.9, 0.9999, log=True, when={"optimizer": ["adam"]}),
            "layers": Int(1, 3),
            "width2": Int(8, 256, log=True, when={"layers": [2, 3]}),
            "width3": Ordinal([16, 32, 64], when={"layers": [3]}),
        }
    )


SGD = {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "layers": 1}
ADAM = {"optimizer": "adam", "beta2": 0.999, "layers": 3, "width2": 32, "width3": 64}


def test_every_param_type_takes_when_and_stores_it():
    for p in (
        Float(0.0, 1.0, when={"a": ["x"]}),
        Int(1, 3, when={"a": "x"}),
        Categorical(["u", "v"], when={"a": ["x", "y"]}),
        Ordinal([1, 2], when={"a": ["x"]}),
    ):
        assert p.when[0].parameter == "a"
        assert p.to_dict()["when"]["a"][0] == "x"
        assert bbo.space.param_from_dict(p.to_dict()) == p
    assert "when" not in Float(0.0, 1.0).to_dict()
    assert Float(0.0, 1.0, when={"a": ["x"]}) != Float(0.0, 1.0)
    assert Float(0.0, 1.0, when=[Condition("a", ("x",))]).when == (Condition("a", ("x",)),)


def test_validate_wants_exactly_the_active_parameters():
    space = optimizer_space()
    assert space.validate(SGD) == SGD
    assert space.validate({**ADAM, "width2": 32.0})["width2"] == 32
    assert list(space.validate(ADAM)) == ["optimizer", "beta2", "layers", "width2", "width3"]
    with pytest.raises(InvalidParamsError) as e:
        space.validate({**SGD, "beta2": 0.99})
    assert str(e.value) == (
        "parameter 'beta2' is inactive and must be left out: it is active only when "
        "optimizer in ['adam'], got optimizer='sgd'"
    )
    with pytest.raises(InvalidParamsError, match=r"'dampening' is inactive.*nesterov=True"):
        space.validate({**SGD, "dampening": 0.1})  # nested: the parent is active
    with pytest.raises(InvalidParamsError, match=r"missing parameter\(s\) \['dampening'\]"):
        space.validate({**SGD, "nesterov": False})
    with pytest.raises(InvalidParamsError, match=r"missing parameter\(s\) \['width3'\]"):
        space.validate({k: v for k, v in ADAM.items() if k != "width3"})
    with pytest.raises(InvalidParamsError, match=r"parameter 'momentum': value 2\.0 is outside"):
        space.validate({**SGD, "momentum": 2.0})
    with pytest.raises(InvalidParamsError, match=r"unknown parameter\(s\) \['lr'\]"):
        space.validate({**SGD, "lr": 0.1})
    # a missing parent: reported, its children not judged
    with pytest.raises(InvalidParamsError, match=r"missing parameter\(s\) \['optimizer'\]"):
        space.validate({"layers": 1, "momentum": 0.5})
    assert space.contains(SGD) and not space.contains({**SGD, "beta2": 0.99})


def test_encode_fills_inactive_columns_and_decode_drops_them():
    space = optimizer_space()
    fill = space.conditions.fill
    x = space.encode(SGD)
    j = space.names.index
    assert x[j("beta2")] == fill[j("beta2")] and x[j("dampening")] == fill[j("dampening")]
    assert x[j("momentum")] == pytest.approx(0.9 / 0.99)
    assert fill[j("momentum")] == pytest.approx(0.5)  # the centre of a range
    assert fill[j("nesterov")] == 0.75  # a level of a discrete column
    assert space.decode(x) == space.validate(SGD)
    for params in space.sample(200, 0):
        assert space.validate(params) == params
        assert space.decode(space.encode(params)) == pytest.approx(params)
    assert Space.from_dict(space.to_dict()) == space


def test_impute_matches_decoding_for_numpy_and_torch():
    space = optimizer_space()
    X = np.random.default_rng(1).random((2000, space.dim))
    mask = space.conditions.active_mask(X)
    decoded = space.decode_many(X)
    assert (mask == np.array([[n in p for n in space.names] for p in decoded])).all()
    imputed = space.impute(X)
    assert (imputed[~mask] == np.broadcast_to(space.conditions.fill, X.shape)[~mask]).all()
    assert (imputed[mask] == X[mask]).all()
    T = torch.tensor(X.reshape(100, 20, -1), requires_grad=True)
    out = space.impute(T)
    assert out.shape == T.shape
    assert (out.detach().reshape(-1, space.dim).numpy() == imputed).all()
    out.sum().backward()  # active columns carry the gradient, inactive ones none
    assert (T.grad.reshape(-1, space.dim).numpy() == mask).all()
    flat = Space({"x": Float(0.0, 1.0)})
    assert flat.impute(X[:, :1]) is not None and not flat.conditions


def test_cardinality_counts_only_reachable_configurations():
    space = Space(
        {
            "a": Categorical(["p", "q"]),
            "n": Int(1, 4, when={"a": ["p"]}),
            "m": Ordinal([1, 2, 3], when={"n": [2]}),
        }
    )
    # a=q: 1; a=p: n in {1, 3, 4}: 3, n=2: 3 values of m
    assert space.cardinality == 7
    assert len({tuple(sorted(p.items())) for p in space.sample(500, 0)}) == 7
    assert optimizer_space().cardinality is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"a": Categorical(["x"]), "b": Float(0.0, 1.0, when={"c": ["x"]})},
            "parameter 'b': `when.c` names no parameter of the space; the space has ['a', 'b']",
        ),
        (
            {"a": Categorical(["x", "y"]), "b": Float(0.0, 1.0, when={"a": ["z"]})},
            "parameter 'b': `when.a`: value 'z' is not one of ['x', 'y']",
        ),
        (
            {"a": Int(1, 3), "b": Float(0.0, 1.0, when={"a": [4]})},
            "parameter 'b': `when.a`: value 4 is outside [1, 3]",
        ),
        (
            {"a": Float(0.0, 1.0), "b": Float(0.0, 1.0, when={"a": [0.5]})},
            "parameter 'b': `when.a`: a condition needs a parameter with discrete values "
            "(int, categorical or ordinal), 'a' is a float",
        ),
        (
            {"a": Categorical(["x"], when={"a": ["x"]})},
            "parameter 'a': `when.a`: a parameter cannot depend on itself",
        ),
        (
            {
                "a": Categorical(["x", "y"], when={"c": ["x"]}),
                "b": Categorical(["x", "y"], when={"a": ["x"]}),
                "c": Categorical(["x", "y"], when={"b": ["y"]}),
            },
            "parameter 'a': the `when` conditions form a cycle (a -> c -> b -> a); a parent "
            "must not depend on its child",
        ),
    ],
)
def test_bad_conditions_are_refused_naming_the_parameter_and_rule(params, message):
    with pytest.raises(InvalidSpaceError) as e:
        Space(params)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"a": []}, "`when.a` must list at least one value"),
        ("a", "`when` must be a mapping parameter -> list of values, got 'a'"),
        ({"a": {"x": 1}}, "`when.a` must be a list of values, got {'x': 1}"),
    ],
)
def test_bad_when_shapes_are_refused(when, message):
    with pytest.raises(InvalidSpaceError) as e:
        Float(0.0, 1.0, when=when)
    assert str(e.value) == message


def test_parents_may_come_after_their_children_in_the_space():
    space = Space({"b": Float(0.0, 1.0, when={"a": [True]}), "a": Categorical([True, False])})
    assert space.conditions.order == ["a", "b"]
    assert space.validate({"a": True, "b": 0.5}) == {"b": 0.5, "a": True}
    with pytest.raises(InvalidParamsError, match="'b' is inactive"):
        space.validate({"a": False, "b": 0.5})
    with pytest.raises(InvalidParamsError, match=r"parameter 'a': value 1 is not one of"):
        space.validate({"a": 1, "b": 0.5})  # 1 is not True


def test_linear_constraints_over_conditional_parameters_are_refused():
    params = {
        "a": Categorical(["x", "y"]),
        "b": Float(0.0, 1.0, when={"a": ["y"]}),
        "c": Float(0.0, 1.0),
        "d": Float(0.0, 1.0),
    }
    with pytest.raises(InvalidSpaceError) as e:
        Space(params, constraints=["b + c <= 1"])
    assert str(e.value) == (
        "constraint 'b + c <= 1' names conditional parameter(s) ['b']: linear parameter "
        "constraints hold over parameters without `when`"
    )
    space = Space(params, constraints=["c + d <= 1"])  # unconditional ones: allowed
    for p in space.sample(50, 0):
        assert p["c"] + p["d"] <= 1 and ("b" in p) == (p["a"] == "y")
