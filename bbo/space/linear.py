"""Linear parameter constraints: ``"x1 + 2*x2 <= 10"``, ``"lr - 0.5*wd >= 0"``.

A constraint is a linear expression of Float and Int parameters, compared with ``<=`` or
``>=`` to another (a constant on either side is allowed). It is parsed here by a small
tokenizer (never ``eval``) into the normal form

.. math::  a^\\top v \\le b, \\qquad a \\in \\mathbb{R}^m,

over the constrained parameters' **user values** ``v`` (the values a trial's params hold,
after Int rounding, not their unit-cube encoding: for a ``log=True`` parameter the
constraint is linear in the value, not in its logarithm). ``>=`` is stored negated.

Grammar (whitespace free; ``*`` optional between a number and a name)::

    constraint := expr ("<=" | ">=") expr
    expr       := ["+" | "-"] term (("+" | "-") term)*
    term       := number ["*"] name | name ["*" number] ["/" number] | number

Parameter names may hold ``.`` and ``-``; the longest parameter name of the space at a
position is read first, so ``lr-wd`` is the parameter ``lr-wd`` when the space has one and
``lr - wd`` otherwise (write spaces around operators to be clear).

Errors (:class:`bbo.exceptions.InvalidSpaceError`) quote the constraint and name the rule:
an unknown parameter, a Categorical or Ordinal parameter, a non-linear term (``x*y``,
``x**2``, ``x^2``), a missing or a second comparison, no parameter at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bbo.exceptions import InvalidSpaceError

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_RULE = (
    "a parameter constraint is a linear expression of Float/Int parameters compared with "
    "`<=` or `>=`, e.g. `x1 + 2*x2 <= 10`"
)


@dataclass(frozen=True)
class LinearConstraint:
    """``sum(coef * value) <= rhs`` over the named numeric parameters.

    ``text``: the constraint as the user wrote it (stored and shown, and its identity);
    ``coefs``: ``(name, a_j)`` pairs, non-zero, in the space's parameter order; ``rhs``:
    ``b``. A ``>=`` constraint is stored negated (``-a, -b``)."""

    text: str
    coefs: tuple[tuple[str, float], ...]
    rhs: float

    def __str__(self) -> str:
        return self.text

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.coefs)

    def lhs(self, params: Mapping[str, Any]) -> float:
        """``a^T v`` at a configuration's user values."""
        return math.fsum(a * float(params[n]) for n, a in self.coefs)

    def satisfied(self, params: Mapping[str, Any]) -> bool:
        """``a^T v <= b`` exactly (no tolerance)."""
        return self.lhs(params) <= self.rhs


def parse_linear(text: str, space: Mapping[str, Any]) -> LinearConstraint:
    """``text`` parsed against ``space`` (a mapping name -> Param); InvalidSpaceError
    quoting ``text`` and naming the rule otherwise."""
    from bbo.space.params import Float, Int

    if not isinstance(text, str) or not text.strip():
        raise InvalidSpaceError(f"parameter constraint {text!r}: {_RULE}")
    tokens = _tokenize(text, tuple(space))
    ops = [i for i, (kind, _) in enumerate(tokens) if kind == "cmp"]
    if len(ops) != 1:
        what = "no comparison" if not ops else "more than one comparison"
        raise _error(text, f"{what}; {_RULE}")
    i = ops[0]
    left = _linear(text, tokens[:i])
    right = _linear(text, tokens[i + 1 :])
    sign = 1.0 if tokens[i][1] == "<=" else -1.0
    coefs: dict[str, float] = {}
    for name, a in left[0]:
        coefs[name] = coefs.get(name, 0.0) + sign * a
    for name, a in right[0]:
        coefs[name] = coefs.get(name, 0.0) - sign * a
    rhs = sign * (right[1] - left[1])
    for name in coefs:
        p = space[name]
        if not isinstance(p, (Float, Int)):
            raise _error(
                text,
                f"parameter {name!r} is {type(p).__name__}; only Float and Int parameters "
                "may appear in a parameter constraint",
            )
    kept = tuple((n, coefs[n]) for n in space if coefs.get(n, 0.0) != 0.0)
    if not kept:
        raise _error(text, f"no parameter (every coefficient is zero or absent); {_RULE}")
    if not all(math.isfinite(a) for _, a in kept) or not math.isfinite(rhs):
        raise _error(text, "coefficients and constants must be finite numbers")
    return LinearConstraint(text.strip(), kept, rhs)


def parse_linear_all(
    texts: Sequence[str | LinearConstraint], space: Mapping[str, Any]
) -> tuple[LinearConstraint, ...]:
    """Each of ``texts`` parsed (a LinearConstraint is re-parsed from its text), duplicates
    refused."""
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Sequence):
        raise InvalidSpaceError(
            f"parameter constraints must be a list of strings such as 'x1 + 2*x2 <= 10', "
            f"got {texts!r}"
        )
    out = [parse_linear(t.text if isinstance(t, LinearConstraint) else t, space) for t in texts]
    seen: set[str] = set()
    for c in out:
        if c.text in seen:
            raise InvalidSpaceError(f"parameter constraint {c.text!r} is given twice")
        seen.add(c.text)
    return tuple(out)


