"""Typed strategy options: one frozen dataclass per strategy, validated once.

A strategy's options (the ``strategy:`` section of study.yaml, ``strategy_options=`` in
Python, the proto's ``strategy_options``) are parsed into its :class:`Options` subclass by
:func:`bbo.strategies.validate_options` before anything is stored; the strategy is then
built from the parsed object. Validation never builds a strategy or fits anything, and an
error names the strategy, the option, the rule and the value::

    gp option `n_init` must be an integer >= 1, got 0

The checkers below are what every ``__post_init__`` uses, so the wording is the same for
every strategy.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from bbo.exceptions import InvalidArgumentError

OptionsT = TypeVar("OptionsT", bound="Options")

RUNTIME_NOT_OPTION = (
    "`device` is not a strategy option: it is a runtime setting of the process that runs "
    "the study (bbo run/serve --device, $BBO_DEVICE, bbo.Study(..., device=...)) and is "
    "never stored with the study"
)


def option_error(strategy: str, name: str, rule: str, value: object) -> InvalidArgumentError:
    """``<strategy> option `<name>` <rule>, got <value>``."""
    return InvalidArgumentError(f"{strategy} option `{name}` {rule}, got {value!r}")


def check_int(strategy: str, name: str, v: object, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise option_error(strategy, name, f"must be an integer >= {low}", v)
    return int(v)


def check_number(
    strategy: str,
    name: str,
    v: object,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    open_low: bool = False,
) -> float:
    """A finite real in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
    if ok:
        f = float(v)  # type: ignore[arg-type]
        ok = (f > low if open_low else f >= low) and f <= high
    if not ok:
        if math.isinf(high):
            rule = f"must be a number {'>' if open_low else '>='} {low:g}"
        else:
            rule = f"must be a number in {'(' if open_low else '['}{low:g}, {high:g}]"
        raise option_error(strategy, name, rule, v)
    return float(v)  # type: ignore[arg-type]


def check_choice(strategy: str, name: str, v: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in allowed:
        raise option_error(strategy, name, f"must be one of {list(allowed)}", v)
    return v


def check_bool(strategy: str, name: str, v: object) -> bool:
    if not isinstance(v, bool):
        raise option_error(strategy, name, "must be true or false", v)
    return v


def check_text(strategy: str, name: str, v: object, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise option_error(strategy, name, "must be a non-empty string", v)
    return v


@dataclass(frozen=True)
class Options:
    """Base of every strategy's options. Subclasses are frozen dataclasses whose fields have
    defaults and whose ``__post_init__`` checks them (normalizing with
    ``object.__setattr__`` where a value has several spellings)."""

    strategy: ClassVar[str] = ""

    @classmethod
    def parse(cls: type[OptionsT], options: Mapping[str, Any] | None) -> OptionsT:
        """The options object for the mapping ``options`` (a study's stored or given
        ``strategy_options``); unknown names raise :class:`InvalidArgumentError`."""
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise InvalidArgumentError(
                f"`strategy_options` of {cls.strategy!r} must be a mapping, got {options!r}"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in options if k not in known)
        if unknown == ["device"]:
            raise InvalidArgumentError(RUNTIME_NOT_OPTION)
        if unknown:
            hints = [difflib.get_close_matches(k, sorted(known), n=1) for k in unknown]
            close = [f"`{m[0]}`" for m in hints if m]
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InvalidArgumentError(
                f"strategy {cls.strategy!r} takes no option(s) {unknown}{hint}; its options "
                f"are {sorted(known)}"
            )
        return cls(**options)

    def given(self) -> dict[str, Any]:
        """The options that differ from their defaults (as a JSON-ready mapping)."""
        default = type(self)()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }
