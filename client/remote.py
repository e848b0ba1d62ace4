"""Client and RemoteStudy over a gRPC channel (see :mod:`bbo.client`)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import grpc
from bbo.server.convert import (
    STATE_TO_PB,
    point_to_pb,
    spec_from_pb,
    spec_to_pb,
    struct_to_pb,
    trial_from_pb,
)
from bbo.server.errors import error_from_rpc

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.exceptions import (
    InvalidArgumentError,
    ServiceUnavailableError,
    TrialNotFoundError,
)
from bbo.space import Space
from bbo.study.like import StudyLike
from bbo.study.queue import as_points, check_points
from bbo.study.reporting import check_report
from bbo.study.spec import StudySpec
from bbo.study.storage import SpaceEdit
from bbo.study.tells import tell_result, trial_id
from bbo.trial import (
    Constraint,
    Objective,
    Trial,
    TrialState,
)

T = TypeVar("T")
_RETRY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED)


def connect(
    target: str,
    token: str | None = None,
    *,
    tls: bool = False,
    root_certificates: str | Path | None = None,
    client_cert: str | Path | None = None,
    client_key: str | Path | None = None,
    timeout: float = 60.0,
    retry_timeout: float = 60.0,
    max_message_bytes: int = 4 * 1024 * 1024,
) -> Client:
    """A client of the bbo server at ``target`` (``host:port``).

    ``token``: the bearer token (read it from a file or the environment, not a literal).
    ``tls=True`` (implied by ``root_certificates``) uses TLS, with ``root_certificates`` as
    the trusted CA (default: the system's) and ``client_cert``/``client_key`` for mTLS.
    ``timeout``: the deadline of one call in seconds; ``retry_timeout``: how long calls
    that fail with UNAVAILABLE or ABORTED are retried.
    """
    return Client(
        target,
        token,
        tls=tls or root_certificates is not None,
        root_certificates=root_certificates,
        client_cert=client_cert,
        client_key=client_key,
        timeout=timeout,
        retry_timeout=retry_timeout,
        max_message_bytes=max_message_bytes,
    )


def _read(p: str | Path | None) -> bytes | None:
    return Path(p).read_bytes() if p is not None else None


class Client:
    """A connection to a bbo server; studies are created or opened from it."""

    def __init__(
        self,
        target: str,
        token: str | None = None,
        *,
        tls: bool = False,
        root_certificates: str | Path | None = None,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
        timeout: float = 60.0,
        retry_timeout: float = 60.0,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        if not isinstance(target, str) or not target:
            raise InvalidArgumentError(f"`target` must be 'host:port', got {target!r}")
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        if tls:
            creds = grpc.ssl_channel_credentials(
                _read(root_certificates), _read(client_key), _read(client_cert)
            )
            self._channel = grpc.secure_channel(target, creds, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = pb_grpc.OptimizerStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.target = target
        self.timeout = timeout
        self.retry_timeout = retry_timeout

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, request: Any) -> Any:
        """Call ``method`` with retries on UNAVAILABLE / ABORTED; errors as bbo exceptions."""
        fn: Callable[..., Any] = getattr(self._stub, method)
        deadline = time.monotonic() + self.retry_timeout
        delay = 0.05
        while True:
            try:
                return fn(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                code = e.code()
                if code not in _RETRY or time.monotonic() + delay > deadline:
                    err = error_from_rpc(e)
                    if code == grpc.StatusCode.UNAVAILABLE:
                        err = ServiceUnavailableError(f"{self.target}: {err}")
                    raise err from None
            time.sleep(delay * (0.5 + random.random()))  # jitter: clients do not retry in step
            delay = min(delay * 2, 2.0)

    # -- studies -----------------------------------------------------------------------------
    def create_study(
        self,
        space: Space | Mapping[str, Any],
        direction: str | Mapping[str, str] | Sequence[Objective] = "minimize",
        *,
        constraints: Sequence[str | Constraint] | None = None,
        strategy: str = "auto",
        seed: int | None = None,
        name: str | None = None,
        strategy_options: dict[str, Any] | None = None,
        noisy: bool = False,
        pruner: Mapping[str, Any] | str | None = None,
        statistic: Any = None,
        prior_studies: Sequence[str] | None = None,
        parameter_constraints: Sequence[str] | None = None,
    ) -> RemoteStudy:
        """Get-or-create the study ``name`` on the server (arguments as :class:`bbo.Study`;
        ``pruner`` is a name or a spec ``{"name": "asha", ...}``, or a :mod:`bbo.pruners`
        object of a registered kind)."""
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidArgumentError(f"`name` must be a non-empty string, got {name!r}")
        spec = StudySpec.create(
            space,
            direction,
            constraints=constraints,
            strategy=strategy,
            strategy_options=strategy_options,
            seed=seed,
            noisy=noisy,
            pruner=_pruner_spec(pruner),
            statistic=statistic,
            prior_studies=prior_studies,
            parameter_constraints=parameter_constraints,
        )
        msg = spec_to_pb(spec)
        name = name or f"study-{uuid.uuid4().hex[:12]}"
        res = self.call("CreateStudy", pb.CreateStudyRequest(name=name, spec=msg))
        return RemoteStudy(self, res.study)

    def get_study(self, name: str) -> RemoteStudy:
        """The existing study ``name`` (StudyNotFoundError if absent)."""
        return RemoteStudy(self, self.call("GetStudy", pb.GetStudyRequest(name=name)))

    def list_studies(self) -> list[str]:
        return [s.name for s in self.call("ListStudies", pb.ListStudiesRequest()).studies]

    def delete_study(self, name: str) -> None:
        self.call("DeleteStudy", pb.DeleteStudyRequest(name=name))


def _pruner_spec(pruner: Any) -> Mapping[str, Any] | str | None:
    """A pruner argument as a spec the wire carries (a Pruner object by its ``to_dict``)."""
    from bbo.pruners import Pruner

    return pruner.to_dict() if isinstance(pruner, Pruner) else pruner


class RemoteStudy(StudyLike):
    """A study on a bbo server, with the ask/tell interface of :class:`bbo.Study`.

    Trials that :meth:`ask` returns are bound to it, so ``trial.report(value, step)`` and
    ``trial.should_prune()`` work as on a local study.
    """

    def __init__(self, client: Client, msg: pb.Study) -> None:
        self.client = client
        self.name = msg.name
        self.spec = spec_from_pb(msg.spec)
        self._last_report: dict[int, tuple[int, float]] = {}  # trial id -> (step, value)

    def __repr__(self) -> str:
        return f"RemoteStudy(name={self.name!r}, server={self.client.target!r})"

    # -- ask -----------------------------------------------------------------------------------
    def _ask(self, n: int, client_id: str | None, lease: float | None) -> list[Trial]:
        """As :meth:`bbo.Study.ask`. Without ``client_id`` each call gets a fresh one (its
        retries are idempotent); a worker that passes its own id gets its unfinished trials
        back when it asks again (see docs/grpc.md). ``lease=None``: the server's default."""
        count = n
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidArgumentError(f"`n >= 1` must hold, got n={n!r}")
        if lease is not None and not (
            isinstance(lease, (int, float)) and not isinstance(lease, bool) and lease > 0
        ):
            raise InvalidArgumentError(f"`lease > 0` seconds must hold, got lease={lease!r}")
        req = pb.AskRequest(
            study=self.name,
            count=count,
            client_id=client_id or f"py-{uuid.uuid4().hex}",
            lease_seconds=float(lease or 0.0),
        )
        return [replace(self._trial(t), study=self) for t in self.client.call("Ask", req).trials]

    # -- tell ------------------------------------------------------------------------------------
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
    ) -> Trial:
        """As :meth:`bbo.Study.tell`; one ``request_id`` (generated) covers the retries.
        ``pruned=True``: stopped early, PRUNED with its last reported value (the server's)."""
        tid = trial_id(trial)
        # the study's own checks, before a round trip: the same errors as the server's
        result = tell_result(self.spec, value, samples, failed, infeasible, reason, pruned=pruned)
        req = pb.TellRequest(
            study=self.name,
            trial_id=tid,
            request_id=request_id or uuid.uuid4().hex,
            failed=bool(failed),
            infeasible=bool(infeasible),
            reason=reason or "",
            pruned=bool(pruned),
        )
        if result.samples is not None:
            req.samples.extend(result.samples)
        elif result.metric_samples is not None:
            for name, reps in result.metric_samples.items():
                req.metric_samples[name].values.extend(reps)
        elif isinstance(value, Mapping):
            req.values.update(result.values)
        elif result.value is not None and not pruned:
            req.value = result.value
        told = self._trial(self.client.call("Tell", req).trial)
        self._last_report.pop(tid, None)
        return told

    # -- intermediate values ---------------------------------------------------------------------
    def report(
        self, trial: Trial | int, value: float, step: int, *, request_id: str | None = None
    ) -> bool:
        """As :meth:`bbo.Study.report`: store ``value`` of the first objective at ``step``
        for the RUNNING ``trial`` and return whether the study's pruner says to stop it.
        The same ``(step, value)`` again is idempotent, so retries are safe."""
        return self._report(trial_id(trial), *check_report(value, step), request_id)

    def should_prune(self, trial: Trial | int) -> bool:
        """The pruner's answer now for ``trial`` after the last report this client made of
        it (sent again: a repeated report is idempotent and judged anew); False before this
        client reported it."""
        tid = trial_id(trial)
        last = self._last_report.get(tid)
        return False if last is None else self._report(tid, last[1], last[0], None)

    def _report(self, tid: int, value: float, step: int, request_id: str | None) -> bool:
        req = pb.ReportRequest(
            study=self.name,
            trial_id=tid,
            step=step,
            value=value,
            request_id=request_id or uuid.uuid4().hex,
        )
        res = self.client.call("Report", req)
        self._last_report[tid] = (step, value)
        return bool(res.should_prune)

    # -- queued points ---------------------------------------------------------------------------
    def enqueue(
        self,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        skip_if_exists: bool = False,
        attrs: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> int:
        """As :meth:`bbo.Study.enqueue`: the points are checked against the space here and
        again by the server; returns how many were queued. One ``request_id`` (generated)
        covers the retries: a call retried after a lost answer queues its points once."""
        points = check_points(self.space, as_points(params))
        req = pb.EnqueueRequest(
            study=self.name,
            points=[point_to_pb(p) for p in points],
            skip_if_exists=bool(skip_if_exists),
            request_id=request_id or uuid.uuid4().hex,
        )
        if attrs is not None:
            req.attrs.CopyFrom(struct_to_pb(attrs))
        return int(self.client.call("Enqueue", req).added)

    @property
    def queued_count(self) -> int:
        """How many queued points wait for an ask (from the server, now)."""
        res = self.client.call("GetStudy", pb.GetStudyRequest(name=self.name))
        return int(res.queued_count)

    # -- space edits -----------------------------------------------------------------------------
    def edit_space(
        self,
        space: Space | Mapping[str, Any],
        *,
        defaults: Mapping[str, Any] | None = None,
        parameter_constraints: Sequence[str] | None = None,
    ) -> SpaceEdit | None:
        """As :meth:`bbo.Study.edit_space` (the ``EditSpace`` RPC): the stored edit without
        its old and new space (:attr:`spec` holds the new one), or None when the study
        already had ``space``; a retry after a lost answer is thus harmless."""
        from bbo.server.edits import edit_request, space_edit_from_pb

        from bbo.study.edits import as_space

        new = as_space(space, parameter_constraints, self.spec.space)
        req = edit_request(self.name, new, defaults or {})
        res = self.client.call("EditSpace", req)
        self.spec = spec_from_pb(res.study.spec)
        return space_edit_from_pb(res.edit) if res.edited else None

    # -- leases and reads ------------------------------------------------------------------------
    def heartbeat(self, trials: Sequence[Trial | int], lease: float | None = None) -> int:
        """Extend the leases of RUNNING ``trials`` (``lease=None``: the server's default)."""
        req = pb.HeartbeatRequest(
            study=self.name, trial_ids=[trial_id(t) for t in trials], lease_seconds=lease or 0.0
        )
        return int(self.client.call("Heartbeat", req).extended)

    def get_trials(
        self,
        *,
        states: Sequence[TrialState] | None = None,
        since: int | None = None,
        limit: int | None = None,
        page_size: int = 1000,
    ) -> list[Trial]:
        """Trials in id order (every page), ``since`` keeps ids above it."""
        size = min(page_size, limit) if limit is not None and limit > 0 else page_size
        req = pb.ListTrialsRequest(
            study=self.name, page_size=size, states=[STATE_TO_PB[s] for s in states or ()]
        )
        if since is not None:
            req.since = since
        out: list[Trial] = []
        while True:
            res = self.client.call("ListTrials", req)
            out += [self._trial(t) for t in res.trials]
            if not res.next_page_token or (limit is not None and len(out) >= limit):
                return out[:limit] if limit is not None else out
            req.page_token = res.next_page_token

    @property
    def trials(self) -> list[Trial]:
        return self.get_trials()

    def trial(self, trial: int) -> Trial:
        tid = trial_id(trial)
        got = self.get_trials(since=tid - 1, limit=1) if tid >= 0 else []
        if not got or got[0].id != tid:
            raise TrialNotFoundError(f"no trial {tid!r} in this study")
        return got[0]

    @property
    def best(self) -> Any:
        """As :attr:`bbo.Study.best`: a Trial or None; a list (Pareto set) for several
        objectives."""
        res = self.client.call("GetBest", pb.GetBestRequest(study=self.name))
        trials = [self._trial(t) for t in res.trials]
        if len(self.objectives) > 1:
            return trials
        return trials[0] if trials else None

    def _trial(self, m: pb.Trial) -> Trial:
        """A Trial with its params in the space's order (the wire map has none)."""
        t = trial_from_pb(m)
        order = {n: i for i, n in enumerate(self.space.names)}
        params = dict(sorted(t.params.items(), key=lambda kv: order.get(kv[0], len(order))))
        return replace(t, params=params)


__all__ = ["Client", "RemoteStudy", "connect"]
