import math

import pytest

from bbo.testing import FUNCTIONS, branin, rosenbrock, sphere


def test_known_optima():
    for x in [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]:
        assert branin(*x) == pytest.approx(0.397887, abs=1e-5)
    assert sphere(0.0, 0.0) == 0.0 and sphere(1.0, 2.0) == 5.0
    assert rosenbrock(1.0, 1.0, 1.0) == 0.0 and rosenbrock(0.0, 0.0) == 1.0


def test_registry_calls_with_params():
    f = FUNCTIONS["branin"]
    assert f({"x1": math.pi, "x2": 2.275}) == pytest.approx(f.optimum, abs=1e-5)
    assert all(f.space.contains(f.space.sample(1, 0)[0]) for f in FUNCTIONS.values())
