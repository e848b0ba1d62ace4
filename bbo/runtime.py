"""Runtime settings of the process that runs studies: where model work runs (the device).

A study's *definition* (space, objectives, strategy, options, seed) is stored with it; the
device is not: it belongs to the process (``bbo run --device``, ``bbo serve --device``, the
``BBO_DEVICE`` environment variable, ``bbo.Study(..., device=...)``), so a study made on a
GPU machine resumes on a CPU one. It is checked where the process takes it, with an error
that names the setting and the rule, instead of failing in the first ask.

``torch`` is imported only when a device is resolved, so ``import bbo`` stays light.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from bbo.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    import torch

DEVICE_ENV = "BBO_DEVICE"
DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
_CUDA = re.compile(r"^cuda(?::(\d+))?$")


def device_setting(device: str | None = None) -> tuple[str, str]:
    """The device asked for and where it was asked: ``device`` when given, else
    ``$BBO_DEVICE`` when set, else ``"auto"``. Returns ``(value, origin)``."""
    if device is not None:
        return device, "device"
    env = os.environ.get(DEVICE_ENV, "").strip()
    if env:
        return env, DEVICE_ENV
    return "auto", "default"


def resolve_device(
    device: str | torch.device | None = None, *, name: str = "`device`"
) -> torch.device:
    """The ``torch.device`` for the setting ``device`` (see :func:`device_setting`).

    ``"auto"``: CUDA when available, else the CPU; ``"cpu"``; ``"cuda"`` or ``"cuda:N"``
    (needs a CUDA build of torch and an N-th GPU); ``"mps"`` (Apple GPUs). Anything else,
    or a GPU this host does not have, raises :class:`InvalidArgumentError` naming the
    setting (``name``, or ``$BBO_DEVICE`` when the value came from there), so a bad
    ``--device`` fails at start, not at the first ask.
    """
    import torch

    if isinstance(device, torch.device):
        device = str(device)
    value, origin = device_setting(device)
    where = f"${DEVICE_ENV}" if origin == DEVICE_ENV else name
    name = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(name, str):
        raise InvalidArgumentError(f"{where} must be a string like 'cpu', got {value!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    m = _CUDA.match(name)
    if m:
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no usable GPU"
            raise InvalidArgumentError(
                f"{where} is {value!r} but CUDA is not available on this host (torch "
                f"{torch.__version__}, {build}); use 'cpu' or 'auto'"
            )
        index = int(m.group(1) or 0)
        count = torch.cuda.device_count()
        if index >= count:
            raise InvalidArgumentError(
                f"{where} is {value!r} but this host has {count} CUDA device(s) (cuda:0.."
                f"cuda:{count - 1})"
            )
        return torch.device("cuda", index)
    if name == "mps":
        if not torch.backends.mps.is_available():
            raise InvalidArgumentError(f"{where} is 'mps' but MPS is not available on this host")
        return torch.device("mps")
    raise InvalidArgumentError(f"{where} must be one of {list(DEVICES)}, got {value!r}")


def requested_device(
    device: str | torch.device | None = None, *, name: str = "`device`"
) -> torch.device | None:
    """The checked device when one is asked for (``device``, or ``$BBO_DEVICE`` when set);
    None when neither is, leaving ``auto`` to the code that does model work, so that
    strategies without it (random, sobol, evolution) never import torch for it."""
    if device is None and not os.environ.get(DEVICE_ENV, "").strip():
        return None
    return resolve_device(device, name=name)
