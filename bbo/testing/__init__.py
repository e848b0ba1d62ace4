"""Helpers shipped for users' and our own tests: test functions with known optima."""

from bbo.testing.functions import FUNCTIONS, TestFunction, branin, rosenbrock, sphere

__all__ = ["FUNCTIONS", "TestFunction", "branin", "rosenbrock", "sphere"]
