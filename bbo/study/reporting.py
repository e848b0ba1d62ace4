"""Intermediate values and pruning for :class:`bbo.Study`: ``report``, ``should_prune``,
``reports`` (a mixin, so the study's module stays about ask and tell).

A report stores the first objective's value at a step (an epoch, an iteration) of a
RUNNING trial; the study's pruner (:mod:`bbo.pruners`), if it has one, then judges the
trial from its reports and those of the other trials. The study only answers: stopping
the evaluation and telling the trial ``pruned=True`` is the caller's (``bbo run`` does
both). A gRPC ``Report`` calls :meth:`Reporting.record_report` (``report`` with the stored
report).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from bbo.exceptions import InvalidArgumentError, InvalidValueError
from bbo.study.tells import trial_id
from bbo.trial import Report, Trial

if TYPE_CHECKING:
    from bbo.pruners import Pruner
    from bbo.study.spec import StudySpec
    from bbo.study.storage import Storage


def check_report(value: Any, step: Any) -> tuple[float, int]:
    """``(value, step)`` checked: a finite number and an integer ``>= 0``."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise InvalidArgumentError(f"`step` must be an integer >= 0, got {step!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        item = getattr(value, "item", None)
        if getattr(value, "ndim", None) != 0 or not callable(item):
            raise InvalidValueError(f"a reported `value` must be a number, got {value!r}")
        value = item()
    v = float(value)
    if not math.isfinite(v):
        raise InvalidValueError(
            f"a reported `value` must be finite, got {value!r} (tell failed=True for a "
            "diverged run, or report a large finite number)"
        )
    return v, int(step)


class Reporting:
    """``report`` / ``should_prune`` of :class:`bbo.Study` over its storage and pruner."""

    _storage: Storage
    _study_id: int
    spec: StudySpec
    _custom_pruner: Pruner | None = None
    _curves: dict[int, dict[int, float]]  # reports read so far (_model_reports)
    _curves_seq: int | None
    # how the strategies' models use PRUNED trials (History.pruned): "last", "offset",
    # "rung", "predicted" or "exclude"; None: by the pruner (:meth:`_model_use`). A class
    # attribute the pruning benchmark varies, not a stored setting
    _pruned_use: str | None = None

    @property
    def pruner(self) -> Pruner | None:
        """The pruner judging reports (from ``spec.pruner``, or the object given), or None."""
        if self._custom_pruner is not None:
            return self._custom_pruner
        from bbo.pruners import make_pruner

        if self.spec.fidelity is not None:
            from bbo.pruners.fidelity import make_fidelity

            fidelity = make_fidelity(self.spec.fidelity)
            return fidelity.pruner() if fidelity is not None else None

        return make_pruner(self.spec.pruner) if self.spec.pruner is not None else None

    def report(self, trial: Trial | int, value: float, step: int) -> bool:
        """Store ``value`` of the first objective at ``step`` for the RUNNING ``trial`` and
        return whether the pruner says to stop it (False without a pruner).

        Reporting the same ``(step, value)`` again is idempotent. Refused, with nothing
        stored: a non-finite ``value`` or a ``step`` that is not an integer >= 0
        (InvalidValueError / InvalidArgumentError); a report for a finished trial, a step
        below the trial's last reported step, or another value at a reported step
        (FailedPreconditionError); an unknown trial (TrialNotFoundError).
        """
        return self.record_report(trial, value, step)[1]

    def record_report(self, trial: Trial | int, value: float, step: int) -> tuple[Report, bool]:
        """:meth:`report`, answering also the stored report (for a retried report, the one
        stored first): what a gRPC ``Report`` sends back."""
        tid = trial_id(trial)
        v, s = check_report(value, step)
        stored = self._storage.add_report(self._study_id, tid, s, v)
        return stored, self.should_prune(tid)

    def should_prune(self, trial: Trial | int) -> bool:
        """Whether the pruner says to stop ``trial`` after its last report (False without
        a pruner, or before the trial's first report)."""
        pruner = self.pruner
        tid = trial_id(trial)
        if pruner is None:
            self._storage.get_trial(self._study_id, tid)  # TrialNotFoundError
            return False
        from bbo.pruners import Curve

        points: dict[int, dict[int, float]] = {}
        for r in self._storage.get_reports(self._study_id):
            points.setdefault(r.trial, {})[r.step] = r.value
        trials = self._storage.get_trials(self._study_id)
        if not 0 <= tid < len(trials):
            self._storage.get_trial(self._study_id, tid)  # raises TrialNotFoundError
        xs: list[tuple[float, ...]] = [()] * len(trials)
        if pruner.uses_params:  # a model over (configuration, step): the index view
            from bbo.space.outside import encode_stored

            xs = [tuple(r) for r in encode_stored(self.spec.space, [t.params for t in trials])]
        curves = [Curve.of(t.id, t.state, points.get(t.id, {}), x) for t, x in zip(trials, xs)]
        direction = self.spec.objectives[0].direction
        return pruner.should_prune(curves[tid], curves, direction)

    def reports(
        self, trial: Trial | int | None = None, *, since: int | None = None
    ) -> list[Report]:
        """The reports of one trial, or of every trial (ordered by trial, then step);
        ``since``: only those whose ``seq`` is greater (incremental reading)."""
        tid = None if trial is None else trial_id(trial)
        return self._storage.get_reports(self._study_id, trial_id=tid, since=since)

    def _model_use(self) -> str:
        """How the strategies' models use PRUNED trials (``History.pruned``, see
        :func:`bbo.strategies.base.model_trials`): ``"rung"`` (BOHB) under a ``hyperband``
        pruner, whose full-budget bracket soon gives enough COMPLETED trials;
        ``"offset"`` under any other (or none), whose pruned trials are most of the study;
        ``"curve-gp"`` under a pruner with ``curve_model: gp`` (its model, both halves).
        Chosen by ``python -m benchmarks.pruning`` (docs/benchmarks.md#pruning), where
        ``"predicted"`` (learning-curve extrapolations) lost to both on crossing curves."""
        if self._pruned_use is not None:
            return self._pruned_use
        spec = self.spec.pruner
        if self._custom_pruner is not None or spec is not None:  # the pruner's curve GP
            model = getattr(self._custom_pruner, "curve_model", None) or (spec or {}).get(
                "curve_model"
            )
            if model == "gp":
                return "curve-gp"
        return "rung" if self._pruner_name() in ("hyperband", "fidelity") else "offset"

    def _pruner_name(self) -> str | None:
        """The name of :attr:`pruner`, read off the spec (stored canonical) without building
        the pruner: every ask asks it."""
        if self._custom_pruner is not None:
            return self._custom_pruner.name
        if self.spec.fidelity is not None:
            return "fidelity"
        return None if self.spec.pruner is None else str(self.spec.pruner["name"])

    def _model_reports(self, any_pruned: bool) -> dict[int, dict[int, float]]:
        """Trial id -> ``{step: value}`` for the strategies' ``History`` (what
        ``pruned="rung"``, ``"offset"`` and ``"predicted"`` need): read only under those
        uses and once a trial was PRUNED (``any_pruned``: counted by the trial cache, not
        by a scan of every trial at every ask)."""
        if not any_pruned or self._model_use() not in ("rung", "offset", "predicted", "curve-gp"):
            return {}
        # a stored report never changes: read only those newer than the last read
        seq = self._curves_seq
        for r in self._storage.get_reports(self._study_id, since=seq):
            self._curves.setdefault(r.trial, {})[r.step] = r.value
            seq = r.seq if seq is None else max(seq, r.seq)
        self._curves_seq = seq
        return self._curves


def fidelity_attrs(spec: StudySpec) -> dict[str, Any]:
    """The attrs of a new trial of a multi-fidelity study: ``{"fidelity": high}``, the
    step to run it to (:attr:`bbo.Trial.fidelity`); none without a fidelity."""
    return {"fidelity": int(spec.fidelity["high"])} if spec.fidelity is not None else {}


__all__ = ["Reporting", "check_report", "fidelity_attrs"]
