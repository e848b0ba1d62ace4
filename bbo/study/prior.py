"""Warm start from earlier studies: which trials of a study's ``prior_studies`` its model
learns from.

``bbo.Study(..., prior_studies=["a", "b"])`` (study.yaml ``prior_studies:``, the proto's
``StudySpec.prior_studies``) names studies of the same storage. When a study is created or
reopened with them, each must exist, must not be the study itself, and must have told the
new study's objective metrics (an objective or a constraint of its own): otherwise
InvalidArgumentError names the study and the rule, and nothing is stored.

At its first ask in a process the study reads their COMPLETED trials, in the order the
studies are named, and passes the usable ones to the strategy in
:attr:`bbo.strategies.History.prior` (strategies never read storage):

- a prior study's parameter missing from the new space is dropped;
- a trial lacking a parameter of the new space, or whose value lies outside that
  parameter's domain in the new space, is unusable (the model cannot place it) and left
  out; so is a trial without a finite value of every objective metric of the new study;
- values are of the same metrics, so the new study's directions apply to them.

How the model uses them is :mod:`bbo.strategies.transfer` (the GP strategies: a prior mean).
A prior study deleted after the study was created is skipped (logged).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from bbo.exceptions import InvalidArgumentError, InvalidParamsError, StudyNotFoundError
from bbo.space import Space
from bbo.study.spec import StudySpec
from bbo.study.storage import Storage
from bbo.trial import Trial, TrialState

log = logging.getLogger("bbo.study")


def check_priors(storage: Storage, name: str, spec: StudySpec) -> None:
    """The rules of the module docstring for ``spec.prior_studies`` of study ``name``."""
    if not spec.prior_studies:
        return
    known = {r.name: r for r in storage.list_studies()}
    wanted = [o.name for o in spec.objectives]
    for prior in spec.prior_studies:
        if prior == name:
            raise InvalidArgumentError(
                f"`prior_studies`: study {name!r} cannot be its own prior study"
            )
        if prior not in known:
            there = ", ".join(repr(n) for n in known if n != name) or "none"
            raise InvalidArgumentError(
                f"`prior_studies`: no study named {prior!r} in {storage.url}; studies there: "
                f"{there}"
            )
        metrics = StudySpec.from_dict(known[prior].spec).metrics
        missing = [m for m in wanted if m not in metrics]
        if missing:
            raise InvalidArgumentError(
                f"`prior_studies`: study {prior!r} has no metric {missing[0]!r} (the objective "
                f"of this study); its metrics are {metrics}"
            )


def matched(t: Trial, space: Space, metrics: list[str]) -> Trial | None:
    """``t`` with its params matched to ``space`` (the module docstring's rules), or None
    when it is unusable."""
    params = {n: t.params[n] for n in space.names if n in t.params}
    if len(params) != len(space.names) and not space.conditions:
        return None  # (a conditional space's validate below names what must be there)
    try:
        valid = space.validate(params)
    except InvalidParamsError:
        return None
    if not all(isinstance(t.values.get(m), (int, float)) for m in metrics):
        return None
    if not all(math.isfinite(t.values[m]) for m in metrics):
        return None
    return replace(t, params=valid)


def read_priors(storage: Storage, spec: StudySpec) -> dict[str, tuple[list[Trial], int]]:
    """``name -> (usable trials, COMPLETED trials)`` of each prior study, in order."""
    metrics = [o.name for o in spec.objectives]
    out: dict[str, tuple[list[Trial], int]] = {}
    for prior in spec.prior_studies:
        try:
            rec = storage.get_study(prior)
        except StudyNotFoundError:
            log.warning("prior study %r is gone from %s: skipped", prior, storage.url)
            continue
        done = storage.get_trials(rec.id, states=[TrialState.COMPLETED])
        usable = [m for m in (matched(t, spec.space, metrics) for t in done) if m is not None]
        out[prior] = (usable, len(done))
    return out


class Priors:
    """The prior trials of :class:`bbo.Study`, read once per process (a mixin)."""

    _storage: Storage
    spec: StudySpec
    _priors: tuple[tuple[str, ...], tuple[Trial, ...]] | None = None

    def _prior_trials(self) -> tuple[Trial, ...]:
        """The usable trials of every prior study, for :attr:`History.prior`."""
        names = self.spec.prior_studies
        if not names:
            return ()
        if self._priors is None or self._priors[0] != names:
            read = read_priors(self._storage, self.spec)
            self._priors = (names, tuple(t for ts, _ in read.values() for t in ts))
        return self._priors[1]

    def prior_summary(self) -> dict[str, tuple[int, int]]:
        """``name -> (usable trials, COMPLETED trials)`` of each prior study (read now)."""
        read = read_priors(self._storage, self.spec)
        return {name: (len(ts), n) for name, (ts, n) in read.items()}


__all__ = ["Priors", "check_priors", "matched", "read_priors"]
