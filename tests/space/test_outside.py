"""encode_stored: values beyond a narrowed range, and the rows it remembers per space."""

from __future__ import annotations

import numpy as np
import pytest

import bbo
from bbo.exceptions import InvalidParamsError
from bbo.space.outside import _encode_stored, encode_stored


def _space() -> bbo.Space:
    return bbo.Space(
        {
            "x": bbo.Float(0.0, 1.0),
            "n": bbo.Int(1, 5),
            "c": bbo.Categorical([1, True, "a"]),
        }
    )


def test_repeated_encodings_equal_the_uncached_ones() -> None:
    space = _space()
    configs = [{"x": 0.25, "n": 3, "c": "a"}, {"x": 1.5, "n": 7, "c": 1}]  # the second beyond
    first = encode_stored(space, configs)
    again = encode_stored(space, [configs[1], configs[0], configs[1]])
    np.testing.assert_array_equal(first, _encode_stored(space, configs))
    np.testing.assert_array_equal(again, first[[1, 0, 1]])
    assert first[1, 0] > 1.0  # beyond the range, also when remembered
    again[0, 0] = -7.0  # the caller's array is its own
    np.testing.assert_array_equal(encode_stored(space, configs), first)


def test_values_equal_but_of_another_type_are_not_confused() -> None:
    space = _space()
    one = encode_stored(space, [{"x": 0.5, "n": 2, "c": 1}])
    true = encode_stored(space, [{"x": 0.5, "n": 2, "c": True}])
    np.testing.assert_array_equal(true, _encode_stored(space, [{"x": 0.5, "n": 2, "c": True}]))
    assert not np.array_equal(one, true)


def test_invalid_configurations_are_refused_every_time() -> None:
    space = _space()
    for _ in range(2):
        with pytest.raises(InvalidParamsError):
            encode_stored(space, [{"x": 0.5, "n": 2, "c": "zzz"}])


def test_empty_and_unhashable_inputs() -> None:
    space = _space()
    assert encode_stored(space, []).shape == (0, 3)
    with pytest.raises((InvalidParamsError, TypeError)):
        encode_stored(space, [{"x": [0.5], "n": 2, "c": "a"}])  # a list: not cached, refused
