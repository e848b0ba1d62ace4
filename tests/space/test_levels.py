"""The encoder's levels: ``Param.levels``/``edges``/``transform``, ``Space.levels`` and
``Space.snap_to_levels`` (the one home of the bin-centre encoding ``(i + 1/2) / k``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import bbo
from bbo.space import MAX_LEVELS, bin_centre

SPACE = bbo.Space(
    {
        "x": bbo.Float(1e-3, 1.0, log=True),
        "k": bbo.Int(0, 4),
        "c": bbo.Categorical(["a", "b", "c"]),
        "o": bbo.Ordinal([1, 2, 4, 8]),
        "big": bbo.Int(0, MAX_LEVELS),  # MAX_LEVELS + 1 levels: relaxed
    }
)


def test_param_levels_are_the_encodings_of_the_values():
    assert SPACE["x"].levels() is None
    assert SPACE["c"].levels() == [bin_centre(i, 3) for i in range(3)] == [1 / 6, 0.5, 5 / 6]
    k = SPACE["k"]
    assert k.levels() == pytest.approx([k.encode(v) for v in range(5)])
    for p in (SPACE["c"], SPACE["o"], k):
        assert [p.encode(p.decode(u)) for u in p.levels()] == p.levels()


def test_edges_and_transform_define_the_encoding():
    x, k = SPACE["x"], SPACE["k"]
    assert x.edges() == (1e-3, 1.0) and k.edges() == (-0.5, 4.5)
    lo, hi = x.edges()
    v = 0.05
    u = (x.transform(v) - x.transform(lo)) / (x.transform(hi) - x.transform(lo))
    assert x.encode(v) == pytest.approx(u)
    assert x.inverse_transform(x.transform(v)) == pytest.approx(v)
    assert x.transform(v) == math.log(v) and k.transform(3.0) == 3.0


def test_space_levels_split_discrete_and_categorical_and_relax_large_ints():
    discrete, cats = SPACE.levels()
    assert sorted(discrete) == [1, 3] and sorted(cats) == [2]
    assert discrete[3] == [bin_centre(i, 4) for i in range(4)]
    discrete, _ = SPACE.levels(max_levels=MAX_LEVELS + 1)
    assert 4 in discrete and len(discrete[4]) == MAX_LEVELS + 1


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_snap_to_levels_moves_discrete_columns_to_their_nearest_level(kind):
    rng = np.random.default_rng(0)
    X = rng.random((50, SPACE.dim))
    before = X.copy()
    Xs = torch.as_tensor(X.copy()) if kind == "torch" else X.copy()
    out = SPACE.snap_to_levels(Xs)
    assert out is Xs
    out = np.asarray(out)
    discrete, cats = SPACE.levels()
    for j, vals in {**discrete, **cats}.items():
        grid = np.array(vals)
        np.testing.assert_array_equal(out[:, j], grid[np.abs(before[:, j, None] - grid).argmin(-1)])
    np.testing.assert_array_equal(out[:, [0, 4]], before[:, [0, 4]])  # continuous, relaxed


@pytest.mark.parametrize(
    "p", [bbo.Int(1, 100, log=True), bbo.Int(-3, 40), bbo.Int(2, 300, log=True)]
)
def test_every_integer_is_a_level(p):
    """A level per value, in order, each decoding to its value: an optimizer moving between
    levels can reach all of them (equal bins of a log axis skipped half of Int(1, 100, log))."""
    levels = p.levels()
    assert len(levels) == p.cardinality and levels == sorted(levels)
    assert [p.decode(u) for u in levels] == list(range(p.low, p.high + 1))
