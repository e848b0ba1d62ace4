"""Priors on the optimum: a user's belief of where the best value of each parameter lies.

A :class:`Prior` is given per parameter (``bbo.Float(0, 1, prior=bbo.Prior(mean=0.3,
sd=0.1))``; study.yaml ``prior: {mean: 0.3, sd: 0.1}``) in one of three forms:

* ``Prior(mean, sd)`` for ``Float`` and ``Int``: a normal belief, truncated to the range.
  ``mean`` is a value of the parameter (inside ``[low, high]``); ``sd`` is in the
  parameter's units, except for ``log=True`` parameters, where it is in **decades**
  (``log10`` units): ``Float(1e-5, 1e-1, log=True, prior=Prior(mean=1e-3, sd=0.5))``
  believes the optimum lies within half a decade of ``1e-3`` with 68% probability.
* ``Prior(choice=c, weight=w)`` for ``Categorical`` and ``Ordinal``: choice ``c`` has
  probability ``w`` and the others share ``1 - w`` equally (default ``w``: 0.5, or 2/3
  with two choices).
* ``Prior(probs=[p_1, ..., p_k])``: one probability per choice, in the order of the
  choices, each ``> 0`` (a choice that can never be best belongs out of the space), summing
  to 1.

**The encoded density.** Every parameter is searched on the encoded axis ``u`` in
``[0, 1]`` (:mod:`bbo.space.params`), which is affine in ``t(v)`` (``v``, or ``log v``).
A normal belief in ``t`` is therefore a normal on ``u`` with

    mu_u = encode(mean),    sigma_u = sd / (t(hi) - t(lo))      (log: sd * ln 10 / ...)

(``(lo, hi)``: the parameter's encoded edges, an Int's relaxed ``[low - 1/2, high + 1/2]``),
truncated to ``[0, 1]``:

    log pi_j(u) = -z^2 / 2 - log(sigma_u sqrt(2 pi)) - log(Phi(b) - Phi(a)),
    z = (u - mu_u) / sigma_u,   a = -mu_u / sigma_u,   b = (1 - mu_u) / sigma_u

(the formula is used outside ``[0, 1]`` too, so an optimizer sees a smooth function;
``sigma_u`` is floored at ``1e-6``). A choice prior is the piecewise-constant density of
``[0, 1]`` whose bin ``i`` (``floor(u k)``) holds probability ``p_i``:
``log pi_j(u) = log(k p_i)``, zero for uniform probabilities. The prior of a configuration
is the product over the parameters that have one, ``log pi(x) = sum_j log pi_j(x_j)``
(:class:`SpacePrior`); parameters without a prior contribute nothing (a uniform belief).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidSpaceError

if TYPE_CHECKING:
    import numpy as np
    import torch

    from bbo.space.space import Space

Scalar = str | int | float | bool
PROB_TOL = 1e-6  # probabilities must sum to 1 within this
MIN_SIGMA = 1e-6  # encoded sd floor: keeps log pi finite over the whole cube
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _number(field: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise InvalidSpaceError(f"`prior.{field}` must be a finite number, got {v!r}")
    return float(v)


@dataclass(frozen=True, init=False)
class Prior:
    """A belief about where one parameter's optimum lies (see the module docstring):
    ``Prior(mean, sd)``, ``Prior(choice=c, weight=w)`` or ``Prior(probs=[...])``. The
    arguments are checked here (finite, ``sd > 0``, ``0 < weight < 1``, probabilities
    ``> 0`` summing to 1); the parameter checks the rest (``mean`` in range, ``choice``
    among the choices, one probability per choice)."""

    mean: float | None
    sd: float | None
    choice: Scalar | None
    weight: float | None
    probs: tuple[float, ...] | None

    def __init__(
        self,
        mean: float | None = None,
        sd: float | None = None,
        *,
        choice: Scalar | None = None,
        weight: float | None = None,
        probs: Sequence[float] | None = None,
    ) -> None:
        forms = [
            name
            for name, given in (
                ("mean/sd", mean is not None or sd is not None),
                ("choice", choice is not None or weight is not None),
                ("probs", probs is not None),
            )
            if given
        ]
        if len(forms) != 1:
            raise InvalidSpaceError(
                "`prior` takes one of {mean, sd}, {choice, weight} or {probs}, "
                f"got {forms or 'none'}"
            )
        if forms == ["mean/sd"]:
            if mean is None or sd is None:
                raise InvalidSpaceError(
                    f"`prior` needs both `mean` and `sd`, got mean={mean!r}, sd={sd!r}"
                )
            mean, sd = _number("mean", mean), _number("sd", sd)
            if not sd > 0:
                raise InvalidSpaceError(f"`prior.sd > 0` must hold, got sd={sd!r}")
        if forms == ["choice"]:
            if choice is None:
                raise InvalidSpaceError("`prior.weight` needs `prior.choice`")
            if not isinstance(choice, (str, int, float, bool)):
                raise InvalidSpaceError(
                    f"`prior.choice` must be one of the choices, got {choice!r}"
                )
            if weight is not None:
                weight = _number("weight", weight)
                if not 0 < weight < 1:
                    raise InvalidSpaceError(
                        f"`0 < prior.weight < 1` must hold, got weight={weight!r}"
                    )
        if probs is not None:
            probs = _check_probs(probs)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "sd", sd)
        object.__setattr__(self, "choice", choice)
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "probs", probs)

    def __repr__(self) -> str:
        return "Prior(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"

    @property
    def numeric(self) -> bool:
        """The ``mean``/``sd`` form."""
        return self.mean is not None

    def to_dict(self) -> dict[str, Any]:
        """The form it was given in (also its study.yaml form)."""
        if self.numeric:
            return {"mean": self.mean, "sd": self.sd}
        if self.probs is not None:
            return {"probs": list(self.probs)}
        out: dict[str, Any] = {"choice": self.choice}
        if self.weight is not None:
            out["weight"] = self.weight
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Prior:
        if not isinstance(d, Mapping):
            raise InvalidSpaceError(
                f"`prior` must be a mapping such as {{mean: 0.3, sd: 0.1}}, got {d!r}"
            )
        allowed = {"mean", "sd", "choice", "weight", "probs"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise InvalidSpaceError(
                f"`prior`: unknown field(s) {unknown}; allowed: {sorted(allowed)}"
            )
        return cls(**d)


def as_prior(value: Prior | Mapping[str, Any] | None) -> Prior | None:
    """A parameter's ``prior=`` argument: a :class:`Prior`, its dict form, or None."""
    if value is None or isinstance(value, Prior):
        return value
    return Prior.from_dict(value)


