"""Acquisition functions by name, and the batched optimizer that maximizes them."""

from bbo.acquisition.optimize import OptimizerConfig, candidate_pool, compete, optimize
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
    "compete",
    "get_acquisition",
    "optimize",
    "wlcb_score",
]
