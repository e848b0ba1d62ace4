"""Editing the space of a running study: ``study.edit_space(new_space, defaults=...)``.

Every stored trial stays, as it was evaluated (its ``params`` are never rewritten), and keeps
informing the model. Strategies see each trial *under the current space*
(:func:`current_params`): a removed parameter's value is left out, an added parameter takes
the value the edit declared that stored trials implicitly had (``defaults``), and a value
outside a narrowed range is kept (models see it beyond the unit cube,
:mod:`bbo.space.outside`; suggestions come from the new range only, and such a trial is
never offered again as a retry).

What an edit may do (anything else is refused with the field and the rule, and nothing is
stored):

* Float/Int: change ``low``, ``high`` (widen, narrow, shift) and ``log``; ``log=True``
  needs every stored value of it to be ``> 0``.
* Categorical/Ordinal: add choices, reorder them, remove choices no stored trial or queued
  point holds.
* add a parameter: ``defaults[name]``, a value of the new parameter, is needed when stored
  trials lack it and it would be active for them (a conditional parameter whose conditions
  do not hold for a stored trial is simply inactive there, :func:`active_only`); remove a
  parameter (its stored values are kept, and ignored) -- not a parent that a kept
  parameter's ``when`` names (refused naming both).
* change the linear parameter constraints (``parameter_constraints=``).
* not: change a parameter's type (remove it and add one under a new name), give a default
  for a parameter that is not added, leave a queued point outside the new space.

The edit is recorded (:class:`~bbo.study.storage.base.SpaceEdit`: the old and new space,
the defaults, the changes) in the same storage transaction that stores the new spec and
clears the strategy state, so a CMA-ES or DE population restarts from the trials.
A process that has the study open follows an edit made elsewhere at its next ask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bbo.exceptions import (
    ConcurrentUpdateError,
    FailedPreconditionError,
    InvalidArgumentError,
    InvalidParamsError,
    InvalidSpaceError,
)
from bbo.space import Space
from bbo.space.params import Param, _Choice, _Range, param_from_dict
from bbo.study.spec import StudySpec
from bbo.study.storage import QueuedPoint, SpaceEdit, Storage, StudyRecord
from bbo.trial import Trial

_ATTEMPTS = 4  # compare-and-set retries when a trial is added during an edit


def space_dict(space: Space) -> dict[str, Any]:
    """The stored form of a space with its linear constraints (:attr:`SpaceEdit.old`)."""
    return {"space": space.to_dict(), "parameter_constraints": list(space.constraint_texts)}


def readable(p: Param, v: Any) -> bool:
    """Whether a stored value ``v`` can be read under ``p``: a number of the right kind for
    a Float/Int (in range or not; ``> 0`` when ``log=True``), one of the choices else."""
    if isinstance(p, _Range):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        if p.type_name == "int" and float(v) != int(v):
            return False
        return not (p.log and v <= 0)
    if isinstance(p, _Choice):
        try:
            p.index(v)
        except InvalidParamsError:
            return False
        return True
    return False


def current_params(
    params: Mapping[str, Any], space: Space, fill: Mapping[str, Any]
) -> dict[str, Any]:
    """A stored configuration read under ``space``: its readable values, ``fill[name]``
    (the declared default of an added parameter) where it has none; other parameters are
    dropped. A parameter absent from both stays absent."""
    out: dict[str, Any] = {}
    for name, p in space.items():
        if name in params and readable(p, params[name]):
            out[name] = params[name]
        elif name in fill:
            out[name] = fill[name]
        elif name in params:
            out[name] = params[name]  # unreadable: the encoder names the problem
    return active_only(space, out)


def active_only(space: Space, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the parameters its own values leave inactive under ``space``'s
    conditions (:mod:`bbo.space.conditions`): an added conditional parameter is simply
    absent from a stored trial whose parents do not switch it on."""
    c = space.conditions
    if not c:
        return dict(values)
    kept: dict[str, Any] = {}
    for n in c.order:
        if n in values and c.active(n, kept):
            kept[n] = values[n]
    return {n: kept[n] for n in space.names if n in kept}


