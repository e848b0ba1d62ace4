"""Conditions that can never hold together (:mod:`bbo.space.conditions`).

A conditional parameter is active when every parent it names is active and takes one of the
listed values. Nesting can make that impossible: ``d`` needs ``b`` and ``c`` active, ``b``
needs ``a = "x"`` and ``c`` needs ``a = "y"``; or ``c`` needs ``a = "y"`` and a value of
``b``, which is active only when ``a = "x"``. Such a parameter would never be suggested: a
space holding one is refused when it is built (:class:`bbo.exceptions.InvalidSpaceError`,
naming the parameter and its conditions).

The check enumerates the joint values of the parameter's ancestors (its parents, theirs,
...), each active one taking the values some condition lists plus one value no condition
lists (every other value behaves like it), in the order that evaluates parents first, and
looks for one assignment under which the parameter is active. It stops, and accepts, after
:data:`MAX_ASSIGNMENTS` assignments (the check is then not feasible, as ``cardinality``
falls back to a bound past its own cap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidSpaceError
from bbo.space.conditions import _same, describe

if TYPE_CHECKING:
    from bbo.space.conditions import Conditions
    from bbo.space.params import Param

MAX_ASSIGNMENTS = 10_000  # assignments of a parameter's ancestors tried before accepting


def check_satisfiable(c: Conditions) -> None:
    """Refuse the first parameter (space order) whose conditions cannot all hold."""
    listed: dict[str, list[Any]] = {}  # parent -> the values conditions list, in order
    for conds in c.when.values():
        for cond in conds:
            seen = listed.setdefault(cond.parameter, [])
            seen += [v for v in cond.values if not any(_same(v, w) for w in seen)]
    relevant = {n: [*vs, *_other(c.params[n], vs)] for n, vs in listed.items()}
    for name in c.names:
        if name not in c.when:
            continue
        ancestors = _ancestors(c, name)
        order = [n for n in c.order if n in ancestors]
        budget = [MAX_ASSIGNMENTS]
        if not _reachable(c, name, order, 0, {}, relevant, budget):
            raise InvalidSpaceError(
                f"parameter {name!r} can never be active: its conditions "
                f"({describe(c.when[name])}) cannot all hold together, as a parent is "
                f"active only when its own conditions hold (ancestors {sorted(ancestors)}); "
                "fix or remove the `when` of one of them"
            )


def _ancestors(c: Conditions, name: str) -> set[str]:
    out: set[str] = set()
    stack = [cond.parameter for cond in c.when.get(name, ())]
    while stack:
        p = stack.pop()
        if p not in out:
            out.add(p)
            stack += [cond.parameter for cond in c.when.get(p, ())]
    return out


def _reachable(
    c: Conditions,
    name: str,
    order: list[str],
    i: int,
    values: dict[str, Any],
    relevant: dict[str, list[Any]],
    budget: list[int],
) -> bool:
    """Whether some assignment of ``order[i:]`` (given ``values``) makes ``name`` active;
    True once ``budget`` assignments were tried (not feasible: accepted)."""
    if i == len(order):
        budget[0] -= 1
        return budget[0] <= 0 or c.active(name, values)
    n = order[i]
    if not c.active(n, values):  # an inactive ancestor takes no value
        return _reachable(c, name, order, i + 1, values, relevant, budget)
    for v in relevant.get(n, [None]):
        values[n] = v
        found = _reachable(c, name, order, i + 1, values, relevant, budget)
        del values[n]
        if found:
            return True
    return False


def _other(p: Param, listed: list[Any]) -> list[Any]:
    """One value of ``p`` that ``listed`` lacks (``[]`` when it lists them all)."""
    from bbo.space.params import Int

    if isinstance(p, Int):
        for v in range(p.low, p.high + 1):  # the listed values are at most len(listed)
            if not any(_same(v, w) for w in listed):
                return [v]
        return []
    options = p.options  # type: ignore[attr-defined]
    return [v for v in options if not any(_same(v, w) for w in listed)][:1]
