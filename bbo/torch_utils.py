"""Small torch helpers shared by the model-based strategies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Run a block with torch's global RNG seeded to ``seed`` and restore it afterwards.

    botorch draws from the global RNG in places (unseeded samplers for baseline pruning,
    random restarts after a failed fit); scoping it makes a suggestion a pure function of
    the seed and the data, and leaves the caller's RNG state untouched.
    """
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
