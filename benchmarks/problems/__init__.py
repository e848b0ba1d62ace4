"""Benchmark problems with known optima, per-seed instances, grouped in families.

Every problem is minimised. :func:`make_problem` builds the *instance* of a problem for one
seed (an :class:`Instance`: see :mod:`benchmarks.problems.base`); instances differ by seed
(shifts, rotations, targets, COCO instances), so no method can win by sampling the box
centre. :data:`FAMILIES` groups the problem names:

* ``classic``: Branin, Hartmann-6, Ackley-10, Levy-8, Rosenbrock-6 (:mod:`.classic`);
* ``mixed``: integer / categorical spaces (``mixed``, ``mixed-logint``, ``mixed-discrete``;
  :mod:`.classic`, :mod:`.mixed`);
* ``noise``: Hartmann-6, Branin and BBOB f21 (Gallagher 101 peaks, 5-D) with homo- and
  heteroscedastic noise at 1, 5 and 20% of their range, plus ``hartmann6-noisy``
  (:mod:`.noisy`);
* ``constrained``: outcome constraints (``branin-constrained``, ``hartmann6-constrained``,
  ``rastrigin10-constrained``; :mod:`.constrained`);
* ``high-dim``: Branin and Hartmann-6 embedded in 100-D and 200-D (:mod:`.embedded`);
* ``bbob``: the 24 COCO BBOB functions in 2, 5, 10 and 20 dimensions (:mod:`.bbob`).

The ``cocoex`` package is imported only when a BBOB problem is built.
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.problems import bbob, classic, constrained, embedded, mixed, noisy
from benchmarks.problems.base import (
    CONSTRAINT,
    H6_ARGMIN,
    H6_MIN,
    OBJECTIVE,
    Instance,
    Params,
    branin,
    hartmann6,
    levy,
    random_rotation,
    rosenbrock,
)

__all__ = [
    "CONSTRAINT",
    "FAMILIES",
    "H6_ARGMIN",
    "H6_MIN",
    "OBJECTIVE",
    "PROBLEMS",
    "Instance",
    "Params",
    "branin",
    "family_of",
    "hartmann6",
    "levy",
    "make_problem",
    "problem_dims",
    "random_rotation",
    "rosenbrock",
]

Builder = Callable[[int], Instance]


def _bbob_builder(function: int, dim: int) -> Builder:
    def make(seed: int) -> Instance:
        return bbob.make_bbob(function, dim, seed)

    return make


_CLASSIC: dict[str, Builder] = {
    "branin": classic.make_branin,
    "hartmann6": classic.make_hartmann6,
    "ackley10": classic.make_ackley10,
    "ackley20": classic.make_ackley(20),
    "levy8": classic.make_levy8,
    "rosenbrock6": classic.make_rosenbrock6,
}
_MIXED: dict[str, Builder] = {
    "mixed": classic.make_mixed,
    "mixed-logint": mixed.make_mixed_logint,
    "mixed-discrete": mixed.make_mixed_discrete,
}
_BBOB: dict[str, Builder] = {
    bbob.problem_name(f, d): _bbob_builder(f, d) for d in bbob.DIMS for f in bbob.FUNCTIONS
}
_NOISE_BASES: dict[str, Builder] = {
    "hartmann6": classic.make_hartmann6,
    "branin": classic.make_branin,
    "bbob-f21-d5": _BBOB["bbob-f21-d5"],
}
_NOISE: dict[str, Builder] = {"hartmann6-noisy": classic.make_hartmann6_noisy}
for _base, _build in _NOISE_BASES.items():
    for _kind in ("noise", "hetnoise"):
        for _level in noisy.LEVELS:
            _name = f"{_base}-{_kind}{_level}"
            _NOISE[_name] = noisy.make_noisy(_name, _build, _level, _kind == "hetnoise")
_CONSTRAINED: dict[str, Builder] = {
    "branin-constrained": classic.make_branin_constrained,
    "hartmann6-constrained": constrained.make_hartmann6_constrained,
    "rastrigin10-constrained": constrained.make_rastrigin10_constrained,
}
_HIGH_DIM: dict[str, Builder] = {
    "branin-emb100": embedded.make_embedded("branin", 100, rotated=False),
    "hartmann6-emb100": embedded.make_embedded("hartmann6", 100, rotated=False),
    "hartmann6-emb200": embedded.make_embedded("hartmann6", 200, rotated=False),
    "branin-rot100": embedded.make_embedded("branin", 100, rotated=True),
    "hartmann6-rot200": embedded.make_embedded("hartmann6", 200, rotated=True),
}
_GROUPS: dict[str, dict[str, Builder]] = {
    "classic": _CLASSIC,
    "mixed": _MIXED,
    "noise": _NOISE,
    "constrained": _CONSTRAINED,
    "high-dim": _HIGH_DIM,
    "bbob": _BBOB,
}

#: every problem name -> the builder of its instance for a seed
PROBLEMS: dict[str, Builder] = {n: b for group in _GROUPS.values() for n, b in group.items()}
#: family -> its problem names (each problem is in exactly one family)
FAMILIES: dict[str, list[str]] = {fam: list(group) for fam, group in _GROUPS.items()}
_FAMILY_OF = {n: fam for fam, names in FAMILIES.items() for n in names}


def family_of(name: str) -> str:
    """The family of problem ``name`` (``"other"`` for names no longer registered)."""
    return _FAMILY_OF.get(name, "other")


def problem_dims(name: str) -> tuple[int, int]:
    """``(dim, budget_dim)`` of a problem without building it where the name tells (BBOB,
    embedded), else from its seed-0 instance."""
    if name in _BBOB:
        return bbob.parse_name(name)[1], bbob.parse_name(name)[1]
    if name in _HIGH_DIM:
        return int(name.rsplit("emb" if "-emb" in name else "rot", 1)[1]), embedded.BUDGET_DIM
    inst = make_problem(name, 0)
    return inst.dim, inst.budget_dim


def make_problem(name: str, seed: int) -> Instance:
    """The instance of problem ``name`` for ``seed`` (ValueError lists the valid names)."""
    if name not in PROBLEMS:
        raise ValueError(
            f"unknown problem {name!r}; choose from the families "
            + "; ".join(
                f"{f}: {', '.join(ns[:6])}{' ...' if len(ns) > 6 else ''}"
                for f, ns in FAMILIES.items()
            )
        )
    return PROBLEMS[name](seed)
