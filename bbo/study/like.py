"""``StudyLike``: the ask/tell interface that :class:`bbo.Study` (local) and
:class:`bbo.client.RemoteStudy` (on a server) share, so code written against one runs
against the other (``def drive(study: StudyLike) -> ...``).

Both classes derive from it: the overloads of ``ask``, the definition's properties,
``best_trial`` and ``trials_dataframe()`` live here once; each class implements
:meth:`_ask` and the rest of the interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

from bbo.exceptions import InvalidArgumentError
from bbo.space import Space
from bbo.study.spec import StudySpec
from bbo.study.tells import trial_id
from bbo.trial import Constraint, Objective, Trial, TrialState

if TYPE_CHECKING:
    from bbo.statistics import Estimate


@runtime_checkable
class StudyLike(Protocol):
    """A study that can be asked and told. ``spec`` is its definition."""

    name: str
    spec: StudySpec

    @property
    def space(self) -> Space:
        return self.spec.space

    @property
    def objectives(self) -> tuple[Objective, ...]:
        return self.spec.objectives

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return self.spec.constraints

    @property
    def seed(self) -> int:
        seed = self.spec.seed
        assert seed is not None  # an opened study's seed is always chosen
        return seed

    @overload
    def ask(
        self, n: None = None, *, client_id: str | None = ..., lease: float | None = ...
    ) -> Trial: ...
    @overload
    def ask(
        self, n: int, *, client_id: str | None = ..., lease: float | None = ...
    ) -> list[Trial]: ...

    def ask(
        self, n: int | None = None, *, client_id: str | None = None, lease: float | None = None
    ) -> Trial | list[Trial]:
        """One trial (``n=None``) or a list of ``n`` trials with distinct configurations,
        chosen knowing the RUNNING ones. ``client_id`` names a worker: asking again returns
        its unfinished trials first; ``lease`` (seconds) makes a trial expire unless
        :meth:`heartbeat` extends it."""
        trials = self._ask(1 if n is None else n, client_id, lease)
        return trials[0] if n is None else trials

    def _ask(self, count: int, client_id: str | None, lease: float | None) -> list[Trial]: ...

    def tell(
        self,
        trial: Trial | int,
        value: float | Mapping[str, float] | None = None,
        *,
        samples: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        failed: bool = False,
        infeasible: bool = False,
        reason: str | None = None,
        request_id: str | None = None,
        pruned: bool = False,
    ) -> Trial: ...

    def enqueue(
        self,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        skip_if_exists: bool = False,
        attrs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> int:
        """Queue one point or a list of points to be evaluated before any suggestion (the
        next asks return them first, in order; ``attrs["source"] == "enqueued"``); every
        point is checked against the space first. ``skip_if_exists`` leaves out points equal
        to a trial or a queued point; a retry with the same ``request_id`` queues nothing
        again. Returns how many were queued (:mod:`bbo.study.queue`)."""
        ...

    @property
    def queued_count(self) -> int:
        """How many queued points wait for an ask."""
        ...

    def report(self, trial: Trial | int, value: float, step: int) -> bool:
        """Store ``value`` of the first objective at ``step`` for the RUNNING ``trial``;
        True when the study's pruner says to stop it (then tell it ``pruned=True``)."""
        ...

    def should_prune(self, trial: Trial | int) -> bool:
        """Whether the study's pruner says to stop ``trial`` after its last report."""
        ...

    def heartbeat(self, trials: Sequence[Trial | int], lease: float) -> int: ...

    def get_trials(
        self,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[Trial]: ...

    @property
    def trials(self) -> list[Trial]: ...

    def trial(self, trial: int) -> Trial: ...

    @property
    def best(self) -> Any: ...

    @property
    def best_trial(self) -> Trial:
        """:attr:`best` for a single objective, as Optuna names it; InvalidArgumentError
        for several objectives (their :attr:`best` is a Pareto set) or while there is no
        feasible completed trial."""
        if len(self.objectives) > 1:
            raise InvalidArgumentError(
                "`best_trial` is for a single objective; this study has "
                f"{[o.name for o in self.objectives]}: use `best` (the Pareto set)"
            )
        best: Trial | None = self.best
        if best is None:
            raise InvalidArgumentError(f"study {self.name!r} has no feasible completed trial yet")
        return best

    def estimate(
        self, trial: Trial | int | None = None, metric: str | None = None
    ) -> Estimate | None:
        """The statistic of ``trial``'s replicates of ``metric`` (default: the first
        objective; a constraint's metric gives its statistic; default trial: :attr:`best`)
        with its bootstrap standard error and 95% interval (:func:`bbo.statistics.bootstrap`,
        seeded by the trial id: the same numbers every time); None when the trial has no
        replicates of it (or is not COMPLETED)."""
        if trial is None:
            trial = self.best_trial
        elif not isinstance(trial, Trial) or trial.state == TrialState.RUNNING:
            trial = self.trial(trial_id(trial))  # an asked trial: its stored result
        from bbo.statistics import MEAN, bootstrap

        o = self.objectives[0]
        stat, sign = o.statistic, o.sign
        if metric is not None and metric != o.name:
            stat, sign = MEAN, 1.0
            for c in self.constraints:
                stat, sign = (c.statistic, c.sign) if c.metric == metric else (stat, sign)
            for ob in self.objectives:
                stat, sign = (ob.statistic, ob.sign) if ob.name == metric else (stat, sign)
        reps = trial.replicates(metric or o.name)
        if reps is None or trial.state != TrialState.COMPLETED:
            return None
        return bootstrap(reps, stat, sign, seed=trial.id)

    def trials_dataframe(self) -> Any:
        """Every trial as a pandas DataFrame, one row per trial, with the columns of
        ``bbo trials``/``bbo export`` (``trial``, ``state``, ``value``, ``values.<metric>``,
        ``params.<name>``, ``samples``, ``source``, ``reason``, ...; for an objective
        statistic other than the mean ``value_se``, ``value_low``, ``value_high``: its
        bootstrap uncertainty). Needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise InvalidArgumentError(
                "trials_dataframe() needs pandas: pip install pandas (or bbo[dataframe])"
            ) from None
        from bbo.run.tables import records

        cols, rows = records(self)  # type: ignore[arg-type]  # it reads StudyLike's fields
        return pd.DataFrame(rows, columns=cols)
