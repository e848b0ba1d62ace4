"""Pruners: stop unpromising trials early from their intermediate reports.

A pruner is pure logic over plain data (:class:`Curve`: a trial's id, state and
``(step, value)`` reports); :class:`bbo.Study` feeds it the study's reports. Choose one
with ``bbo.Study(..., pruner=...)`` or ``pruner: {name: ..., ...}`` in study.yaml:

=============  ==============================================================================
name           prunes when
=============  ==============================================================================
median         the best value so far is worse than the median of COMPLETED trials at the step
percentile     ... worse than their ``percentile``-th best
patience       no improvement (by more than ``min_delta``) in the last ``patience`` steps
threshold      the last value is below ``lower`` or above ``upper``
asha           asynchronous successive halving (alias ``successive_halving``)
hyperband      Hyperband: brackets of successive halving
=============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from bbo.exceptions import InvalidArgumentError
from bbo.pruners.base import Curve, Pruner
from bbo.pruners.halving import HyperbandPruner, SuccessiveHalvingPruner
from bbo.pruners.statistical import (
    MedianPruner,
    PatiencePruner,
    PercentilePruner,
    ThresholdPruner,
)

PRUNERS: dict[str, type[Pruner]] = {
    p.name: p
    for p in (
        MedianPruner,
        PercentilePruner,
        PatiencePruner,
        ThresholdPruner,
        SuccessiveHalvingPruner,
        HyperbandPruner,
    )
}
ALIASES = {"successive_halving": "asha"}


def make_pruner(spec: Pruner | str | Mapping[str, Any] | None) -> Pruner | None:
    """A pruner from a Pruner (as is), a name (default options) or a spec ``{"name": ...,
    option: value, ...}``; ``None`` (or ``{"name": "none"}``): no pruning.
    InvalidArgumentError names the field and the rule for an unknown name or option."""
    if spec is None or isinstance(spec, Pruner):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        raise InvalidArgumentError(
            "`pruner` must be a bbo pruner, a name or a mapping {name: ..., option: value}, "
            f"got {spec!r}"
        )
    options = dict(spec)
    name = options.pop("name", None)
    if name in (None, "none"):
        if options:
            raise InvalidArgumentError(
                f"`pruner.name` is required with options {sorted(options)}: one of "
                f"{sorted(PRUNERS)}"
            )
        return None
    cls = PRUNERS.get(ALIASES.get(name, name)) if isinstance(name, str) else None
    if cls is None:
        raise InvalidArgumentError(
            f"`pruner.name` must be one of {sorted([*PRUNERS, *ALIASES, 'none'])}, got {name!r}"
        )
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in options if k not in known)
    if unknown:
        raise InvalidArgumentError(
            f"pruner {cls.name!r} has no option(s) {unknown}; its options are {sorted(known)}"
        )
    return cls(**options)


def pruner_spec(pruner: Pruner | None) -> dict[str, Any] | None:
    """What a study stores for ``pruner``: its :meth:`Pruner.to_dict`, or None."""
    return None if pruner is None else pruner.to_dict()


__all__ = [
    "ALIASES",
    "PRUNERS",
    "Curve",
    "HyperbandPruner",
    "MedianPruner",
    "PatiencePruner",
    "PercentilePruner",
    "Pruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "make_pruner",
    "pruner_spec",
]
