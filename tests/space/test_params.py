"""Parameter validation rules and edge cases of the encoding."""

import math

import pytest

import bbo
from bbo.exceptions import InvalidParamsError, InvalidSpaceError


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: bbo.Float(3, 1), "`low < high` must hold, got low=3.0, high=1.0"),
        (lambda: bbo.Float(1, 1), "`low < high` must hold"),
        (lambda: bbo.Float(0, 1, log=True), "`log=True` needs `low > 0`, got low=0.0"),
        (lambda: bbo.Float(-1, 1, log=True), "`log=True` needs `low > 0`"),
        (lambda: bbo.Float(float("nan"), 1), "`low` must be a finite number"),
        (lambda: bbo.Float(0, float("inf")), "`high` must be a finite number"),
        (lambda: bbo.Float("0", 1), "`low` must be a finite number"),
        (lambda: bbo.Int(5, 2), "Int: `low < high` must hold, got low=5, high=2"),
        (lambda: bbo.Int(0, 8, log=True), "`log=True` needs `low > 0`"),
        (lambda: bbo.Int(0.5, 3), "Int: `low` must be an integer, got 0.5"),
        (lambda: bbo.Categorical([]), "Categorical: `choices` must not be empty"),
        (
            lambda: bbo.Categorical(["a", "b", "a"]),
            "`choices` must be unique, 'a' appears at 0 and 2",
        ),
        (lambda: bbo.Categorical([1, 1.0]), "must be unique"),
        (lambda: bbo.Categorical("abc"), "`choices` must be a list"),
        (lambda: bbo.Categorical([None]), "holds strings, numbers or booleans"),
        (lambda: bbo.Ordinal([]), "Ordinal: `values` must not be empty"),
        (lambda: bbo.Ordinal([16, 32, 16]), "`values` must be unique"),
    ],
)
def test_invalid_definitions_name_the_rule(make, needle):
    with pytest.raises(InvalidSpaceError) as e:
        make()
    assert needle in str(e.value)
    assert isinstance(e.value, ValueError)  # argument errors are also ValueErrors


def test_bool_and_int_choices_are_distinct():
    c = bbo.Categorical([True, 1, "1"])
    assert [c.validate(v) for v in (True, 1, "1")] == [True, 1, "1"]
    assert c.index(1.0) == 1  # 1 and 1.0 are one value


@pytest.mark.parametrize(
    ("param", "value", "needle"),
    [
        (bbo.Float(0, 1), 1.5, "outside [0.0, 1.0]"),
        (bbo.Float(0, 1), float("nan"), "must be a finite number"),
        (bbo.Float(0, 1), True, "must be a finite number"),
        (bbo.Int(0, 4), 2.5, "must be an integer"),
        (bbo.Int(0, 4), 5, "outside [0, 4]"),
        (bbo.Int(0, 4), "3", "must be an integer"),
        (bbo.Categorical(["a", "b"]), "c", "is not one of ['a', 'b']"),
        (bbo.Ordinal([1, 2, 4]), 3, "is not one of [1, 2, 4]"),
    ],
)
def test_invalid_values(param, value, needle):
    with pytest.raises(InvalidParamsError) as e:
        param.validate(value)
    assert needle in str(e.value)


def test_int_levels_have_equal_width():
    p = bbo.Int(1, 4)
    assert [p.encode(v) for v in (1, 2, 3, 4)] == [0.125, 0.375, 0.625, 0.875]
    assert [p.decode(u) for u in (0.0, 0.2499, 0.25, 0.74, 0.76, 1.0)] == [1, 1, 2, 3, 4, 4]


def test_log_float_is_uniform_in_log_space():
    p = bbo.Float(1e-4, 1e-0, log=True)
    assert p.encode(1e-2) == pytest.approx(0.5)
    assert p.decode(0.25) == pytest.approx(1e-3)
    assert p.decode(-3.0) == 1e-4 and p.decode(7.0) == 1.0  # clipped


def test_log_int_rounds_to_valid_values():
    p = bbo.Int(1, 1000, log=True)
    vals = {p.decode(u / 1000) for u in range(1001)}
    assert min(vals) == 1 and max(vals) == 1000
    assert all(isinstance(v, int) for v in vals)
    assert p.decode(p.encode(37)) == 37


def test_decode_returns_native_python_types():
    assert type(bbo.Float(0, 1).decode(0.3)) is float
    assert type(bbo.Int(0, 9).decode(0.3)) is int
    assert bbo.Categorical(["a", "b"]).decode(0.9) == "b"
    assert bbo.Ordinal([16, 32, 64]).decode(0.5) == 32
    assert math.isclose(bbo.Float(-5, 10).decode(0.5), 2.5)


@pytest.mark.parametrize("bound", [2**53 + 1, 2**63 - 1, -(2**60)])
def test_int_bounds_beyond_2_53_are_refused_naming_the_rule(bound):
    from bbo.exceptions import InvalidSpaceError

    low, high = (bound, 0) if bound < 0 else (0, bound)
    with pytest.raises(InvalidSpaceError, match=r"2\*\*53"):
        bbo.Int(low, high)
    assert bbo.Int(-(2**53), 2**53).high == 2**53
