"""Feasibility under linear parameter constraints (:mod:`bbo.space.linear`).

Everything here works in **user units** (the values of a trial's params), where the
constraints ``A v <= b`` (``A`` of shape ``k x m`` over the ``m`` constrained parameters)
are linear; the unit-cube encoding of a ``log=True`` parameter is not.

* :func:`check_feasible`: the linear program ``min 0 s.t. A v <= b, low <= v <= high``
  (Int parameters integral) has a solution, or the space is refused.
* :func:`feasible_mask`: ``n x d`` encoded points -> which decode to feasible values.
* :func:`repair`: the feasible configuration nearest to a given one (Euclidean distance of
  the constrained values scaled by their ranges), Int values rounded so that the
  constraints still hold.
* :func:`sample_feasible`: rejection sampling, uniform in the index view restricted to the
  feasible set.

A point counts as feasible only when ``a^T v <= b`` holds exactly in floating point
(:meth:`LinearConstraint.satisfied`); repairs aim a little inside (a relative margin) so
that round-off cannot push them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bbo.exceptions import InvalidParamsError, InvalidSpaceError

if TYPE_CHECKING:
    from bbo.space.space import Space

MAX_DRAWS = 100_000  # rejection sampling gives up after this many draws per call
_MARGIN = 1e-9  # relative: how far inside the constraints a repaired point aims


def _system(space: Space) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The constrained parameters' names (space order), ``A`` (``k x m``) and ``b`` (``k``)."""
    cons = space.constraints
    names = [n for n in space.names if any(n in c.names for c in cons)]
    col = {n: j for j, n in enumerate(names)}
    A = np.zeros((len(cons), len(names)))
    for i, c in enumerate(cons):
        for n, a in c.coefs:
            A[i, col[n]] = a
    return names, A, np.array([c.rhs for c in cons])


