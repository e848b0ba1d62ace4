"""Conditions that can never hold together are refused when the space is built
(bbo.space.satisfiable), naming the parameter and its conditions; satisfiable nestings
of every kind are accepted."""

from __future__ import annotations

import pytest

from bbo.exceptions import InvalidSpaceError
from bbo.space import Categorical, Float, Int, Ordinal, Space
from bbo.space.satisfiable import MAX_ASSIGNMENTS


def test_a_child_of_two_parents_on_exclusive_branches_is_refused():
    with pytest.raises(InvalidSpaceError) as err:
        Space(
            {
                "a": Categorical(["x", "y"]),
                "b": Int(0, 3, when={"a": ["x"]}),
                "c": Int(0, 3, when={"a": ["y"]}),
                "d": Float(0.0, 1.0, when={"b": [1], "c": [2]}),
            }
        )
    assert str(err.value) == (
        "parameter 'd' can never be active: its conditions (b in [1] and c in [2]) cannot "
        "all hold together, as a parent is active only when its own conditions hold "
        "(ancestors ['a', 'b', 'c']); fix or remove the `when` of one of them"
    )


def test_a_value_the_parents_own_condition_excludes_is_refused():
    with pytest.raises(
        InvalidSpaceError, match=r"parameter 'c' can never be active.*a in \['y'\] and b in \[1\]"
    ):
        Space(
            {
                "a": Categorical(["x", "y"]),
                "b": Int(0, 3, when={"a": ["x"]}),
                "c": Float(0.0, 1.0, when={"a": ["y"], "b": [1]}),
            }
        )


def test_a_grandchild_under_an_unsatisfiable_child_is_refused_at_the_child():
    with pytest.raises(InvalidSpaceError, match=r"parameter 'c' can never be active"):
        Space(
            {
                "a": Ordinal([1, 2, 3]),
                "b": Categorical([True, False], when={"a": [1]}),
                "c": Categorical(["p", "q"], when={"a": [2], "b": [True]}),
                "e": Float(0.0, 1.0, when={"c": ["p"]}),
            }
        )


def test_satisfiable_nestings_are_accepted():
    s = Space(
        {
            "a": Categorical(["x", "y", "z"]),
            "b": Int(0, 1_000_000, when={"a": ["x", "y"]}),
            "c": Int(0, 3, when={"a": ["y"]}),
            "d": Float(0.0, 1.0, when={"b": [5], "c": [2]}),  # a=y, b=5, c=2
            "e": Float(0.0, 1.0, when={"b": [7], "a": ["x"]}),  # b's branch, other value
            "f": Float(0.0, 1.0, when={"a": ["z"]}),
        }
    )
    assert s.validate({"a": "y", "b": 5, "c": 2, "d": 0.5}) == {"a": "y", "b": 5, "c": 2, "d": 0.5}
    # a value no condition lists stands for all of them (an Int of a million values is cheap)
    assert Space({"n": Int(0, 10**9), "w": Float(0.0, 1.0, when={"n": [3]})}).dim == 2


def _contradiction(k: int) -> dict:
    """``z`` needs ``p0 .. p{k-1}`` = "u" and ``q``, which is active only when p0 = "v"."""
    params: dict = {f"p{i}": Categorical(["u", "v", "w"]) for i in range(k)}
    params["q"] = Int(0, 1, when={"p0": ["v"]})
    params["z"] = Float(0.0, 1.0, when={**{f"p{i}": ["u"] for i in range(k)}, "q": [1]})
    return params


def test_past_the_cap_the_check_is_not_feasible_and_the_space_is_accepted():
    with pytest.raises(InvalidSpaceError, match=r"parameter 'z' can never be active"):
        Space(_contradiction(8))  # 2**8 assignments ("u" and one other value each)
    assert MAX_ASSIGNMENTS < 2**14
    assert Space(_contradiction(14)).dim == 16  # not enumerated: accepted