def _check_probs(probs: object) -> tuple[float, ...]:
    if isinstance(probs, (str, bytes)) or not isinstance(probs, Sequence) or not probs:
        raise InvalidSpaceError(f"`prior.probs` must be a non-empty list, got {probs!r}")
    out = tuple(_number("probs", p) for p in probs)
    bad = [p for p in out if not p > 0]
    if bad:
        raise InvalidSpaceError(f"`prior.probs` must all be > 0, got {list(out)!r}")
    if abs(sum(out) - 1.0) > PROB_TOL:
        raise InvalidSpaceError(f"`prior.probs` must sum to 1, got sum={sum(out)!r}")
    return out


def check_range_prior(kind: str, prior: Prior, low: float, high: float) -> None:
    """The rules a Float's or Int's prior obeys; InvalidSpaceError names the field."""
    if not prior.numeric:
        raise InvalidSpaceError(f"{kind}: `prior` takes `mean` and `sd`, got {prior.to_dict()!r}")
    assert prior.mean is not None
    if not low <= prior.mean <= high:
        raise InvalidSpaceError(
            f"{kind}: `low <= prior.mean <= high` must hold, got mean={prior.mean!r}, "
            f"low={low!r}, high={high!r}"
        )


def check_choice_prior(kind: str, prior: Prior, options: Sequence[Scalar], index: Any) -> None:
    """The rules a Categorical's or Ordinal's prior obeys (``index``: value -> position,
    raising on a value not among ``options``)."""
    if prior.numeric:
        raise InvalidSpaceError(
            f"{kind}: `prior` takes `choice` (and `weight`) or `probs`, got {prior.to_dict()!r}"
        )
    if prior.probs is not None and len(prior.probs) != len(options):
        raise InvalidSpaceError(
            f"{kind}: `prior.probs` needs one probability per choice ({len(options)}), "
            f"got {len(prior.probs)}"
        )
    if prior.choice is not None:
        try:
            index(prior.choice)
        except Exception:
            raise InvalidSpaceError(
                f"{kind}: `prior.choice` must be one of {list(options)!r}, got {prior.choice!r}"
            ) from None


def choice_probs(prior: Prior, k: int, position: int | None) -> list[float]:
    """The ``k`` probabilities of a choice prior (``position``: the preferred choice's)."""
    if prior.probs is not None:
        s = sum(prior.probs)
        return [p / s for p in prior.probs]
    if k == 1:
        return [1.0]
    w = prior.weight if prior.weight is not None else max(0.5, 2.0 / (k + 1))
    return [w if i == position else (1.0 - w) / (k - 1) for i in range(k)]


