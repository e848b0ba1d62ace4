"""Parameter types and their encoding to the unit interval.

Every parameter maps its values to ``u`` in ``[0, 1]`` and back:

* ``Float(low, high, log)``: ``u = (t(v) - t(low)) / (t(high) - t(low))`` with ``t = log``
  when ``log=True``, else the identity.
* ``Int(low, high, log)``: the same on the relaxed interval ``[low - 1/2, high + 1/2]``, and
  decoding rounds, so every integer owns an interval of equal width in ``t``-space
  (equal probability under uniform ``u``, or log-uniform when ``log=True``).
* ``Categorical(choices)`` and ``Ordinal(values)``: level ``i`` of ``k`` is the bin centre
  ``u = (i + 1/2) / k`` (:func:`bin_centre`); decoding takes the bin ``floor(u k)``.
  Ordinal keeps the order, so neighbouring ``u`` are neighbouring values; Categorical has
  no order (models that care use the one-hot view of :class:`bbo.space.Space`).

Constructors validate their arguments and raise :class:`bbo.exceptions.InvalidSpaceError`
with the rule and the values that broke it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, overload

from bbo.exceptions import InvalidParamsError, InvalidSpaceError
from bbo.space.conditions import Condition, parse_when, when_to_dict
from bbo.space.prior import Prior, as_prior, check_choice_prior, check_range_prior

if TYPE_CHECKING:
    import numpy as np

Scalar = str | int | float | bool


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_number(name: str, v: object) -> float:
    if not _is_number(v) or not math.isfinite(float(v)):  # type: ignore[arg-type]
        raise InvalidSpaceError(f"`{name}` must be a finite number, got {v!r}")
    return float(v)  # type: ignore[arg-type]


def _clip01(u: float) -> float:
    return 0.0 if u < 0.0 else 1.0 if u > 1.0 else u


@overload
def bin_centre(i: int, k: int) -> float: ...
@overload
def bin_centre(i: np.ndarray, k: int) -> np.ndarray: ...


def bin_centre(i: Any, k: int) -> Any:
    """The encoded value of level ``i`` of ``k`` equal bins of ``[0, 1]``: ``(i + 1/2) / k``
    (the encoding of a Categorical or Ordinal choice, the grid the levels of an Int are
    read from); elementwise for an array of levels."""
    return (i + 0.5) / k


class Param:
    """Base of every parameter type."""

    type_name: ClassVar[str] = ""

    @property
    def cardinality(self) -> int | None:
        """Number of distinct values, or ``None`` for a continuous parameter."""
        raise NotImplementedError

    def validate(self, value: object) -> Scalar:
        """Return the canonical value, or raise InvalidParamsError naming the rule."""
        raise NotImplementedError

    def encode(self, value: Scalar) -> float:
        """Value -> ``u`` in ``[0, 1]`` (the value must be valid)."""
        raise NotImplementedError

    def decode(self, u: float) -> Scalar:
        """``u`` (clipped to ``[0, 1]``) -> a valid native Python value."""
        raise NotImplementedError

    def levels(self) -> list[float] | None:
        """The sorted encoded values a discrete parameter takes (``None`` for a continuous
        one): the bin centres ``(i + 1/2) / k`` for choices; for an Int, the encodings of
        the values decoded at those centres (its levels on the encoded axis)."""
        k = self.cardinality
        if k is None:
            return None
        return sorted({self.encode(self.decode(bin_centre(i, k))) for i in range(k)})

    def _init_when(self, when: Mapping[str, Any] | None) -> None:
        object.__setattr__(self, "when", parse_when(when))

    def _when_dict(self) -> dict[str, Any]:
        when = getattr(self, "when", ())
        return {"when": when_to_dict(when)} if when else {}

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class _Range(Param):
    """Shared logic of Float and Int: an (optionally log) interval."""

    low: float
    high: float
    log: bool = False
    prior: Prior | None = None  # a belief about the optimum (:mod:`bbo.space.prior`)
    when: tuple[Condition, ...] = ()  # active only when ... (:mod:`bbo.space.conditions`)

    def _init_prior(self, kind: str, prior: Prior | dict[str, Any] | None) -> None:
        p = as_prior(prior)
        if p is not None:
            check_range_prior(kind, p, self.low, self.high)
        object.__setattr__(self, "prior", p)

    def _prior_dict(self) -> dict[str, Any]:
        return {"prior": self.prior.to_dict()} if self.prior is not None else {}

    def edges(self) -> tuple[float, float]:
        """The ends of the encoded interval in values: ``u = 0`` and ``u = 1`` map to them
        (``(low, high)``; an Int's relaxed ``(low - 1/2, high + 1/2)``)."""
        return self.low, self.high

    def transform(self, v: float) -> float:
        """``t(v)``, the axis the encoding is linear in: ``log(v)`` with ``log=True``, else
        ``v``; ``u = (t(v) - t(lo)) / (t(hi) - t(lo))`` with ``(lo, hi) = edges()``."""
        return math.log(v) if self.log else v

    def inverse_transform(self, t: float) -> float:
        """``t^-1``: ``exp(t)`` with ``log=True``, else ``t``."""
        return math.exp(t) if self.log else t

    def _to_unit(self, v: float) -> float:
        lo, hi = self.edges()
        t = self.transform
        return _clip01((t(v) - t(lo)) / (t(hi) - t(lo)))

    def _from_unit(self, u: float) -> float:
        lo, hi = self.edges()
        u = _clip01(float(u))
        if u in (0.0, 1.0):  # exact ends, free of exp(log(.)) round-off
            return lo if u == 0.0 else hi
        t_lo, t_hi = self.transform(lo), self.transform(hi)
        return self.inverse_transform(t_lo + u * (t_hi - t_lo))

    def _check_bounds(self, kind: str) -> None:
        if not self.low < self.high:
            raise InvalidSpaceError(
                f"{kind}: `low < high` must hold, got low={self.low!r}, high={self.high!r}"
            )
        if self.log and not self.low > 0:
            raise InvalidSpaceError(
                f"{kind}: `log=True` needs `low > 0`, got low={self.low!r}, high={self.high!r}"
            )

    def _check_value(self, value: object, v: float) -> None:
        if not (self.low <= v <= self.high):
            raise InvalidParamsError(f"value {value!r} is outside [{self.low!r}, {self.high!r}]")


@dataclass(frozen=True)
class Float(_Range):
    """A real number in ``[low, high]``; ``log=True`` searches ``log(v)`` uniformly."""

    type_name: ClassVar[str] = "float"

    def __init__(
        self,
        low: float,
        high: float,
        log: bool = False,
        prior: Prior | dict[str, Any] | None = None,
        when: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "low", _check_number("low", low))
        object.__setattr__(self, "high", _check_number("high", high))
        object.__setattr__(self, "log", bool(log))
        self._check_bounds("Float")
        self._init_prior("Float", prior)
        self._init_when(when)

    @property
    def cardinality(self) -> int | None:
        return None

    def validate(self, value: object) -> float:
        if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
            raise InvalidParamsError(f"value {value!r} must be a finite number")
        v = float(value)  # type: ignore[arg-type]
        self._check_value(value, v)
        return v

    def encode(self, value: Scalar) -> float:
        return self._to_unit(float(value))

    def decode(self, u: float) -> float:
        return min(max(self._from_unit(u), self.low), self.high)

    def to_dict(self) -> dict[str, Any]:
        d = {"type": "float", "low": self.low, "high": self.high, "log": self.log}
        return {**d, **self._prior_dict(), **self._when_dict()}


#: Int bounds are exact as doubles (integers are searched as real numbers): beyond 2**53 a
#: bound would silently change (2**63 - 1 becomes 2**63, which int64 cannot hold).
MAX_INT_BOUND = 2**53


@dataclass(frozen=True)
class Int(_Range):
    """An integer in ``[low, high]`` (both included, ``|low|, |high| <= 2**53``);
    ``log=True`` for log-uniform search."""

    type_name: ClassVar[str] = "int"
    low: int
    high: int

    def __init__(
        self,
        low: int,
        high: int,
        log: bool = False,
        prior: Prior | dict[str, Any] | None = None,
        when: Mapping[str, Any] | None = None,
    ) -> None:
        for name, v in (("low", low), ("high", high)):
            f = _check_number(name, v)
            if f != int(f):
                raise InvalidSpaceError(f"Int: `{name}` must be an integer, got {v!r}")
            if abs(v) > MAX_INT_BOUND:  # v itself: float(v) may already have rounded it
                raise InvalidSpaceError(
                    f"Int: `|{name}| <= 2**53` must hold (integers are searched as doubles, "
                    f"exact up to 2**53), got {v!r}"
                )
            object.__setattr__(self, name, int(f))
        object.__setattr__(self, "log", bool(log))
        self._check_bounds("Int")
        self._init_prior("Int", prior)
        self._init_when(when)

    def edges(self) -> tuple[float, float]:
        return self.low - 0.5, self.high + 0.5

    @property
    def cardinality(self) -> int | None:
        return self.high - self.low + 1

    def levels(self) -> list[float]:
        """The encodings of every value ``low..high``: each integer is a level. (Equal bins
        of the encoded axis, the levels of a choice, would skip values of a log Int: for
        ``Int(1, 100, log=True)`` half of the integers, 24, 28, 31 ..., lie in no bin's
        centre and could never be proposed by an optimizer that moves between levels.)"""
        return [self.encode(v) for v in range(self.low, self.high + 1)]

    def validate(self, value: object) -> int:
        if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
            raise InvalidParamsError(f"value {value!r} must be an integer")
        v = float(value)  # type: ignore[arg-type]
        if v != int(v):
            raise InvalidParamsError(f"value {value!r} must be an integer")
        self._check_value(value, v)
        return int(v)

    def encode(self, value: Scalar) -> float:
        return self._to_unit(float(value))

    def decode(self, u: float) -> int:
        v = math.floor(self._from_unit(u) + 0.5)
        return int(min(max(v, self.low), self.high))

    def to_dict(self) -> dict[str, Any]:
        d = {"type": "int", "low": self.low, "high": self.high, "log": self.log}
        return {**d, **self._prior_dict(), **self._when_dict()}


def _choice_key(v: Scalar) -> tuple[str, Scalar]:
    """Equality key: 1 and 1.0 are one value, True and 1 are not."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("num", float(v))
    return ("str", v)


@dataclass(frozen=True)
class _Choice(Param):
    """Shared logic of Categorical and Ordinal: a finite list of scalars."""

    options: tuple[Scalar, ...]
    prior: Prior | None = None  # a belief about the optimum (:mod:`bbo.space.prior`)
    when: tuple[Condition, ...] = ()  # active only when ... (:mod:`bbo.space.conditions`)

    def _init_prior(self, kind: str, prior: Prior | dict[str, Any] | None) -> None:
        p = as_prior(prior)
        if p is not None:
            check_choice_prior(kind, p, self.options, self.index)
        object.__setattr__(self, "prior", p)

    def _prior_dict(self) -> dict[str, Any]:
        return {"prior": self.prior.to_dict()} if self.prior is not None else {}

    def _init_options(self, kind: str, field: str, options: Sequence[Scalar]) -> None:
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
            raise InvalidSpaceError(f"{kind}: `{field}` must be a list, got {options!r}")
        if len(options) == 0:
            raise InvalidSpaceError(f"{kind}: `{field}` must not be empty")
        seen: dict[tuple[str, Scalar], int] = {}
        for i, v in enumerate(options):
            if not isinstance(v, (str, int, float, bool)) or (
                isinstance(v, float) and not math.isfinite(v)
            ):
                raise InvalidSpaceError(
                    f"{kind}: `{field}` holds strings, numbers or booleans, got {v!r} at {i}"
                )
            key = _choice_key(v)
            if key in seen:
                raise InvalidSpaceError(
                    f"{kind}: `{field}` must be unique, {v!r} appears at {seen[key]} and {i}"
                )
            seen[key] = i
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(self, "_index", seen)

    @property
    def cardinality(self) -> int | None:
        return len(self.options)

    def index(self, value: object) -> int:
        """Position of ``value`` in the options; InvalidParamsError if absent."""
        try:
            return self._index[_choice_key(value)]  # type: ignore[attr-defined, arg-type]
        except (KeyError, TypeError):
            raise InvalidParamsError(
                f"value {value!r} is not one of {list(self.options)!r}"
            ) from None

    def validate(self, value: object) -> Scalar:
        return self.options[self.index(value)]

    def levels(self) -> list[float]:
        k = len(self.options)
        return [bin_centre(i, k) for i in range(k)]

    def encode(self, value: Scalar) -> float:
        return bin_centre(self.index(value), len(self.options))

    def decode(self, u: float) -> Scalar:
        k = len(self.options)
        return self.options[min(max(math.floor(_clip01(float(u)) * k), 0), k - 1)]


@dataclass(frozen=True, init=False)
class Categorical(_Choice):
    """One of an unordered list of choices (strings, numbers or booleans)."""

    type_name: ClassVar[str] = "categorical"

    def __init__(
        self,
        choices: Sequence[Scalar],
        prior: Prior | dict[str, Any] | None = None,
        when: Mapping[str, Any] | None = None,
    ) -> None:
        self._init_options("Categorical", "choices", choices)
        self._init_prior("Categorical", prior)
        self._init_when(when)

    @property
    def choices(self) -> tuple[Scalar, ...]:
        return self.options

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "categorical",
            "choices": list(self.options),
            **self._prior_dict(),
            **self._when_dict(),
        }


@dataclass(frozen=True, init=False)
class Ordinal(_Choice):
    """One of an ordered list of values, e.g. ``Ordinal([16, 32, 64, 128])``; neighbours in
    the list are neighbours in the encoding."""

    type_name: ClassVar[str] = "ordinal"

    def __init__(
        self,
        values: Sequence[Scalar],
        prior: Prior | dict[str, Any] | None = None,
        when: Mapping[str, Any] | None = None,
    ) -> None:
        self._init_options("Ordinal", "values", values)
        self._init_prior("Ordinal", prior)
        self._init_when(when)

    @property
    def values(self) -> tuple[Scalar, ...]:
        return self.options

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "ordinal",
            "values": list(self.options),
            **self._prior_dict(),
            **self._when_dict(),
        }


PARAM_TYPES: dict[str, type[Param]] = {
    "float": Float,
    "int": Int,
    "categorical": Categorical,
    "ordinal": Ordinal,
}


def param_from_dict(d: dict[str, Any]) -> Param:
    """Build a parameter from its ``to_dict()`` form (also the study.yaml form)."""
    if not isinstance(d, dict):
        raise InvalidSpaceError(f"a parameter must be a mapping with `type`, got {d!r}")
    kind = d.get("type")
    if kind not in PARAM_TYPES:
        raise InvalidSpaceError(f"`type` must be one of {sorted(PARAM_TYPES)}, got {kind!r}")
    rest = {k: v for k, v in d.items() if k != "type"}
    allowed = {
        "float": {"low", "high", "log", "prior", "when"},
        "int": {"low", "high", "log", "prior", "when"},
        "categorical": {"choices", "prior", "when"},
        "ordinal": {"values", "prior", "when"},
    }[kind]
    unknown = sorted(set(rest) - allowed)
    if unknown:
        raise InvalidSpaceError(
            f"{kind} parameter: unknown field(s) {unknown}; allowed: {sorted(allowed)}"
        )
    missing = sorted(k for k in allowed - {"log", "prior", "when"} if k not in rest)
    if missing:
        raise InvalidSpaceError(f"{kind} parameter: missing field(s) {missing}")
    return PARAM_TYPES[kind](**rest)
