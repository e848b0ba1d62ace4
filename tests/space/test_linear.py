"""Linear parameter constraints: the parser, the LP feasibility check, repair and sampling."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidArgumentError, InvalidParamsError, InvalidSpaceError
from bbo.space.feasible import feasible_mask
from bbo.space.linear import parse_linear

PARAMS = {
    "x1": bbo.Float(0.0, 10.0),
    "x2": bbo.Float(0.0, 10.0),
    "n": bbo.Int(1, 9),
    "lr": bbo.Float(1e-4, 1.0, log=True),
    "act": bbo.Categorical(["relu", "tanh"]),
    "k": bbo.Ordinal([1, 2, 4]),
    "a-b": bbo.Float(0.0, 1.0),
}


@pytest.mark.parametrize(
    ("text", "coefs", "rhs"),
    [
        ("x1 + 2*x2 <= 10", {"x1": 1.0, "x2": 2.0}, 10.0),
        ("lr - 0.5*x1 >= 0", {"x1": 0.5, "lr": -1.0}, 0.0),
        ("2x1+3 n>=4-x2", {"x1": -2.0, "x2": -1.0, "n": -3.0}, -4.0),
        ("x1/4 + 1 <= 3", {"x1": 0.25}, 2.0),
        ("-x1 <= -1 + x2", {"x1": -1.0, "x2": -1.0}, -1.0),
        ("1e1 >= x1 + x1 + 1.5e-1*lr", {"x1": 2.0, "lr": 0.15}, 10.0),
        ("a-b + x1 <= 3", {"x1": 1.0, "a-b": 1.0}, 3.0),  # the longest name wins
        ("x1*2*3 <= 6", {"x1": 6.0}, 6.0),
    ],
)
def test_parse_good(text, coefs, rhs):
    c = parse_linear(text, PARAMS)
    assert dict(c.coefs) == pytest.approx(coefs) and set(dict(c.coefs)) == set(coefs)
    assert c.rhs == pytest.approx(rhs)
    assert str(c) == text.strip()


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("x1*x2 <= 1", "non-linear term `x1*x2`"),
        ("x1**2 <= 3", "a power (`**`) is not linear"),
        ("x1^2 <= 3", "a power (`^`) is not linear"),
        ("x1 x2 <= 3", "non-linear term"),
        ("x1 / x2 <= 3", "non-linear term `x1/x2`"),
        ("act <= 1", "parameter 'act' is Categorical; only Float and Int"),
        ("k + x1 <= 1", "parameter 'k' is Ordinal; only Float and Int"),
        ("z + x1 <= 3", "unknown parameter 'z'"),
        ("3 <= 4", "no parameter"),
        ("x1 - x1 <= 3", "no parameter"),
        ("x1 < 3", "`<`: use `<=` or `>=`"),
        ("x1 == 3", "`==`: use `<=` or `>=`"),
        ("x1 + x2", "no comparison"),
        ("x1 <= 2 <= 3", "more than one comparison"),
        ("(x1 + x2) <= 3", "parentheses are not supported"),
        ("x1 + <= 3", "expected a number or a parameter"),
        ("<= 3", "a side of the comparison is empty"),
        ("x1 / 0 <= 3", "division by zero"),
        ("x1 $ 2 <= 3", "unexpected character '$'"),
        ("", "a parameter constraint is a linear expression"),
    ],
)
def test_parse_bad_names_text_and_rule(text, rule):
    with pytest.raises(InvalidSpaceError) as e:
        parse_linear(text, PARAMS)
    assert rule in str(e.value)
    assert f"parameter constraint {text.strip()!r}" in str(e.value)


def test_space_holds_checks_and_compares_constraints():
    space = bbo.Space(PARAMS, constraints=["x1 + 2*x2 <= 10"])
    assert space.constraint_texts == ("x1 + 2*x2 <= 10",)
    assert space != bbo.Space(PARAMS) and space == bbo.Space(PARAMS, ["x1 + 2*x2 <= 10"])
    assert hash(space) == hash(bbo.Space(PARAMS, ["x1 + 2*x2 <= 10"]))
    assert "constraints=['x1 + 2*x2 <= 10']" in repr(space)
    assert space.to_dict() == bbo.Space(PARAMS).to_dict()  # the `space:` section, as before
    p = {"x1": 4.0, "x2": 3.0, "n": 1, "lr": 0.1, "act": "relu", "k": 1, "a-b": 0.5}
    assert space.feasible(p) and space.check_feasible(p) == p
    p["x2"] = 3.5
    assert not space.feasible(p)
    with pytest.raises(InvalidParamsError, match=r"'x1 \+ 2\*x2 <= 10' does not hold"):
        space.check_feasible(p)
    with pytest.raises(InvalidSpaceError, match="given twice"):
        bbo.Space(PARAMS, ["x1 <= 3", "x1 <= 3"])
    with pytest.raises(InvalidSpaceError, match="list of strings"):
        bbo.Space(PARAMS, "x1 <= 3")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        ["x1 <= -1"],  # outside the box
        ["x1 + x2 <= 1", "x1 + x2 >= 2"],  # two contradicting constraints
        ["2*n >= 3", "2*n <= 3.5"],  # only n = 1.5..1.75 would do: Int has no such value
        ["lr >= 2"],  # a log-scaled parameter's range is in its values
    ],
)
def test_infeasible_constraint_sets_are_refused(bad):
    with pytest.raises(InvalidSpaceError, match="cannot all hold") as e:
        bbo.Space(PARAMS, constraints=bad)
    assert all(repr(t) in str(e.value) for t in bad)


SPACE = bbo.Space(
    PARAMS, constraints=["x1 + 2*x2 <= 10", "n + x1 >= 5", "x1 + 10*lr <= 6", "x1 >= a-b"]
)


def test_sample_is_feasible_and_deterministic():
    configs = SPACE.sample(300, np.random.default_rng(0))
    assert all(SPACE.feasible(p) for p in configs) and len(configs) == 300
    assert configs == SPACE.sample(300, np.random.default_rng(0))
    for p in configs:  # the rule as a user would write it, exact in user units
        assert p["x1"] + 2 * p["x2"] <= 10 and p["n"] + p["x1"] >= 5
        assert p["x1"] + 10 * p["lr"] <= 6 and p["x1"] >= p["a-b"]


def test_feasible_mask_agrees_with_the_exact_test():
    X = np.random.default_rng(1).random((2000, SPACE.dim))
    mask = feasible_mask(SPACE, X)
    exact = np.array([SPACE.feasible(p) for p in SPACE.decode_many(X)])
    assert 0 < exact.sum() < len(X) and (mask == exact).mean() > 0.999


def test_repair_moves_to_a_near_feasible_point_with_int_and_log():
    rng = np.random.default_rng(2)
    for p in SPACE.decode_many(rng.random((50, SPACE.dim))):
        fixed = SPACE.repair(p)
        assert fixed is not None and SPACE.feasible(fixed)
        assert SPACE.validate(fixed) == fixed  # valid values: Int an int, in range
        if SPACE.feasible(p):
            assert fixed == p
        assert fixed["act"] == p["act"] and fixed["k"] == p["k"]  # free params untouched


def test_repair_of_a_tight_integer_constraint():
    space = bbo.Space({"n": bbo.Int(0, 10), "x": bbo.Float(0, 1)}, ["2*n + x <= 5.5"])
    fixed = space.repair({"n": 9, "x": 0.9})
    assert fixed is not None and 2 * fixed["n"] + fixed["x"] <= 5.5
    assert isinstance(fixed["n"], int)


def test_rejection_sampling_fails_clearly_on_a_tiny_feasible_fraction():
    space = bbo.Space({"x": bbo.Float(0, 1), "y": bbo.Float(0, 1)}, ["x + y <= 1e-4"])
    with pytest.raises(InvalidArgumentError, match="feasible part of the space is too small"):
        space.sample(5, 0)