class SpacePrior:
    """The product prior of a space in the encoded cube (see the module docstring).

    ``cont``: the columns with a normal belief, their encoded ``mu`` and ``sigma`` and the
    log-normalizers ``log(Phi(b) - Phi(a))``; ``cats``: ``(column, log(k p))`` of the
    columns with a choice belief. Use :func:`space_prior` to build one."""

    def __init__(
        self, dim: int, cont: list[tuple[int, float, float]], cats: list[tuple[int, list[float]]]
    ) -> None:
        import numpy as np
        from scipy.special import ndtr

        self.dim = dim
        self.cols = np.array([c for c, _, _ in cont], dtype=int)
        self.mu = np.array([m for _, m, _ in cont], dtype=float)
        self.sigma = np.array([max(s, MIN_SIGMA) for _, _, s in cont], dtype=float)
        a, b = -self.mu / self.sigma, (1.0 - self.mu) / self.sigma
        self.log_z = np.log(ndtr(b) - ndtr(a))
        self.cats = [(j, np.log(len(p) * np.asarray(p, dtype=float))) for j, p in cats]

    # -- density -----------------------------------------------------------------------
    def log_density_np(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log pi`` at ``X`` (``n x d``) and its gradient: ``n`` and ``n x d`` (zero in
        the choice columns, where the density is piecewise constant)."""
        import numpy as np

        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        grad = np.zeros_like(X)
        z = (X[:, self.cols] - self.mu) / self.sigma
        value = (-0.5 * z**2 - np.log(self.sigma) - _LOG_SQRT_2PI - self.log_z).sum(-1)
        grad[:, self.cols] = -z / self.sigma
        for j, logp in self.cats:
            k = len(logp)
            idx = np.clip(np.floor(np.clip(X[:, j], 0.0, 1.0) * k), 0, k - 1).astype(int)
            value = value + logp[idx]
        return value, grad

    def log_density(self, X: torch.Tensor) -> torch.Tensor:
        """``log pi`` at ``X`` (``... x d``, torch) -> ``...``; differentiable in the
        normal columns (the choice columns are piecewise constant)."""
        import torch

        cols = torch.as_tensor(self.cols, device=X.device, dtype=torch.long)
        mu, sigma, log_z = (
            torch.as_tensor(a, device=X.device, dtype=X.dtype)
            for a in (self.mu, self.sigma, self.log_z)
        )
        z = (X.index_select(-1, cols) - mu) / sigma
        value = (-0.5 * z**2 - sigma.log() - _LOG_SQRT_2PI - log_z).sum(-1)
        for j, logp in self.cats:
            k = len(logp)
            idx = (X[..., j].detach().clamp(0.0, 1.0) * k).floor().clamp(max=k - 1).long()
            value = value + torch.as_tensor(logp, device=X.device, dtype=X.dtype)[idx]
        return value

    def mode(self) -> np.ndarray:
        """The most probable point (``d``): each normal column at ``mu``, each choice column
        at the centre of its most probable bin, the others at ``1/2``."""
        import numpy as np

        x = np.full(self.dim, 0.5)
        x[self.cols] = self.mu
        for j, logp in self.cats:
            x[j] = (int(np.argmax(logp)) + 0.5) / len(logp)
        return x

    # -- sampling ------------------------------------------------------------------------
    def ppf(self, U: np.ndarray) -> np.ndarray:
        """Points uniform in the cube (``n x d``) -> points distributed as the prior: each
        column with a belief goes through its inverse CDF (a choice column to the centre
        of its drawn bin), the others unchanged. Applied to a Sobol' sequence it gives a
        space-filling design under the prior."""
        import numpy as np
        from scipy.stats import truncnorm

        X = np.array(U, dtype=float).reshape(-1, self.dim)
        if len(self.cols):
            a, b = -self.mu / self.sigma, (1.0 - self.mu) / self.sigma
            X[:, self.cols] = truncnorm.ppf(X[:, self.cols], a, b, loc=self.mu, scale=self.sigma)
        for j, logp in self.cats:
            p = np.exp(logp) / len(logp)
            i = np.searchsorted(np.cumsum(p)[:-1], X[:, j], side="right")
            X[:, j] = (i + 0.5) / len(logp)
        return np.clip(X, 0.0, 1.0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` independent draws (``n x d``), uniform in the columns without a belief."""
        return self.ppf(rng.random((n, self.dim)))


def space_prior(space: Space) -> SpacePrior | None:
    """The :class:`SpacePrior` of ``space``; None when no parameter has a prior."""
    from bbo.space.params import _Choice, _Range

    cont: list[tuple[int, float, float]] = []
    cats: list[tuple[int, list[float]]] = []
    for j, p in enumerate(space.values()):
        prior: Prior | None = getattr(p, "prior", None)
        if prior is None:
            continue
        if isinstance(p, _Range):
            assert prior.mean is not None and prior.sd is not None
            lo, hi = p.edges()
            width = p.transform(hi) - p.transform(lo)
            sd = prior.sd * math.log(10) if p.log else prior.sd
            cont.append((j, p.encode(prior.mean), sd / width))
        elif isinstance(p, _Choice):
            pos = p.index(prior.choice) if prior.choice is not None else None
            cats.append((j, choice_probs(prior, len(p.options), pos)))
    if not cont and not cats:
        return None
    return SpacePrior(space.dim, cont, cats)