def _error(text: str, rule: str) -> InvalidSpaceError:
    return InvalidSpaceError(f"parameter constraint {text.strip()!r}: {rule}")


def _tokenize(text: str, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """``(kind, value)`` tokens: ``num`` (float), ``name`` (str), ``op`` (``+ - * /``),
    ``cmp`` (``<=`` or ``>=``)."""
    by_length = sorted(names, key=len, reverse=True)
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("<=", ">="):
            out.append(("cmp", two))
            i += 2
            continue
        if two == "**" or c == "^":
            raise _error(text, f"a power (`{two if two == '**' else c}`) is not linear; {_RULE}")
        if two in ("==", "!=") or c in "<>=":
            raise _error(text, f"`{two if two in ('==', '!=') else c}`: use `<=` or `>=`")
        if c in "+-*/":
            out.append(("op", c))
            i += 1
            continue
        if c in "()":
            raise _error(text, f"parentheses are not supported; {_RULE}")
        m = _NUMBER.match(text, i)
        if m:
            out.append(("num", float(m.group(0))))
            i = m.end()
            continue
        name = next((n for n in by_length if _name_at(text, i, n)), None)
        if name is None:
            w = _WORD.match(text, i)
            if w is None:
                raise _error(text, f"unexpected character {c!r}; {_RULE}")
            raise _error(text, f"unknown parameter {w.group(0)!r}; the space has {list(names)}")
        out.append(("name", name))
        i += len(name)
    return out


def _name_at(text: str, i: int, name: str) -> bool:
    end = i + len(name)
    return text.startswith(name, i) and not (
        end < len(text) and (text[end].isalnum() or text[end] in "_.")
    )


def _linear(text: str, tokens: list[tuple[str, Any]]) -> tuple[list[tuple[str, float]], float]:
    """One side of the comparison: its ``(name, coef)`` terms and its constant."""
    if not tokens:
        raise _error(text, f"a side of the comparison is empty; {_RULE}")
    terms: list[tuple[str, float]] = []
    const = 0.0
    i = 0
    sign = 1.0
    if tokens[0] in (("op", "+"), ("op", "-")):
        sign = -1.0 if tokens[0][1] == "-" else 1.0
        i = 1
    while True:
        coef, name, i = _term(text, tokens, i)
        if name is None:
            const += sign * coef
        else:
            terms.append((name, sign * coef))
        if i == len(tokens):
            return terms, const
        kind, value = tokens[i]
        if kind != "op" or value not in "+-":
            raise _error(text, f"expected `+` or `-` before {_show(tokens[i])}; {_RULE}")
        sign = -1.0 if value == "-" else 1.0
        i += 1


def _term(text: str, tokens: list[tuple[str, Any]], i: int) -> tuple[float, str | None, int]:
    """A term from ``tokens[i]``: ``(coef, name or None for a constant, next index)``."""

    def at(j: int) -> tuple[str, Any]:
        return tokens[j] if j < len(tokens) else ("end", None)

    coef = 1.0
    name: str | None = None
    kind, value = at(i)
    if kind == "num":
        coef, i = value, i + 1
        if at(i) == ("op", "*"):
            i += 1
            if at(i)[0] != "name":
                raise _error(text, f"expected a parameter after `*`; {_RULE}")
        if at(i)[0] == "name":
            name, i = at(i)[1], i + 1
    elif kind == "name":
        name, i = value, i + 1
    else:
        raise _error(text, f"expected a number or a parameter, got {_show(at(i))}; {_RULE}")
    while at(i) in (("op", "*"), ("op", "/")):
        op = at(i)[1]
        kind, value = at(i + 1)
        if kind == "name":
            raise _error(
                text,
                f"non-linear term `{name or _num(coef)}{op}{value}`: a product or "
                f"quotient of parameters is not linear; {_RULE}",
            )
        if kind != "num":
            raise _error(text, f"expected a number after `{op}`; {_RULE}")
        if op == "/" and value == 0.0:
            raise _error(text, "division by zero")
        coef = coef * value if op == "*" else coef / value
        i += 2
    if at(i)[0] in ("name", "num"):
        raise _error(
            text, f"non-linear term: {_show(at(i))} follows a term without an operator; {_RULE}"
        )
    return coef, name, i


def _show(token: tuple[str, Any]) -> str:
    kind, value = token
    return "the end" if kind == "end" else f"`{_num(value) if kind == 'num' else value}`"


def _num(v: float) -> str:
    return f"{v:g}"
