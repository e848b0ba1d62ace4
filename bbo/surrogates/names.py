"""The surrogates' choices by name, torch-free, so that strategy options
(:mod:`bbo.strategies.gp_options`, :mod:`bbo.strategies.bnn_options`) are checked without
importing torch; :mod:`bbo.surrogates.gp`, :mod:`bbo.surrogates.activity` and
:mod:`bbo.surrogates.bnn` import them from here."""

from __future__ import annotations

from typing import Any

MIXED_KERNELS = ("product", "additive")
KERNELS = ("rbf", "matern52")  # of the continuous columns
CONDITIONAL = ("impute", "indicators")  # the GP's handling of inactive columns

KINDS: tuple[str, ...] = ("ensemble", "hmc", "ibnn", "dkl")  # of bbo.surrogates.bnn

# options of each kind (keyword arguments of its fit function) and their defaults
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "ensemble": {"members": 10, "hidden": [32, 32], "epochs": 300},
    "hmc": {
        "samples": 32,
        "chains": 4,
        "hidden": [32, 32],
        "warmup": 100,
        "leapfrog": 10,
        "thin": 2,
        "map_epochs": 150,
    },
    "ibnn": {"depth": 3, "maxiter": 100},
    "dkl": {"hidden": 32, "maxiter": 200},
}

__all__ = ["CONDITIONAL", "KERNELS", "KINDS", "KIND_OPTIONS", "MIXED_KERNELS"]