def fill_of(edits: Sequence[SpaceEdit]) -> dict[str, Any]:
    """The value of each added parameter for stored trials that lack it (later edits win)."""
    fill: dict[str, Any] = {}
    for e in edits:
        fill.update(e.defaults)
    return fill


@dataclass(frozen=True)
class Plan:
    """A checked edit: the defaults to store and the changes, one line each."""

    defaults: dict[str, Any]
    changes: tuple[str, ...]


def _range_text(p: _Range) -> str:
    return f"[{p.low!r}, {p.high!r}]" + (" log" if p.log else "")


def _holders(trials: Sequence[Trial], name: str) -> list[tuple[int, Any]]:
    return [(t.id, t.params[name]) for t in trials if name in t.params]


def _check_kept(name: str, old: Param, new: Param, trials: Sequence[Trial]) -> list[str]:
    """The change lines of a parameter in both spaces; InvalidArgumentError for a change
    that would make stored values unreadable."""
    if type(old) is not type(new):
        raise InvalidArgumentError(
            f"`space.{name}.type`: a parameter's type cannot change ({old.type_name} -> "
            f"{new.type_name}): stored trials hold {old.type_name} values; remove {name!r} "
            "and add a parameter under a new name"
        )
    if old == new:
        return []
    same_domain = (
        (old.low, old.high, old.log) == (new.low, new.high, new.log)
        if isinstance(old, _Range) and isinstance(new, _Range)
        else old.options == new.options  # type: ignore[attr-defined]
    )
    if same_domain:  # another attribute (a prior, a condition)
        return [f"{name}: {old.to_dict()} -> {new.to_dict()}"]
    if isinstance(old, _Range) and isinstance(new, _Range):
        if new.log:
            bad = [(i, v) for i, v in _holders(trials, name) if readable(old, v) and v <= 0]
            if bad:
                raise InvalidArgumentError(
                    f"`space.{name}.log`: log=True needs every stored value > 0, trial "
                    f"{bad[0][0]} has {name}={bad[0][1]!r}"
                )
        outside = sum(1 for _, v in _holders(trials, name) if not new.low <= v <= new.high)
        kind = (
            "widened"
            if new.low <= old.low and new.high >= old.high
            else "narrowed"
            if new.low >= old.low and new.high <= old.high
            else "moved"
        )
        note = f"; {outside} stored trial(s) now outside, kept" if outside else ""
        return [f"{name}: {_range_text(old)} -> {_range_text(new)} ({kind}{note})"]
    assert isinstance(old, _Choice) and isinstance(new, _Choice)  # same type, not a range
    field = "choices" if old.type_name == "categorical" else "values"
    removed = [c for c in old.options if not readable(new, c)]
    used = {c: i for i, v in reversed(_holders(trials, name)) for c in removed if c == v}
    if used:
        c, i = next(iter(used.items()))
        raise InvalidArgumentError(
            f"`space.{name}.{field}`: a choice that stored trials hold cannot be removed "
            f"({c!r}: trial {i}); keep it in the list"
        )
    added = [c for c in new.options if not readable(old, c)]
    out = []
    if added:
        out.append(f"{name}: {field} added {added}")
    if removed:
        out.append(f"{name}: {field} removed {removed} (no stored trial held them)")
    if not added and not removed:
        out.append(f"{name}: {field} reordered {list(new.options)}")
    return out


def _check_defaults(old: Space, new: Space, defaults: Any) -> dict[str, Any]:
    if not isinstance(defaults, Mapping) or not all(isinstance(k, str) for k in defaults):
        raise InvalidArgumentError(
            f"`defaults` must be a mapping parameter name -> value, got {defaults!r}"
        )
    out: dict[str, Any] = {}
    for name, v in defaults.items():
        if name not in new:
            raise InvalidArgumentError(
                f"`defaults.{name}`: {name!r} is not a parameter of the new space {list(new.names)}"
            )
        if name in old:
            raise InvalidArgumentError(
                f"`defaults.{name}`: defaults are for added parameters; {name!r} is already "
                "in the space (stored trials keep their own values)"
            )
        try:
            out[name] = new[name].validate(v)
        except InvalidParamsError as e:
            raise InvalidArgumentError(f"`defaults.{name}`: {e}") from None
    return out