def _box(space: Space, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo = np.array([float(space[n].low) for n in names])  # type: ignore[attr-defined]
    hi = np.array([float(space[n].high) for n in names])  # type: ignore[attr-defined]
    ints = np.array([space[n].cardinality is not None for n in names])
    return lo, hi, ints


def check_feasible(space: Space) -> None:
    """InvalidSpaceError naming the constraints when no configuration of ``space``
    satisfies all of them (a linear program over the parameter box, integral for Int
    parameters; scipy's HiGHS)."""
    from scipy.optimize import linprog

    names, A, b = _system(space)
    lo, hi, ints = _box(space, names)
    res = linprog(
        np.zeros(len(names)),
        A_ub=A,
        b_ub=b,
        bounds=list(zip(lo, hi)),
        integrality=ints.astype(int),
        method="highs",
    )
    if res.status == 2:
        texts = [c.text for c in space.constraints]
        ranges = {n: [space[n].low, space[n].high] for n in names}  # type: ignore[attr-defined]
        raise InvalidSpaceError(
            f"parameter constraints {texts} cannot all hold: no value of {ranges} (Int "
            "parameters integral) satisfies them together"
        )


def check_params(space: Space, params: Mapping[str, Any]) -> None:
    """InvalidParamsError naming the first parameter constraint ``params`` (valid values)
    break."""
    for c in space.constraints:
        if not c.satisfied(params):
            values = {n: params[n] for n in c.names}
            raise InvalidParamsError(
                f"parameter constraint {c.text!r} does not hold at {values} "
                f"(left side {c.lhs(params):g}): every point of the study must satisfy it"
            )


def user_values(space: Space, X: np.ndarray, names: list[str]) -> np.ndarray:
    """``n x d`` encoded points -> ``n x m`` user values of the parameters ``names``
    (vectorized :meth:`Param.decode` of Float and Int)."""
    from bbo.space.params import Int

    X = np.clip(np.asarray(X, dtype=float).reshape(-1, space.dim), 0.0, 1.0)
    out = np.empty((len(X), len(names)))
    for j, n in enumerate(names):
        p: Any = space[n]
        t_lo, t_hi = (np.log(e) if p.log else e for e in p.edges())
        t = t_lo + X[:, space.names.index(n)] * (t_hi - t_lo)
        v = np.exp(t) if p.log else t
        if isinstance(p, Int):
            v = np.floor(v + 0.5)
        out[:, j] = np.clip(v, p.low, p.high)
    return out


def feasible_mask(space: Space, X: np.ndarray) -> np.ndarray:
    """``n`` booleans: which rows of ``X`` (``n x d``, encoded) satisfy every constraint
    (a fast filter; :meth:`Space.feasible` on the decoded params is the exact test)."""
    X = np.asarray(X, dtype=float).reshape(-1, space.dim)
    if not space.constraints:
        return np.ones(len(X), dtype=bool)
    names, A, b = _system(space)
    V = user_values(space, X, names)
    return np.all(b >= V @ A.T, axis=1)


def sample_feasible(space: Space, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n x d`` encoded points, uniform in the index view restricted to the feasible set
    (rejection sampling); InvalidArgumentError when :data:`MAX_DRAWS` draws give fewer."""
    out: list[np.ndarray] = []
    drawn = got = 0
    batch = max(64, 4 * n)
    while got < n:
        if drawn >= MAX_DRAWS:
            raise_too_few(space, got, drawn, n)
        X = rng.random((batch, space.dim))
        drawn += batch
        X = X[feasible_mask(space, X)]
        keep = [x for x in X if space.feasible(space.decode(x))]
        out += keep[: n - got]
        got += len(keep[: n - got])
    return np.array(out).reshape(n, space.dim)


def raise_too_few(space: Space, got: int, drawn: int, n: int) -> None:
    from bbo.exceptions import InvalidArgumentError

    raise InvalidArgumentError(
        f"rejection sampling found {got} of {n} points satisfying the parameter constraints "
        f"{[c.text for c in space.constraints]} in {drawn} uniform draws: the feasible part "
        "of the space is too small a fraction of its box; narrow the parameter ranges"
    )


def repair(space: Space, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The feasible configuration nearest ``params`` (a valid one): the constrained values
    moved to ``argmin sum_j ((v_j - v0_j) / (high_j - low_j))^2`` subject to
    ``A v <= b - margin`` and the box (SLSQP in range-scaled coordinates), Int values
    rounded; with Int parameters a second try aims ``0.5 * sum_int |a_j|`` further inside so
    that any rounding keeps the constraints. ``params`` itself when feasible; None when no
    try gives an exactly feasible point."""
    if space.feasible(params):
        return dict(params)
    names, A, b = _system(space)
    lo, hi, ints = _box(space, names)
    v0 = np.array([float(params[n]) for n in names])
    scale = np.maximum(hi - lo, 1e-300)
    size = np.abs(A) @ np.maximum(np.abs(lo), np.abs(hi)) + np.abs(b)
    slack = 0.5 * np.abs(A[:, ints]).sum(1)
    for extra in (0.0, 1.0) if ints.any() else (0.0,):
        for rel in (_MARGIN, 1e3 * _MARGIN):
            v = _project(v0, A, b - rel * size - extra * slack, lo, scale)
            if v is None:
                continue
            out = dict(params)
            for j, n in enumerate(names):
                x = float(np.clip(v[j], lo[j], hi[j]))
                out[n] = int(np.floor(x + 0.5)) if ints[j] else x
            if space.feasible(out):
                return out
    return None


def _project(
    v0: np.ndarray, A: np.ndarray, b: np.ndarray, lo: np.ndarray, scale: np.ndarray
) -> np.ndarray | None:
    """``argmin ||(v - v0) / scale||^2 s.t. A v <= b, lo <= v <= lo + scale`` by SLSQP on
    ``w = (v - lo) / scale`` in ``[0, 1]^m``; None when it fails."""
    from scipy.optimize import minimize

    w0 = np.clip((v0 - lo) / scale, 0.0, 1.0)
    As, bs = A * scale, b - A @ lo  # A v <= b  <=>  As w <= bs
    res = minimize(
        lambda w: float(np.sum((w - w0) ** 2)),
        w0,
        jac=lambda w: 2.0 * (w - w0),
        bounds=[(0.0, 1.0)] * len(w0),
        constraints=[{"type": "ineq", "fun": lambda w: bs - As @ w, "jac": lambda w: -As}],
        method="SLSQP",
        options={"maxiter": 200, "ftol": 1e-14},
    )
    w = np.clip(res.x, 0.0, 1.0)
    if not np.all(np.isfinite(w)):
        return None
    return lo + w * scale
