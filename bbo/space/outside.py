"""Encoding stored configurations that lie outside a (since narrowed) range.

A study whose space was edited (:mod:`bbo.study.edits`) keeps every trial, and a trial
evaluated before a range was narrowed may hold a value outside the new range. Models keep
learning from it: :func:`encode_stored` puts such a value on the line of the encoding
extended beyond ``[0, 1]`` (``u < 0`` below ``low``, ``u > 1`` above ``high``, the same
linear map in ``t``-space, :meth:`bbo.space.params._Range.transform`), so a GP sees the
point where it was evaluated. Kernels take any real input; acquisition optimizers search
``[0, 1]``, so suggestions stay in the new range.

Everything else is encoded by :meth:`Space.encode_many` unchanged: a value in range, a
choice, a missing parameter; what :meth:`Space.validate` refuses there is refused here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bbo.space.params import _Range

if TYPE_CHECKING:
    import numpy as np

    from bbo.space.space import Space


def unbounded_unit(p: _Range, v: float) -> float:
    """``u`` of ``v`` for ``p`` on the encoding's line, not clipped to ``[0, 1]``
    (``v > 0`` with ``log=True``)."""
    lo, hi = p.edges()
    t = p.transform
    return (t(float(v)) - t(lo)) / (t(hi) - t(lo))


def outside_value(p: Any, v: Any) -> bool:
    """Whether ``v`` is a number that ``p`` (a Float or Int) would accept but for its range:
    the values :func:`encode_stored` encodes beyond ``[0, 1]``."""
    if not isinstance(p, _Range) or isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    f = float(v)
    if not math.isfinite(f) or p.low <= f <= p.high:
        return False
    if p.log and f <= 0:
        return False
    return p.type_name != "int" or f == int(f)


_CACHE_LIMIT = 100_000  # rows remembered per space (then it starts over)


def _lookup(
    cache: dict[tuple[Any, ...], np.ndarray], config: Mapping[str, Any]
) -> tuple[tuple[Any, ...] | None, np.ndarray | None]:
    """The key of ``config`` in ``cache`` (its names and values, then the values' types, so
    that ``True`` and ``1`` differ) and the row stored under it; ``(None, None)`` when a
    value is not hashable."""
    key = (*config.items(), *map(type, config.values()))
    try:
        return key, cache.get(key)
    except TypeError:
        return None, None


def encode_stored(space: Space, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """``n`` stored configurations -> ``n x d`` index view (:meth:`Space.encode_many`), with
    Float/Int values outside their range encoded beyond ``[0, 1]`` (the module docstring).
    The column of parameter ``name`` is ``space.names.index(name)``.

    Rows are remembered on ``space`` (a space never changes; an edit makes a new one), keyed
    by the configuration's names, value types and values: a study encodes its whole history
    at every ask, and validating and encoding each trial again was most of that."""
    import numpy as np

    if not configs:
        return space.encode_many([])
    cache: dict[tuple[Any, ...], np.ndarray] = space.__dict__.setdefault("_stored_rows", {})
    keys, rows = map(list, zip(*(_lookup(cache, c) for c in configs)))
    todo = [i for i, row in enumerate(rows) if row is None]
    if todo:
        if len(cache) + len(todo) > _CACHE_LIMIT:
            cache.clear()
        new = _encode_stored(space, [configs[i] for i in todo])
        for i, row in zip(todo, new):
            rows[i] = row
            if keys[i] is not None:
                cache[keys[i]] = row
    return np.array(rows, dtype=float).reshape(len(configs), space.dim)


def _encode_stored(space: Space, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """:func:`encode_stored` without the cache."""
    import numpy as np

    names = list(space.names)
    patched: list[Mapping[str, Any]] = []
    beyond: list[tuple[int, int, float]] = []  # row, column, u
    for i, c in enumerate(configs):
        out = [n for n in names if n in c and outside_value(space[n], c[n])]
        if not out:
            patched.append(c)
            continue
        row = dict(c)
        for n in out:
            p = space[n]
            beyond.append((i, names.index(n), unbounded_unit(p, row[n])))  # type: ignore[arg-type]
            row[n] = p.low  # type: ignore[attr-defined]
        patched.append(row)
    X = np.array(space.encode_many(patched), dtype=float)
    for i, j, u in beyond:
        X[i, j] = u
    return X


__all__ = ["encode_stored", "outside_value", "unbounded_unit"]
