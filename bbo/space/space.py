"""The search space and its encoder.

Two encoded views of a configuration, both ``float64`` numpy arrays:

* **index view** ``X`` of shape ``n x d`` (``d = len(space)``): one column per parameter,
  each in ``[0, 1]`` as :mod:`bbo.space.params` defines. ``categorical_dims`` and
  ``discrete_dims`` say which columns take only ``k`` levels (bin centres
  ``(i + 1/2) / k``), so a model can use a categorical kernel or round as it needs;
  :meth:`Space.levels` lists those levels and :meth:`Space.snap_to_levels` moves points
  onto them.
* **one-hot view** ``Z`` of shape ``n x D``: every categorical column with ``k`` choices is
  replaced by ``k`` indicator columns (in place, keeping parameter order); other columns are
  copied. ``from_onehot`` takes the arg-max of each block, so relaxed (non 0/1) blocks from
  a continuous optimizer decode too.

Decoding always yields a valid configuration of native Python values; encoding validates.

Linear parameter constraints (``Space(params, constraints=["x1 + 2*x2 <= 10"])``,
:mod:`bbo.space.linear`) restrict the space to a polytope in **user units**: they are part
of the space (its equality, its study's identity), checked to be satisfiable when the space
is built (:func:`bbo.space.feasible.check_feasible`), and :meth:`Space.feasible` tells
whether a configuration satisfies them. :meth:`Space.validate`, :meth:`Space.decode` and the
encoder ignore them (a decoded point may be infeasible; strategies and the study reject or
:meth:`Space.repair` such points); :meth:`Space.sample` draws only feasible points.
Conditional parameters (``Float(0, 1, when={"optimizer": ["sgd"]})``,
:mod:`bbo.space.conditions`): a configuration holds only its active parameters
(:meth:`Space.validate`); the encoded views keep every column, an inactive one at a fixed
value (:meth:`Space.impute`), and :meth:`Space.decode` drops the parameters its decoded
parents leave inactive.
numpy is imported by the methods that build or read arrays, not with the module: a space is
defined, validated and serialized (``bbo show``, ``bbo tell``) without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError, InvalidParamsError, InvalidSpaceError
from bbo.space.conditions import Conditions
from bbo.space.linear import LinearConstraint, parse_linear_all
from bbo.space.params import Categorical, Param, Scalar, bin_centre, param_from_dict

if TYPE_CHECKING:
    import numpy as np

MAX_LEVELS = 256  # Int/Ordinal columns with more levels are searched as continuous ones
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class Space(Mapping[str, Param]):
    """An ordered mapping ``name -> Param``.

    >>> space = Space({"x": Float(-5.0, 10.0), "act": Categorical(["relu", "tanh"])})

    ``constraints``: linear parameter constraints such as ``"x1 + 2*x2 <= 10"`` over Float
    and Int parameters (see the module docstring); refused when they cannot all hold.
    """

    def __init__(
        self,
        params: Mapping[str, Param],
        constraints: Sequence[str | LinearConstraint] = (),
    ) -> None:
        if not isinstance(params, Mapping):
            raise InvalidSpaceError(f"a space is a mapping name -> parameter, got {params!r}")
        if len(params) == 0:
            raise InvalidSpaceError("a space needs at least one parameter")
        for name, p in params.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise InvalidSpaceError(
                    f"parameter name {name!r} must start with a letter or `_` and hold only "
                    "letters, digits, `_`, `.` and `-`"
                )
            if not isinstance(p, Param):
                raise InvalidSpaceError(
                    f"parameter {name!r} must be a bbo.Float, Int, Categorical or Ordinal, "
                    f"got {p!r}"
                )
        self._params: dict[str, Param] = dict(params)
        self._names = tuple(self._params)
        # one-hot layout: for each index-view column, its slice in the one-hot view
        self._slices: list[slice] = []
        start = 0
        for p in self._params.values():
            width = len(p.choices) if isinstance(p, Categorical) else 1
            self._slices.append(slice(start, start + width))
            start += width
        self._onehot_dim = start
        self._conditions = Conditions(self._params)  # `when`: bbo.space.conditions
        self._constraints = parse_linear_all(constraints, self._params)
        self._conditions.check_linear(self._constraints)
        if self._constraints:
            from bbo.space.feasible import check_feasible

            check_feasible(self)

    # -- mapping protocol ------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Space)
            and list(self._params.items()) == list(other._params.items())
            and self.constraint_texts == other.constraint_texts
        )

    def __hash__(self) -> int:
        return hash((tuple(self._params.items()), self.constraint_texts))

    def __repr__(self) -> str:
        if self._constraints:
            return f"Space({self._params!r}, constraints={list(self.constraint_texts)!r})"
        return f"Space({self._params!r})"

    # -- linear parameter constraints ---------------------------------------------------
    @property
    def constraints(self) -> tuple[LinearConstraint, ...]:
        """The linear parameter constraints, parsed (:class:`LinearConstraint`)."""
        return self._constraints

    @property
    def constraint_texts(self) -> tuple[str, ...]:
        """The constraints as written (their stored form)."""
        return tuple(c.text for c in self._constraints)

    def with_constraints(self, constraints: Sequence[str | LinearConstraint]) -> Space:
        """This space's parameters with ``constraints`` (replacing its own)."""
        return Space(self._params, constraints)

    def feasible(self, params: Mapping[str, Any]) -> bool:
        """Whether a (valid) configuration satisfies every parameter constraint exactly."""
        return all(c.satisfied(params) for c in self._constraints)

    def check_feasible(self, params: Mapping[str, Any]) -> dict[str, Scalar]:
        """:meth:`validate`, then the parameter constraints: InvalidParamsError naming the
        first one ``params`` breaks. The check of a point a user gives (enqueue, add)."""
        valid = self.validate(params)
        if self._constraints:
            from bbo.space.feasible import check_params

            check_params(self, valid)
        return valid

    def repair(self, params: Mapping[str, Any]) -> dict[str, Scalar] | None:
        """``params`` when feasible, else the nearest feasible configuration (in range-scaled
        user units, :func:`bbo.space.feasible.repair`), None when none is found."""
        if not self._constraints or self.feasible(params):
            return dict(params)
        from bbo.space.feasible import repair

        return repair(self, params)

    # -- conditional parameters (bbo.space.conditions) -----------------------------------
    @property
    def conditions(self) -> Conditions:
        """The parameters' ``when`` conditions, checked and ordered (false when none)."""
        return self._conditions

    def impute(self, X: Any) -> Any:
        """``... x d`` encoded points (numpy or torch) with each column its configuration
        leaves inactive set to the fixed value a model sees there (:meth:`encode` writes
        the same); ``X`` itself on a space without conditions."""
        return self._conditions.impute(X) if self._conditions else X

    # -- shape information -------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    @property
    def dim(self) -> int:
        """``d``: columns of the index view."""
        return len(self._names)

    @property
    def onehot_dim(self) -> int:
        """``D``: columns of the one-hot view."""
        return self._onehot_dim

    @property
    def categorical_dims(self) -> dict[int, int]:
        """Index-view column -> number of choices, for Categorical parameters."""
        return {
            i: len(p.choices)
            for i, p in enumerate(self._params.values())
            if isinstance(p, Categorical)
        }

    @property
    def discrete_dims(self) -> dict[int, int]:
        """Index-view column -> number of levels, for Int and Ordinal parameters."""
        return {
            i: p.cardinality
            for i, p in enumerate(self._params.values())
            if p.cardinality is not None and not isinstance(p, Categorical)
        }

    def levels(
        self, max_levels: int = MAX_LEVELS
    ) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
        """Encoded levels of the discrete columns, ``(discrete, categorical)``: each maps an
        index-view column to its sorted allowed values (:meth:`Param.levels`). Int and
        Ordinal columns with more than ``max_levels`` levels are left out (an optimizer
        treats them as continuous and the decoder rounds); Categorical columns never are."""
        discrete: dict[int, list[float]] = {}
        cats: dict[int, list[float]] = {}
        for j, p in enumerate(self._params.values()):
            k = p.cardinality
            if isinstance(p, Categorical):
                cats[j] = p.levels()
            elif k is not None and k <= max_levels:
                discrete[j] = p.levels()  # type: ignore[assignment]
        return discrete, cats

    def snap_to_levels(self, X: Any, max_levels: int = MAX_LEVELS) -> Any:
        """``X`` (``n x d`` encoded, a numpy array or a torch tensor) with every column of
        :meth:`levels` moved to its nearest level, in place; returns ``X``."""
        import numpy as np

        discrete, cats = self.levels(max_levels)
        for j, vals in {**discrete, **cats}.items():
            if hasattr(X, "new_tensor"):  # torch, without importing it here
                grid = X.new_tensor(vals)
            else:
                grid = np.asarray(vals, dtype=X.dtype)
            X[:, j] = grid[abs(X[:, j, None] - grid).argmin(-1)]
        return X

    @property
    def cardinality(self) -> int | None:
        """Number of distinct configurations, or ``None`` if any parameter is continuous."""
        if self._conditions:
            return self._conditions.count()
        total = 1
        for p in self._params.values():
            if p.cardinality is None:
                return None
            total *= p.cardinality
        return total

    # -- validation ----------------------------------------------------------------------
    def validate(self, params: Mapping[str, Any]) -> dict[str, Scalar]:
        """Canonical copy of ``params``; InvalidParamsError names the parameter and rule."""
        if not isinstance(params, Mapping):
            raise InvalidParamsError(f"params must be a mapping name -> value, got {params!r}")
        unknown = sorted(set(params) - set(self._names))
        if unknown:
            raise InvalidParamsError(
                f"unknown parameter(s) {unknown}; the space has {list(self._names)}"
            )
        if self._conditions:  # exactly the active parameters
            return self._conditions.validate(params)
        missing = [n for n in self._names if n not in params]
        if missing:
            raise InvalidParamsError(f"missing parameter(s) {missing}")
        out: dict[str, Scalar] = {}
        for name, p in self._params.items():
            try:
                out[name] = p.validate(params[name])
            except InvalidParamsError as e:
                raise InvalidParamsError(f"parameter {name!r}: {e}") from None
        return out

    def contains(self, params: Mapping[str, Any]) -> bool:
        """True when ``params`` names every parameter once, each with a valid value."""
        try:
            self.validate(params)
        except InvalidParamsError:
            return False
        return True

    # -- index view ------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """One configuration -> ``(d,)`` array in ``[0, 1]``."""
        import numpy as np

        valid = self.validate(params)
        if self._conditions:  # an inactive column holds its fixed value
            fill = self._conditions.fill
            return np.array(
                [
                    self._params[n].encode(valid[n]) if n in valid else fill[j]
                    for j, n in enumerate(self._names)
                ],
                dtype=float,
            )
        return np.array([self._params[n].encode(valid[n]) for n in self._names], dtype=float)

    def encode_many(self, configs: list[Mapping[str, Any]]) -> np.ndarray:
        """``n`` configurations -> ``(n, d)`` array."""
        import numpy as np

        if not configs:
            return np.zeros((0, self.dim))
        return np.stack([self.encode(c) for c in configs])

    def decode(self, x: np.ndarray) -> dict[str, Scalar]:
        """``(d,)`` array (values outside ``[0, 1]`` are clipped) -> configuration."""
        import numpy as np

        x = np.asarray(x, dtype=float)
        if x.shape != (self.dim,):
            raise InvalidParamsError(f"expected an array of shape ({self.dim},), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise InvalidParamsError(f"encoded point must be finite, got {x.tolist()}")
        out = {n: self._params[n].decode(float(u)) for n, u in zip(self._names, x)}
        return self._conditions.prune(out) if self._conditions else out

    def decode_many(self, X: np.ndarray) -> list[dict[str, Scalar]]:
        """``(n, d)`` array -> ``n`` configurations."""
        import numpy as np

        return [self.decode(x) for x in np.asarray(X, dtype=float).reshape(-1, self.dim)]

    # -- one-hot view ------------------------------------------------------------------------
    def to_onehot(self, X: np.ndarray) -> np.ndarray:
        """``(n, d)`` index view -> ``(n, D)`` one-hot view."""
        import numpy as np

        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        Z = np.zeros((X.shape[0], self._onehot_dim))
        for j, (p, sl) in enumerate(zip(self._params.values(), self._slices)):
            if isinstance(p, Categorical):
                k = len(p.choices)
                idx = np.clip(np.floor(np.clip(X[:, j], 0.0, 1.0) * k), 0, k - 1).astype(int)
                Z[np.arange(X.shape[0]), sl.start + idx] = 1.0
            else:
                Z[:, sl.start] = X[:, j]
        return Z

    def from_onehot(self, Z: np.ndarray) -> np.ndarray:
        """``(n, D)`` one-hot (or relaxed) view -> ``(n, d)`` index view (arg-max per block)."""
        import numpy as np

        Z = np.asarray(Z, dtype=float).reshape(-1, self._onehot_dim)
        X = np.zeros((Z.shape[0], self.dim))
        for j, (p, sl) in enumerate(zip(self._params.values(), self._slices)):
            if isinstance(p, Categorical):
                X[:, j] = bin_centre(np.argmax(Z[:, sl], axis=1), len(p.choices))
            else:
                X[:, j] = Z[:, sl.start]
        return X

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | int) -> list[dict[str, Scalar]]:
        """``n`` independent uniform draws (uniform in the index view), restricted to the
        parameter constraints by rejection (InvalidArgumentError when the feasible fraction
        is too small, :func:`bbo.space.feasible.sample_feasible`)."""
        import numpy as np

        if not isinstance(n, int) or n < 0:
            raise InvalidArgumentError(f"`n >= 0` must hold, got n={n!r}")
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        if self._constraints:
            from bbo.space.feasible import sample_feasible

            return self.decode_many(sample_feasible(self, n, gen))
        return self.decode_many(gen.random((n, self.dim)))

    # -- serialization -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, dict[str, Any]]:
        """JSON-ready form, the same as the ``space:`` section of study.yaml."""
        return {n: p.to_dict() for n, p in self._params.items()}

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], constraints: Sequence[str | LinearConstraint] = ()
    ) -> Space:
        if not isinstance(d, Mapping):
            raise InvalidSpaceError(f"a space is a mapping name -> parameter, got {d!r}")
        params = {}
        for name, spec in d.items():
            try:
                params[name] = param_from_dict(spec)
            except InvalidSpaceError as e:
                raise InvalidSpaceError(f"parameter {name!r}: {e}") from None
        return cls(params, constraints)


def params_key(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Hashable identity of a configuration (used to keep suggestions distinct)."""
    return tuple(
        (k, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
        for k, v in sorted(params.items())
    )
