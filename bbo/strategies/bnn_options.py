"""The options of ``bnn`` (:class:`BNNOptions`): ``gp``'s and the surrogate kind's.

Torch-free (see :mod:`bbo.strategies.gp_options`); :mod:`bbo.strategies.bnn` re-exports
these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from bbo.exceptions import InvalidArgumentError
from bbo.strategies.gp_options import GPOptions
from bbo.strategies.options import RUNTIME_NOT_OPTION, check_choice, check_int, option_error
from bbo.surrogates.names import KIND_OPTIONS, KINDS

# every option some kind takes (:data:`bbo.surrogates.bnn.KIND_OPTIONS`), in a stable order
KIND_OPTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(n for k in KINDS for n in KIND_OPTIONS[k]))


def check_kind_option(owner: str, kind: str, name: str, v: object) -> Any:
    """The value of the kind option ``name`` of ``kind``: ``hidden`` is a positive int or,
    where the kind takes layer widths, a list of them (one width becomes ``[width]``);
    every other kind option is a positive int. A name of another kind, or of none, raises
    :class:`InvalidArgumentError` naming the kind that takes it."""
    if name not in KIND_OPTIONS[kind]:
        valid = [k for k in KINDS if name in KIND_OPTIONS[k]]
        raise InvalidArgumentError(
            f"{owner} option `{name}` applies to kind {valid[0]!r}, not {kind!r}"
            if valid
            else f"{owner} takes no option `{name}`"
        )
    ok = lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 1  # noqa: E731
    if name == "hidden" and isinstance(KIND_OPTIONS[kind]["hidden"], list):
        if isinstance(v, (list, tuple)) and len(v) >= 1 and all(ok(x) for x in v):
            return [int(x) for x in v]
        if ok(v):
            return [int(v)]  # type: ignore[call-overload]
        raise option_error(owner, "hidden", "must be a layer width >= 1 or a list of them", v)
    return check_int(owner, name, v)


@dataclass(frozen=True)
class BNNOptions(GPOptions):
    """Options of ``bnn``: ``kind`` (``ensemble``, ``hmc``, ``ibnn``, ``dkl``), the kind's own
    options (:data:`bbo.surrogates.bnn.KIND_OPTIONS`: ``members``, ``hidden``, ``epochs``
    for ``ensemble``; ``samples``, ``chains``, ``hidden``, ``warmup``, ``leapfrog``,
    ``thin``, ``map_epochs`` for ``hmc``; ``depth`` for ``ibnn``; ``hidden`` for ``dkl``;
    ``maxiter`` for both; None: the kind's default) and every option of ``gp``
    (:class:`~bbo.strategies.gp.GPOptions`)."""

    strategy = "bnn"

    kind: str = "ensemble"
    members: int | None = None
    hidden: int | list[int] | None = field(default=None, hash=False)
    epochs: int | None = None
    samples: int | None = None
    chains: int | None = None
    warmup: int | None = None
    leapfrog: int | None = None
    thin: int | None = None
    map_epochs: int | None = None
    depth: int | None = None
    maxiter: int | None = None

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> BNNOptions:
        """As :meth:`Options.parse`; an unknown name says ``bnn takes no option `<name>```."""
        known = {f.name for f in fields(cls)}
        unknown = (
            sorted(str(k) for k in options if k not in known)
            if isinstance(options, Mapping)
            else []
        )
        if "device" in unknown:
            raise InvalidArgumentError(RUNTIME_NOT_OPTION)
        if unknown:
            raise InvalidArgumentError(f"{cls.strategy} takes no option `{unknown[0]}`")
        return super().parse(options)

    def __post_init__(self) -> None:
        check_choice(self.strategy, "kind", self.kind, KINDS)
        if self.rotation is not False:
            rule = "is a GP option (gp, auto): the bnn surrogates do not use it; leave it false"
            raise option_error(self.strategy, "rotation", rule, self.rotation)
        for name in KIND_OPTION_NAMES:
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, check_kind_option(self.strategy, self.kind, name, v))
        super().__post_init__()

    def kind_options(self) -> dict[str, Any]:
        """The kind options given (the others take :data:`KIND_OPTIONS`' defaults)."""
        return {
            n: getattr(self, n) for n in KIND_OPTIONS[self.kind] if getattr(self, n) is not None
        }


__all__ = ["KIND_OPTION_NAMES", "BNNOptions", "check_kind_option"]
