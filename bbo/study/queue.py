"""Queued points: configurations evaluated before any suggestion (Optuna's ``enqueue_trial``).

``study.enqueue(params)`` checks each point against the space and stores it in the study's
queue (durable: it survives reopening the study, a server restart). The next asks hand
queued points out first, oldest first, as RUNNING trials whose ``attrs["source"]`` is
``"enqueued"`` (after the points of ABANDONED trials, which are older obligations); only
then does the strategy suggest. Taking a point off the queue and creating its trial is one
storage transaction (:meth:`~bbo.study.storage.base.Storage.create_trials`), so two
workers asking at once never get the same queued point.

``skip_if_exists=True`` leaves out a point equal to a trial of the study or to a queued
point: what ``initial_points`` of a study.yaml uses, so that a resumed ``bbo run`` does not
queue them twice. It is decided under the study's ask lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bbo.exceptions import InvalidArgumentError, InvalidParamsError
from bbo.space import Space, params_key
from bbo.study.spec import StudySpec
from bbo.study.storage import NewTrial, QueuedPoint, Storage
from bbo.study.tells import tell_result
from bbo.trial import Trial, TrialState

SOURCE = "enqueued"  # attrs["source"] of a trial that evaluates a queued point
REQUEST_KEY = "enqueue_request_id"  # attrs of the points (and their trials) of an enqueue


def check_points(space: Space, points: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The canonical copies of ``points`` (:meth:`Space.validate`); InvalidParamsError
    naming the point (when there are several), the parameter and the rule."""
    out = []
    for i, p in enumerate(points):
        try:
            out.append(space.check_feasible(p))
        except InvalidParamsError as e:
            where = f"point {i}: " if len(points) > 1 else ""
            raise InvalidParamsError(f"enqueue: {where}{e}") from None
    return out


