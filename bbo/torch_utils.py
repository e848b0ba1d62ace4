"""Small torch helpers shared by the model-based strategies."""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

# torch's global RNG and its intra-op thread count are process-wide. Blocks that touch them
# (seeded draws inside botorch, the thread policy) run one at a time, so that two asks on
# the server's thread pool cannot perturb each other's draws: same seed and same tells give
# the same suggestions whether asks run alone or concurrently. Re-entrant: a strategy that
# calls another (auto -> gp) nests blocks.
_PROCESS_STATE = threading.RLock()

log = logging.getLogger("bbo.model")

# The numerical chatter of the model libraries (linear_operator's "A not p.d., added
# jitter", botorch's InputDataWarning / OptimizationWarning / "all training points are
# infeasible", gpytorch's GPInputWarning) is expected during a search and not actionable
# by a user: inside `seeded` it is counted and logged at DEBUG, never printed.
_MODEL_PACKAGES = ("botorch", "gpytorch", "linear_operator")
_CATEGORIES = {
    "linear_operator.utils.warnings": ("NumericalWarning", "PerformanceWarning"),
    "gpytorch.utils.warnings": ("GPInputWarning", "NumericalWarning", "OldVersionWarning"),
    "botorch.exceptions.warnings": ("BotorchWarning",),  # the base of botorch's own
}
_model_categories: tuple[type[Warning], ...] | None = None
_model_dirs: tuple[str, ...] = ()
model_warnings = 0
"""How many model-library warnings this process has silenced (see :func:`seeded`)."""


def _load_model_categories() -> tuple[type[Warning], ...]:
    """The dependency warning classes that exist in the installed versions (lazily)."""
    global _model_categories, _model_dirs
    if _model_categories is None:
        import importlib

        found: list[type[Warning]] = []
        for module, names in _CATEGORIES.items():
            try:
                mod = importlib.import_module(module)
            except ImportError:
                continue
            for name in names:
                cls = getattr(mod, name, None)
                if isinstance(cls, type) and issubclass(cls, Warning):
                    found.append(cls)
        dirs = []
        for pkg in _MODEL_PACKAGES:
            try:
                mod = importlib.import_module(pkg)
            except ImportError:
                continue
            where = getattr(mod, "__file__", None)
            if where:
                dirs.append(os.path.dirname(os.path.abspath(where)) + os.sep)
        _model_categories, _model_dirs = tuple(found), tuple(dirs)
    return _model_categories


def _is_model_warning(category: type[Warning], filename: str) -> bool:
    cats = _load_model_categories()
    if cats and issubclass(category, cats):
        return True
    return bool(filename) and os.path.abspath(filename).startswith(_model_dirs)


@contextmanager
def _quiet_model_warnings() -> Iterator[None]:
    """Count and log (DEBUG) the model libraries' warnings instead of printing them; any
    other warning (bbo's, the user's) is shown as usual. Call under ``_PROCESS_STATE``:
    ``warnings.catch_warnings`` swaps process-wide state."""
    cats = _load_model_categories()
    with warnings.catch_warnings():
        shown = warnings.showwarning
        for cat in cats:  # each occurrence reaches the counter, not just the first
            warnings.filterwarnings("always", category=cat)

        def show(message: Any, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:  # fmt: skip
            global model_warnings
            if not _is_model_warning(category, filename):
                shown(message, category, filename, lineno, file, line)
                return
            model_warnings += 1
            log.debug(
                "model warning (%d so far): %s: %s", model_warnings, category.__name__, message
            )

        warnings.showwarning = show
        yield


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Run a block with torch's global RNG seeded to ``seed`` and restore it afterwards,
    holding the process-wide lock of torch's global state.

    botorch draws from the global RNG in places (unseeded samplers for baseline pruning,
    random restarts after a failed fit); scoping it makes a suggestion a pure function of
    the seed and the data, and leaves the caller's RNG state untouched. Warnings of the
    model libraries (botorch, gpytorch, linear_operator) raised in the block are counted in
    :data:`model_warnings` and logged at DEBUG on ``bbo.model`` instead of printed.
    """
    devices = [device] if device.type == "cuda" else []
    with _PROCESS_STATE, _quiet_model_warnings(), torch.random.fork_rng(devices=devices):
        # not torch.manual_seed: on a CPU-only run it records a stack trace for each lazy
        # accelerator seeding (~3 ms, a tenth of a sequential ask)
        torch.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed_all(seed)
        yield


def generator(seed: int, device: torch.device | None = None) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` (CPU by default) seeded with ``seed``: explicit
    draws that never read or move the global RNG."""
    return torch.Generator(device=device or "cpu").manual_seed(int(seed) % 2**63)


SINGLE_THREAD_MAX_N = 2000  # GP work on at most this many points runs on one thread


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded now (numpy's, scipy's, torch's):
    made once, at the first GP ask, when all of them are loaded."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def thread_policy(n: int) -> Iterator[None]:
    """Run GP work on ``n`` training points with bbo's thread policy, then restore torch's
    and the BLAS libraries' (under the lock of torch's process-wide state, see
    :func:`seeded`).

    Up to :data:`SINGLE_THREAD_MAX_N` points the matrices are small: extra intra-op threads
    gain little, and when another process competes for the cores they make a fit many
    times slower (spinning threads wait on each other). Measured on 2 cores with both busy,
    a 6-D ask at n = 100: 1.9 s on one thread, 6.1 s on two. The same holds for the BLAS
    threads of numpy and scipy, which do most of the arithmetic of a fit and of the
    acquisition's inner loop (:mod:`bbo.surrogates.map_numpy`,
    :mod:`bbo.surrogates.numpy_posterior`): a 100-D ask at n = 200 took 0.35 s beside a
    busy core with two BLAS threads, 2.6 times its time on an idle machine. Larger problems
    keep the process's settings.
    """
    with _PROCESS_STATE:
        before = torch.get_num_threads()
        wanted = 1 if n <= SINGLE_THREAD_MAX_N else before
        if wanted != before:
            torch.set_num_threads(wanted)
        blas = _blas_controller().limit(limits=1, user_api="blas") if wanted == 1 else None
        try:
            yield
        finally:
            if blas is not None:
                blas.restore_original_limits()
            if wanted != before:
                torch.set_num_threads(before)
