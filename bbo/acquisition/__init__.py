"""Acquisition functions by name, and the batched optimizer that maximizes them."""

from bbo.acquisition.optimize import OptimizerConfig, candidate_pool, optimize, optimize_one
from bbo.acquisition.registry import (
    ACQUISITIONS,
    MODEL_ACQUISITIONS,
    AcqContext,
    get_acquisition,
)
from bbo.acquisition.wlcb import WLCBConfig, wlcb_score

__all__ = [
    "ACQUISITIONS",
    "MODEL_ACQUISITIONS",
    "AcqContext",
    "OptimizerConfig",
    "WLCBConfig",
    "candidate_pool",
    "get_acquisition",
    "optimize",
    "optimize_one",
    "wlcb_score",
]
