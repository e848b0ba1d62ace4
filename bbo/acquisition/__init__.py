"""Acquisition functions by name, and the batched optimizer that maximizes them."""

from bbo.acquisition.optimize import OptimizerConfig, levels, optimize, resolve_device
from bbo.acquisition.registry import ACQUISITIONS, AcqContext, get_acquisition

__all__ = [
    "ACQUISITIONS",
    "AcqContext",
    "OptimizerConfig",
    "get_acquisition",
    "levels",
    "optimize",
    "resolve_device",
]