def as_points(params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One point (a mapping) or several (a list of mappings) as a list."""
    if isinstance(params, Mapping):
        return [params]
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
        raise InvalidParamsError(
            f"enqueue: params must be a mapping name -> value or a list of them, got {params!r}"
        )
    return list(params)


def take(queue: Sequence[QueuedPoint], count: int, attrs: Mapping[str, Any]) -> list[NewTrial]:
    """The new trials that evaluate the first ``count`` queued points (each takes its point
    off the queue when it is stored); ``attrs`` are those of every asked trial."""
    return [
        NewTrial(params=dict(q.params), attrs={**q.attrs, **attrs, "source": SOURCE}, queued=q.id)
        for q in queue[: max(count, 0)]
    ]


class Queueing:
    """What :class:`bbo.Study` is told it should know first (a mixin over its storage):
    points to evaluate before any suggestion (``enqueue``, the queue's reads), and
    evaluations made elsewhere (``add``)."""

    _storage: Storage
    _study_id: int
    spec: StudySpec

    _current_point: Callable[[Mapping[str, Any]], dict[str, Any] | None]  # SpaceEditing's

    def _first_points(
        self, open_: Sequence[Trial], retried: set[int], count: int, base: dict[str, Any]
    ) -> list[NewTrial]:
        """Up to ``count`` trials to create before any suggestion: the ABANDONED trials of
        ``open_`` not yet retried (``retried``: the ids a retry re-evaluates), then queued
        points, each read under the current space (an abandoned point outside an edited
        space is not offered again: :mod:`bbo.study.edits`); ``base``: their attrs."""
        new = [
            NewTrial(params=p, attrs={**base, "source": "retry"}, retry_of=t.id)
            for t in open_
            if t.state == TrialState.ABANDONED and t.id not in retried
            for p in [self._current_point(t.params)]  # None: outside an edited space
            if p is not None
        ][:count]
        queued = take(self._storage.get_queue(self._study_id), count - len(new), base)
        return new + [replace(t, params=self._current_point(t.params) or t.params) for t in queued]

    def enqueue(
        self,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        skip_if_exists: bool = False,
        attrs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> int:
        """Queue one point (a mapping ``name -> value``) or several (a list of them) to be
        evaluated before any suggestion: the next asks return them first, in order, as
        trials whose ``attrs["source"]`` is ``"enqueued"``. Every point is checked against
        the space before any is stored (InvalidParamsError naming the parameter and the
        rule; nothing is stored then). ``skip_if_exists``: leave out points equal to a
        trial of the study or to a queued point. ``attrs`` (JSON-ready) are stored with
        the trials. ``request_id``: a call retried with the same id (its answer lost) queues
        nothing again and returns the first call's count; the id is stored in the points'
        attrs (``enqueue_request_id``, kept by the trials that evaluate them), so it holds
        after they were handed out and across restarts. Returns how many points were
        queued."""
        if not isinstance(skip_if_exists, bool):
            raise InvalidArgumentError(
                f"`skip_if_exists` must be true or false, got {skip_if_exists!r}"
            )
        extra = _check_attrs(attrs)
        if request_id is not None:
            if not isinstance(request_id, str) or not request_id:
                raise InvalidArgumentError(
                    f"`request_id` must be a non-empty string, got {request_id!r}"
                )
            extra[REQUEST_KEY] = request_id
        valid = check_points(self.spec.space, as_points(params))
        with self._storage.ask_lock(self._study_id):
            if request_id is not None:
                done = self._enqueued_by(request_id)
                if done:  # a retry: the first call's answer
                    return done
            if skip_if_exists:
                valid = self._new_points(valid)
            stored = self._storage.enqueue(self._study_id, [(p, extra) for p in valid])
        return len(stored)

    def _enqueued_by(self, request_id: str) -> int:
        """How many points an enqueue with ``request_id`` stored: queued ones, and trials
        that evaluated one (a retry of such a trial is not counted)."""
        n = sum(
            q.attrs.get(REQUEST_KEY) == request_id for q in self._storage.get_queue(self._study_id)
        )
        for t in self._storage.get_trials(self._study_id):
            n += t.retry_of is None and t.attrs.get(REQUEST_KEY) == request_id
        return n

    def _new_points(self, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``points`` less those equal to a trial, a queued point or an earlier one."""
        seen = {params_key(q.params) for q in self._storage.get_queue(self._study_id)}
        seen |= {params_key(t.params) for t in self._storage.get_trials(self._study_id)}
        out = []
        for p in points:
            key = params_key(p)
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out

    def add(
        self,
        params: Mapping[str, Any],
        value: float | Mapping[str, float] | None = None,
        *,
        samples: Sequence[float] | None = None,
        failed: bool = False,
        infeasible: bool = False,
        reason: str | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Add an evaluation made outside the study (warm start): a finished trial of
        source ``"user"``; params must be in the space."""
        valid = self.spec.space.check_feasible(params)
        r = tell_result(self.spec, value, samples, failed, infeasible, reason, attrs)
        new = NewTrial(
            params=valid,
            state=r.state,
            values=r.values,
            value=r.value,
            samples=r.samples,
            metric_samples=r.metric_samples,
            reason=r.reason,
            attrs={"source": "user", **r.attrs},
        )
        (created,) = self._storage.create_trials(self._study_id, [new])
        return created

    @property
    def queued(self) -> list[dict[str, Any]]:
        """The queued points not yet handed out, oldest first."""
        return [dict(q.params) for q in self._storage.get_queue(self._study_id)]

    @property
    def queued_count(self) -> int:
        """How many queued points wait for an ask."""
        return len(self._storage.get_queue(self._study_id))


def _check_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    if attrs is None:
        return {}
    if not isinstance(attrs, Mapping) or not all(isinstance(k, str) for k in attrs):
        raise InvalidArgumentError(f"`attrs` must be a mapping with string keys, got {attrs!r}")
    try:
        json.dumps(dict(attrs), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(
            f"`attrs` must hold only strings, finite numbers, booleans, lists and mappings ({e})"
        ) from None
    return dict(attrs)


__all__ = ["REQUEST_KEY", "SOURCE", "Queueing", "as_points", "check_points", "take"]
