"""Surrogate models. Every surrogate is a botorch ``Model`` returning a ``Posterior``."""
