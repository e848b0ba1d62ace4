"""Pareto dominance (bbo.study.pareto): the fast paths give the definition's answer."""

from __future__ import annotations

import numpy as np
import pytest

from bbo.study.pareto import pareto_front


def _by_definition(Y: np.ndarray) -> list[int]:
    n = len(Y)
    return [
        i
        for i in range(n)
        if not any((Y[j] <= Y[i]).all() and (Y[j] < Y[i]).any() for j in range(n))
    ]


@pytest.mark.parametrize("m", [1, 2, 3])
def test_the_front_is_the_set_of_non_dominated_rows(m):
    rng = np.random.default_rng(m)
    Y = rng.normal(size=(300, m)).round(1)  # ties and duplicated rows included
    assert pareto_front(Y) == _by_definition(Y)
    assert pareto_front(Y, block=7) == _by_definition(Y)  # several blocks


def test_duplicated_front_rows_are_all_kept_and_a_known_front():
    Y = np.array([[1.0, 3.0], [2.0, 2.0], [1.0, 3.0], [3.0, 1.0], [2.0, 3.0], [3.0, 3.0]])
    assert pareto_front(Y) == [0, 1, 2, 3]
    assert pareto_front(np.zeros((0, 2))) == []
