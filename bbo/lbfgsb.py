"""Batched L-BFGS-B: ``b`` independent box-bounded minimizations driven in lockstep, with
one vectorized evaluation of the objective per round.

This is the algorithm of botorch's ``fmin_l_bfgs_b_batched`` (scipy's L-BFGS-B, the C
``setulb`` of scipy >= 1.15, one state per problem; a round evaluates every problem that
asked for a function value in one call) with the same iterates, bit for bit: the same
``setulb`` calls with the same arguments in the same order, the same stopping rules
(``maxiter`` counted on new iterates, scipy's ``factr``/``pgtol``). What differs is the
driver's own cost: an acquisition optimizer makes ~700 ``setulb`` calls per ask, and
botorch's loop spends ~7 us of Python on each (numpy scalar logic, an ``OptimizeResult``
per iteration, a copy of the gradient per call), as much as the objective's evaluations
themselves. Here a call costs the ``setulb`` call and a few integer compares.

``setulb``'s task codes (scipy's ``_lbfgsb``): 3 = the routine wants ``f`` and ``g`` at
``x``; 1 = a new iterate; anything else = stopped (converged, an abnormal line search,
or the ``STOP`` this driver writes at ``maxiter``: code ``(5, 504)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy
from scipy.optimize import _lbfgsb

if tuple(int(p) for p in scipy.__version__.split(".")[:2]) < (1, 15):  # pragma: no cover
    raise ImportError("bbo needs scipy >= 1.15 (the C L-BFGS-B whose `setulb` it drives)")

FG, NEW_X, STOP, STOP_MAXITER = 3, 1, 5, 504
_EPS = float(np.finfo(float).eps)

Objective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


class _State:
    """One problem's ``setulb`` work arrays (``n`` variables, ``m`` corrections); ``x``,
    ``f`` and ``g`` are views of the rows of the batch's arrays (:func:`minimize_batched`),
    which ``setulb`` updates in place."""

    __slots__ = ("dsave", "f", "g", "isave", "iwa", "ln_task", "lsave", "nit", "task", "wa", "x")

    def __init__(self, x: np.ndarray, f: np.ndarray, g: np.ndarray, m: int) -> None:
        n = len(x)
        self.x, self.f, self.g = x, f, g
        self.wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, dtype=np.float64)
        self.iwa = np.zeros(3 * n, dtype=np.int32)
        self.task = np.zeros(2, dtype=np.int32)
        self.ln_task = np.zeros(2, dtype=np.int32)
        self.lsave = np.zeros(4, dtype=np.int32)
        self.isave = np.zeros(44, dtype=np.int32)
        self.dsave = np.zeros(29, dtype=np.float64)
        self.nit = 0


def minimize_batched(
    fun: Objective,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    maxiter: int,
    m: int = 10,
    ftol: float = 2.2204460492503131e-09,
    gtol: float = 1e-5,
    maxls: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimize ``fun`` from each row of ``x0`` (``b x n``) within ``[lower, upper]``
    (``n`` each; ``-inf`` / ``inf``: unbounded on that side); ``fun`` maps ``k x n``
    points to their ``k`` values and ``k x n`` gradients. Returns the ``b x n`` end points
    and their ``b`` values.

    Per problem this is ``scipy.optimize.minimize(method="L-BFGS-B")`` with ``maxcor=m``,
    ``ftol``, ``gtol``, ``maxls`` and at most ``maxiter`` iterations."""
    b, n = x0.shape
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    if lower.shape != (n,) or upper.shape != (n,):
        raise ValueError(f"bounds must have length {n}, got {lower.shape} and {upper.shape}")
    if (lower > upper).any():
        raise ValueError("a lower bound is above its upper bound")
    has_lo, has_hi = np.isfinite(lower), np.isfinite(upper)
    # setulb's codes: 0 unbounded, 1 lower only, 2 both, 3 upper only (0 where infinite)
    nbd = np.where(has_lo, np.where(has_hi, 2, 1), np.where(has_hi, 3, 0)).astype(np.int32)
    lo, hi = np.where(has_lo, lower, 0.0), np.where(has_hi, upper, 0.0)
    factr, setulb = ftol / _EPS, _lbfgsb.setulb
    # the iterates, values and gradients of all problems, one row each: a round's points
    # are gathered and its values scattered by one indexing operation each
    X = np.array(np.clip(x0, lower, upper), dtype=np.float64, order="C")
    F, G = np.zeros(b), np.zeros((b, n))
    states = [_State(X[i], F[i : i + 1].reshape(()), G[i], m) for i in range(b)]
    waiting = list(range(b))  # problems that need (f, g) at their x, or a first call
    while waiting:
        want: list[int] = []
        for i in waiting:
            s = states[i]
            while True:
                setulb(m, s.x, lo, hi, nbd, s.f, s.g, factr, gtol, s.wa, s.iwa, s.task,
                       s.lsave, s.isave, s.dsave, maxls, s.ln_task)  # fmt: skip
                code = s.task[0]
                if code == FG:
                    want.append(i)
                    break
                if code != NEW_X:
                    break  # stopped
                s.nit += 1
                if s.nit >= maxiter:
                    s.task[0], s.task[1] = STOP, STOP_MAXITER
        if want:
            values, grads = fun(X[want])
            F[want] = np.asarray(values, dtype=np.float64).reshape(len(want))
            G[want] = np.asarray(grads, dtype=np.float64).reshape(len(want), n)
        waiting = want
    return X.copy(), F.copy()
