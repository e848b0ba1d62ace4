"""Small torch helpers shared by the model-based strategies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# torch's global RNG and its intra-op thread count are process-wide. Blocks that touch them
# (seeded draws inside botorch, the thread policy) run one at a time, so that two asks on
# the server's thread pool cannot perturb each other's draws: same seed and same tells give
# the same suggestions whether asks run alone or concurrently. Re-entrant: a strategy that
# calls another (auto -> gp) nests blocks.
_PROCESS_STATE = threading.RLock()


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Run a block with torch's global RNG seeded to ``seed`` and restore it afterwards,
    holding the process-wide lock of torch's global state.

    botorch draws from the global RNG in places (unseeded samplers for baseline pruning,
    random restarts after a failed fit); scoping it makes a suggestion a pure function of
    the seed and the data, and leaves the caller's RNG state untouched.
    """
    devices = [device] if device.type == "cuda" else []
    with _PROCESS_STATE, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def generator(seed: int, device: torch.device | None = None) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` (CPU by default) seeded with ``seed``: explicit
    draws that never read or move the global RNG."""
    return torch.Generator(device=device or "cpu").manual_seed(int(seed) % 2**63)


SINGLE_THREAD_MAX_N = 2000  # GP work on at most this many points runs on one thread


@contextmanager
def thread_policy(n: int) -> Iterator[None]:
    """Run GP work on ``n`` training points with bbo's thread policy, then restore torch's
    (under the lock of torch's process-wide state, see :func:`seeded`).

    Up to :data:`SINGLE_THREAD_MAX_N` points the matrices are small: extra intra-op threads
    gain little, and when another process competes for the cores they make a fit many
    times slower (spinning threads wait on each other). Measured on 2 cores with both busy,
    a 6-D ask at n = 100: 1.9 s on one thread, 6.1 s on two. Larger problems keep torch's
    setting.
    """
    with _PROCESS_STATE:
        before = torch.get_num_threads()
        wanted = 1 if n <= SINGLE_THREAD_MAX_N else before
        if wanted != before:
            torch.set_num_threads(wanted)
        try:
            yield
        finally:
            if wanted != before:
                torch.set_num_threads(before)