def plan_edit(
    old: Space,
    new: Space,
    defaults: Any,
    trials: Sequence[Trial],
    queue: Sequence[QueuedPoint] = (),
) -> Plan | None:
    """Check the edit ``old -> new`` of a study holding ``trials`` and ``queue`` (the rules
    of the module docstring); None when ``new`` is ``old`` (nothing to do)."""
    if old == new:  # a retried edit: nothing to do (its defaults were recorded)
        return None
    given = _check_defaults(old, new, defaults)
    changes: list[str] = []
    for name in old.names:
        if name in new:
            changes += _check_kept(name, old[name], new[name], trials)
    for name in new.names:
        if name in old:
            continue
        lacking = [  # stored trials where it is active (its conditions hold) and missing
            t.id
            for t in trials
            if not readable(new[name], t.params.get(name))
            and new.conditions.active(name, current_params(t.params, new, given))
        ]
        if lacking and name not in given:
            raise InvalidArgumentError(
                f"`defaults.{name}`: the added parameter {name!r} needs the value that the "
                f"{len(lacking)} stored trial(s) lacking it implicitly had, e.g. "
                f"defaults={{{name!r}: ...}} (`bbo space edit --default {name}=...`)"
            )
        shown = f" (stored trials read with {name}={given[name]!r})" if name in given else ""
        changes.append(f"added {name}: {new[name].to_dict()}{shown}")
    changes += [
        f"removed {n} (stored values kept, ignored by models)" for n in old.names if n not in new
    ]
    if old.constraint_texts != new.constraint_texts:
        changes.append(
            f"parameter_constraints {list(old.constraint_texts)} -> {list(new.constraint_texts)}"
        )
    for q in queue:
        try:
            new.check_feasible(current_params(q.params, new, given))
        except InvalidParamsError as e:
            raise FailedPreconditionError(
                f"queued point {q.id} {q.params} would not fit the new space ({e}); the "
                "queue must fit it"
            ) from None
    return Plan(given, tuple(changes))


def as_space(space: Any, constraints: Sequence[str] | None, current: Space) -> Space:
    """The new space of an edit: a :class:`Space` (its constraints are the new ones unless
    ``constraints`` is given) or a mapping in study.yaml form (the current constraints unless
    ``constraints`` is given)."""
    if isinstance(constraints, str):
        constraints = [constraints]
    if isinstance(space, Space):
        return space if constraints is None else space.with_constraints(constraints)
    if not isinstance(space, Mapping):
        raise InvalidArgumentError(
            f"`space` must be a bbo.Space or a mapping name -> parameter, got {space!r}"
        )
    params = {}
    for n, p in space.items():
        try:
            params[n] = p if isinstance(p, Param) else param_from_dict(p)
        except InvalidSpaceError as e:
            raise InvalidSpaceError(f"parameter {n!r}: {e}") from None
    for n, p in params.items():  # a removed parent: say so in terms of the edit
        for c in getattr(p, "when", ()) or ():
            if c.parameter not in params and c.parameter in current:
                raise InvalidSpaceError(
                    f"parameter {n!r}: `when.{c.parameter}`: the edit removes "
                    f"{c.parameter!r}, which {n!r} depends on; remove {n!r} too or drop its "
                    "condition"
                )
    return Space(params, current.constraint_texts if constraints is None else constraints)


def edited_hint(edits: Sequence[SpaceEdit]) -> str:
    """What a study reopened with an old definition should be told when its space was
    edited: the stored space is the edited one."""
    if not edits:
        return ""
    return (
        f". Its space was edited {len(edits)} time(s) (`bbo space edit`; see `bbo show`): "
        "give the edited space"
    )


