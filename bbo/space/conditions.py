"""Conditional parameters: a parameter is *active* only when others take given values.

``Float(0.0, 0.99, when={"optimizer": ["sgd"]})`` is active when ``optimizer`` is ``"sgd"``;
several entries must all hold (``when={"optimizer": ["sgd"], "nesterov": [True]}``), and
a parent may itself be conditional (nesting): a parameter is active when every parent it
names is active and takes one of the listed values. Rules, checked when the space is built
(:class:`bbo.exceptions.InvalidSpaceError`, naming the parameter and the rule):

* a parent is a parameter of the space, not the parameter itself, and the conditions form
  no cycle;
* a parent has discrete values: Int, Categorical or Ordinal (booleans are a Categorical
  ``[true, false]``); a condition on a Float is refused (a set of reals is never hit);
* every listed value is a value of the parent, and the list is not empty;
* the conditions of a parameter can hold together, its parents' own conditions included
  (:mod:`bbo.space.satisfiable`).

A configuration holds exactly its active parameters (:meth:`bbo.space.Space.validate`
refuses an inactive one and a missing active one). The encoded views keep every column:
an inactive column holds a fixed value, :attr:`Conditions.fill` (the encoding of the value
decoded at ``u = 1/2``: the centre of the range, a level of a discrete column), so a model
sees one point per configuration and an inactive dimension as constant (the imputation of
SMAC and HEBO); the parents' columns tell the model which branch a point is on. Decoding
drops the parameters its decoded parents leave inactive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError, InvalidSpaceError

if TYPE_CHECKING:
    from bbo.space.params import Param, Scalar

MAX_ENUMERATED = 10_000  # parent value combinations enumerated to count configurations


@dataclass(frozen=True)
class Condition:
    """``parameter`` must be active and take one of ``values``."""

    parameter: str
    values: tuple[Scalar, ...]


def parse_when(when: object) -> tuple[Condition, ...]:
    """A ``when`` argument (``{parent: [values]}``, a single value standing for a list of
    one, or a sequence of :class:`Condition`) as a tuple of conditions; ``None``: none."""
    if when is None:
        return ()
    if (
        isinstance(when, Sequence)
        and not isinstance(when, (str, bytes))
        and all(isinstance(c, Condition) for c in when)
    ):
        return tuple(when)
    if not isinstance(when, Mapping):
        raise InvalidSpaceError(
            f"`when` must be a mapping parameter -> list of values, got {when!r}"
        )
    out = []
    for parent, values in when.items():
        if not isinstance(parent, str):
            raise InvalidSpaceError(f"`when` keys are parameter names, got {parent!r}")
        if isinstance(values, (str, int, float, bool)):
            values = [values]
        if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
            raise InvalidSpaceError(f"`when.{parent}` must be a list of values, got {values!r}")
        if len(values) == 0:
            raise InvalidSpaceError(f"`when.{parent}` must list at least one value")
        out.append(Condition(parent, tuple(values)))
    return tuple(out)


def when_to_dict(conditions: Sequence[Condition]) -> dict[str, list[Any]]:
    """The stored (study.yaml) form ``{parent: [values]}``."""
    return {c.parameter: list(c.values) for c in conditions}


def describe(conditions: Sequence[Condition]) -> str:
    """``"optimizer in ['sgd'] and depth in [2, 3]"`` (messages, tables)."""
    return " and ".join(f"{c.parameter} in {list(c.values)!r}" for c in conditions)


class Conditions:
    """The conditions of a space's parameters, checked (see the module docstring), with the
    order that evaluates parents first and the vectorized activity of encoded points."""

    def __init__(self, params: Mapping[str, Param]) -> None:
        self.params = params
        self.names = list(params)
        self.when: dict[str, tuple[Condition, ...]] = {}
        for name, p in params.items():
            conds = tuple(getattr(p, "when", ()) or ())
            if conds:
                self.when[name] = tuple(self._check(name, c) for c in conds)
        self.order = self._topological()
        self.parents = {c.parameter for cs in self.when.values() for c in cs}
        if self.when:  # a parameter that could never be active is refused
            from bbo.space.satisfiable import check_satisfiable

            check_satisfiable(self)
        col = {n: j for j, n in enumerate(self.names)}
        self.fill = [float(p.encode(p.decode(0.5))) for p in params.values()]
        # per conditional column: [(parent column, [(a, b) intervals of u that decode to
        # an allowed value])], in evaluation order
        self._cols: list[tuple[int, list[tuple[int, list[tuple[float, float]]]]]] = [
            (col[n], [(col[c.parameter], self._intervals(c)) for c in self.when[n]])
            for n in self.order
            if n in self.when
        ]

    def __bool__(self) -> bool:
        return bool(self.when)

    # -- checks ---------------------------------------------------------------------------
    def _check(self, name: str, c: Condition) -> Condition:
        from bbo.space.params import Float

        where = f"parameter {name!r}: `when.{c.parameter}`"
        parent = self.params.get(c.parameter)
        if parent is None:
            raise InvalidSpaceError(
                f"{where} names no parameter of the space; the space has {self.names}"
            )
        if c.parameter == name:
            raise InvalidSpaceError(f"{where}: a parameter cannot depend on itself")
        if isinstance(parent, Float):
            raise InvalidSpaceError(
                f"{where}: a condition needs a parameter with discrete values (int, "
                f"categorical or ordinal), {c.parameter!r} is a float"
            )
        values = []
        for v in c.values:
            try:
                values.append(parent.validate(v))
            except InvalidArgumentError as e:
                raise InvalidSpaceError(f"{where}: {e}") from None
        return Condition(c.parameter, tuple(values))

    def _topological(self) -> list[str]:
        """Every name, each after the parents it names; a cycle is refused."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1: on the path, 2: done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = [*path[path.index(name) :], name]
                raise InvalidSpaceError(
                    f"parameter {name!r}: the `when` conditions form a cycle "
                    f"({' -> '.join(cycle)}); a parent must not depend on its child"
                )
            state[name] = 1
            for c in self.when.get(name, ()):
                visit(c.parameter, [*path, name])
            state[name] = 2
            order.append(name)

        for n in self.names:
            visit(n, [])
        return order

    def _intervals(self, c: Condition) -> list[tuple[float, float]]:
        """The ``[a, b)`` ranges of the parent's encoded column that decode to the allowed
        values (``-inf``/``inf`` at the ends, so clipped points count too)."""
        from bbo.space.params import Int

        p = self.params[c.parameter]
        out = []
        if isinstance(p, Int):
            lo, hi = p.edges()
            t = p.transform
            unit = lambda v: (t(v) - t(lo)) / (t(hi) - t(lo))  # noqa: E731
            for v in c.values:
                iv = int(v)
                a = -math.inf if iv == p.low else unit(iv - 0.5)
                b = math.inf if iv == p.high else unit(iv + 0.5)
                out.append((a, b))
        else:
            k = p.cardinality or 1
            for v in c.values:
                i = p.index(v)  # type: ignore[attr-defined]
                out.append(
                    (-math.inf if i == 0 else i / k, math.inf if i == k - 1 else (i + 1) / k)
                )
        return out

    # -- configurations ------------------------------------------------------------------------
    def active(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether ``name`` is active given the (canonical) ``values`` of its parents; a
        parent absent from ``values`` is inactive."""
        for c in self.when.get(name, ()):
            if c.parameter not in values:
                return False
            v = values[c.parameter]
            if not any(_same(v, w) for w in c.values):
                return False
        return True

    def validate(self, params: Mapping[str, Any]) -> dict[str, Scalar]:
        """:meth:`bbo.space.Space.validate` of a conditional space (``params`` names only
        parameters of the space): each active parameter present with a valid value, no
        inactive one; the canonical copy in space order."""
        from bbo.exceptions import InvalidParamsError

        out: dict[str, Scalar] = {}
        missing: list[str] = []
        unknown: set[str] = set()  # missing parents: their children are not judged
        for n in self.order:
            if any(c.parameter in unknown for c in self.when.get(n, ())):
                unknown.add(n)
                continue
            if not self.active(n, out):
                if n in params:
                    raise InvalidParamsError(
                        f"parameter {n!r} is inactive and must be left out: it is active "
                        f"only when {describe(self.when[n])}, got "
                        + ", ".join(
                            f"{c.parameter}={out.get(c.parameter, '<inactive>')!r}"
                            for c in self.when[n]
                        )
                    )
                continue
            if n not in params:
                missing.append(n)
                unknown.add(n)
                continue
            try:
                out[n] = self.params[n].validate(params[n])
            except InvalidParamsError as e:
                raise InvalidParamsError(f"parameter {n!r}: {e}") from None
        if missing:
            missing.sort(key=self.names.index)
            raise InvalidParamsError(
                f"missing parameter(s) {missing} (active in this configuration)"
            )
        return {n: out[n] for n in self.names if n in out}

    def check_linear(self, constraints: Sequence[Any]) -> None:
        """Refuse a linear parameter constraint over a conditional parameter (it would bind
        a value that is not there)."""
        for c in constraints:
            bad = [n for n in c.names if n in self.when]
            if bad:
                raise InvalidSpaceError(
                    f"constraint {c.text!r} names conditional parameter(s) {bad}: linear "
                    "parameter constraints hold over parameters without `when`"
                )

    def prune(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` (every parameter) without the inactive ones, in space order."""
        kept: dict[str, Any] = {}
        for n in self.order:
            if self.active(n, kept):
                kept[n] = values[n]
        return {n: kept[n] for n in self.names if n in kept}

    def count(self) -> int | None:
        """Number of distinct configurations (``None`` when an active parameter is
        continuous, or above :data:`MAX_ENUMERATED` parent combinations: the product of
        the cardinalities then, an upper bound)."""
        combos = 1
        for n in self.parents:
            combos *= self.params[n].cardinality or 1
        if combos > MAX_ENUMERATED:
            total = 1
            for p in self.params.values():
                if p.cardinality is None:
                    return None
                total *= p.cardinality
            return total
        return self._count(0, {})

    def _count(self, i: int, values: dict[str, Any]) -> int | None:
        if i == len(self.order):
            return 1
        name = self.order[i]
        if not self.active(name, values):
            return self._count(i + 1, values)
        p = self.params[name]
        if name not in self.parents:
            rest = self._count(i + 1, values)
            k = p.cardinality
            return None if rest is None or k is None else k * rest
        total = 0
        for v in _values(p):
            values[name] = v
            n = self._count(i + 1, values)
            del values[name]
            if n is None:
                return None
            total += n
        return total

    # -- encoded points ----------------------------------------------------------------------
    def active_mask(self, X: Any) -> Any:
        """``n x d`` encoded points (numpy or torch) -> ``n x d`` booleans: which columns
        are active at each point (the parents read as decoding reads them)."""
        torch_like = hasattr(X, "new_tensor")
        if torch_like:
            mask = X.new_ones(X.shape, dtype=bool)
        else:
            import numpy as np

            mask = np.ones(X.shape, dtype=bool)
        for j, conds in self._cols:
            on = mask[:, j].clone() if torch_like else mask[:, j].copy()
            for pj, intervals in conds:
                u = X[:, pj]
                hit = (u >= intervals[0][0]) & (u < intervals[0][1])
                for a, b in intervals[1:]:
                    hit = hit | ((u >= a) & (u < b))
                on = on & mask[:, pj] & hit
            mask[:, j] = on
        return mask

    def impute(self, X: Any) -> Any:
        """``... x d`` encoded points (numpy or torch) with every inactive column set to
        :attr:`fill`: the point a model sees for the configuration ``X`` decodes to. A new
        array; differentiable in the active columns (a torch tensor stays on its device)."""
        shape = X.shape
        flat = X.reshape(-1, shape[-1])
        mask = self.active_mask(flat)
        if hasattr(X, "new_tensor"):
            import torch

            fill = flat.new_tensor(self.fill).expand_as(flat)
            return torch.where(mask, flat, fill).reshape(shape)
        import numpy as np

        return np.where(mask, flat, np.asarray(self.fill)[None, :]).reshape(shape)


def _same(a: object, b: object) -> bool:
    """Equality of parameter values as the choices define it (True is not 1)."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _values(p: Param) -> list[Any]:
    from bbo.space.params import Int

    if isinstance(p, Int):
        return list(range(p.low, p.high + 1))
    return list(p.options)  # type: ignore[attr-defined]