class SpaceEditing:
    """The space edits of :class:`bbo.Study` (a mixin over its storage and spec)."""

    _storage: Storage
    _study_id: int
    name: str
    spec: StudySpec
    _built: Any
    _fill_for: tuple[Space, dict[str, Any] | None] | None = None

    def edit_space(
        self,
        space: Space | Mapping[str, Any],
        *,
        defaults: Mapping[str, Any] | None = None,
        parameter_constraints: Sequence[str] | None = None,
    ) -> SpaceEdit | None:
        """Give the study the search space ``space`` (the whole new space: a
        :class:`bbo.Space`, or a mapping of parameters as in study.yaml); ``defaults``: for
        each added parameter, the value stored trials implicitly had. Every trial stays and
        keeps informing the model (module docstring: what may change). Returns the stored
        :class:`~bbo.study.storage.base.SpaceEdit`, or None when ``space`` is the current one
        (a retried edit changes nothing). InvalidArgumentError (FailedPreconditionError for
        the queue) names the field and the rule; nothing is stored then."""
        new = as_space(space, parameter_constraints, self.spec.space)
        with self._storage.ask_lock(self._study_id):
            for _ in range(_ATTEMPTS):
                rec = self._storage.get_study_by_id(self._study_id)
                stored = StudySpec.from_dict(rec.spec)
                trials = self._storage.get_trials(self._study_id)
                queue = self._storage.get_queue(self._study_id)
                plan = plan_edit(stored.space, new, defaults or {}, trials, queue)
                if plan is None:
                    self._follow_edits(rec)
                    return None
                edit = SpaceEdit(
                    space_dict(stored.space), space_dict(new), plan.defaults, plan.changes
                )
                try:
                    out = self._storage.edit_space(
                        self._study_id,
                        replace(stored, space=new).to_dict(),
                        edit,
                        expected_spec=rec.spec,
                        expected_count=len(trials),
                    )
                except ConcurrentUpdateError:
                    continue
                self._use_space(new)
                return out
        raise ConcurrentUpdateError(
            f"study {self.name!r} changed under {_ATTEMPTS} attempts to edit its space; retry"
        )

    @property
    def space_edits(self) -> list[SpaceEdit]:
        """The edits of the study's space, oldest first."""
        return self._storage.get_space_edits(self._study_id)

    def _use_space(self, space: Space) -> None:
        self.spec = replace(self.spec, space=space)
        self._built = None  # the strategy is rebuilt for the new space at the next ask
        self._fill_for = None

    def _follow_edits(self, record: StudyRecord) -> None:
        """Take the stored space when another process edited it (read at each ask)."""
        d = record.spec
        stored = (d.get("space"), list(d.get("parameter_constraints") or ()))
        if stored != (self.spec.space.to_dict(), list(self.spec.space.constraint_texts)):
            self._use_space(StudySpec.from_dict(d).space)

    def _space_fill(self) -> dict[str, Any] | None:
        """The defaults of the added parameters; None when the space was never edited."""
        if self._fill_for is None or self._fill_for[0] is not self.spec.space:
            edits = self._storage.get_space_edits(self._study_id)
            self._fill_for = (self.spec.space, fill_of(edits) if edits else None)
        return self._fill_for[1]

    def as_current(self, trials: Sequence[Trial]) -> list[Trial]:
        """``trials`` with their params read under the current space (what models see:
        :func:`current_params`); the trials themselves when the space was never edited."""
        fill = self._space_fill()
        if fill is None:
            return list(trials)
        space = self.spec.space
        return [replace(t, params=current_params(t.params, space, fill)) for t in trials]

    def _current_point(self, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """A stored point (a retried trial's, a queued one) read under the current space, or
        None when it is not in it (outside a narrowed range: not offered again)."""
        fill = self._space_fill()
        point = dict(params) if fill is None else current_params(params, self.spec.space, fill)
        return point if fill is None or self.spec.space.contains(point) else None


__all__ = [
    "Plan",
    "SpaceEditing",
    "active_only",
    "as_space",
    "current_params",
    "edited_hint",
    "fill_of",
    "plan_edit",
    "readable",
    "space_dict",
]
