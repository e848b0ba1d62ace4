"""The ``bbo.v1.Optimizer`` servicer: convert, call the Study, convert back.

Storage and strategy work runs on thread pools, never on the event loop: Asks on the
``ask`` pool, coalesced into q-batches by each study's ask
:class:`~bbo.server.batching.Batcher`; Tells on the ``io`` pool, coalesced into one storage
transaction per group by its tell Batcher; everything else on the ``io`` pool one call at a
time. So Heartbeat, Tell and ListTrials stay fast while a GP fits. One exception, on the
in-memory storage only: a group of Tells (dict updates under a lock, no I/O) and a batch
of Asks of a model-free strategy (:data:`~bbo.server.batching.MODEL_FREE`) take tens of
microseconds, less than the two thread switches and the contention for the GIL that a
worker thread costs; they run on the event loop itself.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from bbo.server.access import Access
from bbo.server.batching import StudyQueues
from bbo.server.convert import (
    point_from_pb,
    report_to_pb,
    spec_from_pb,
    spec_to_pb,
    state_from_pb,
    struct_from_pb,
    trial_to_pb,
)
from bbo.server.edits import edit_from_request, space_edit_to_pb
from bbo.server.errors import status_of
from bbo.server.limits import Limits, metric_samples, page_token
from google.protobuf.message import DecodeError

from bbo.api.v1 import optimizer_pb2 as pb
from bbo.api.v1 import optimizer_pb2_grpc as pb_grpc
from bbo.exceptions import (
    BboError,
    FailedPreconditionError,
    InvalidArgumentError,
    ResourceExhaustedError,
    StudyNotFoundError,
)
from bbo.study.spec import StudySpec
from bbo.study.storage import Storage, StudyRecord
from bbo.study.storage.memory import MemoryStorage
from bbo.study.study import AskRequest, Study, TellRequest
from bbo.study.workers import REMOTE

__all__ = ["Limits", "OptimizerService", "generic_handler"]

T = TypeVar("T")
log = logging.getLogger("bbo.server")


Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def rpc(fn: Handler) -> Handler:
    """Map every exception of a handler through the error table (nothing is UNKNOWN)."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(self, request, context)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            if isinstance(err, StudyNotFoundError):  # deleted meanwhile (another replica)
                self._studies.pop(getattr(request, "study", None), None)
            code, details, metadata = status_of(err)
        await context.abort(code, details, trailing_metadata=metadata)

    return wrapper


class OptimizerService(pb_grpc.OptimizerServicer):
    def __init__(
        self,
        storage: Storage,
        limits: Limits | None = None,
        ask_threads: int = 2,
        device: str | None = None,
        max_message_bytes: int = 4 * 1024 * 1024,
        tokens: Sequence[str] = (),
    ) -> None:
        self.storage = storage
        self.access = Access(tokens) if tokens else None  # scoped tokens; None: no checks
        self.max_message_bytes = max_message_bytes
        self.device = device  # the process's runtime setting (bbo serve --device)
        self.limits = limits or Limits()
        self.ask_pool = ThreadPoolExecutor(ask_threads, thread_name_prefix="bbo-ask")
        self.io_pool = ThreadPoolExecutor(8, thread_name_prefix="bbo-io")
        self.in_memory = isinstance(storage, MemoryStorage)  # batches that may run inline
        self._studies: dict[str, StudyQueues] = {}
        self._loading: dict[str, asyncio.Future[Study]] = {}

    def close(self) -> None:
        self.ask_pool.shutdown(wait=True)
        self.io_pool.shutdown(wait=True)

    async def _io(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.io_pool, functools.partial(fn, *args, **kwargs))

    async def _entry(self, name: str, context: Any, method: str) -> StudyQueues:
        self._allow(context, method, name)
        if name in self._studies:
            return self._studies[name]
        if name not in self._loading:  # one load per name, however many callers wait
            task = asyncio.ensure_future(
                self._io(Study.load, name, self.storage, device=self.device, worker=REMOTE)
            )
            self._loading[name] = task
        try:
            study = await asyncio.shield(self._loading[name])
        finally:
            self._loading.pop(name, None)
        entry = self._studies.setdefault(
            name,
            StudyQueues(study, self.ask_pool, self.io_pool, self.in_memory),
        )
        return entry

    def _text(self, field: str, value: str, required: bool = True) -> None:
        self.limits.text(field, value, required)

    def _allow(self, context: Any, method: str, study: str, field: str = "study") -> None:
        """The study name checked, and the call's token allowed ``method`` on it."""
        self._text(field, study)
        if self.access is not None:
            self.access.check(context, method, study)

    def _lease(self, field: str, seconds: float) -> float:
        if seconds == 0:
            return self.limits.default_lease
        if not (math.isfinite(seconds) and 0 < seconds <= self.limits.max_lease):
            raise InvalidArgumentError(
                f"`0 < {field} <= {self.limits.max_lease:g}` seconds must hold, got {seconds!r}"
            )
        return seconds

    def _study_pb(self, rec: StudyRecord, count: int, queued: int = 0) -> pb.Study:
        """The Study message; FailedPreconditionError when the stored definition cannot be
        encoded (a study made outside the server, e.g. an Int bound beyond the wire's)."""
        try:
            spec = spec_to_pb(StudySpec.from_dict(rec.spec))
        except (ValueError, TypeError, OverflowError, BboError) as e:
            raise FailedPreconditionError(
                f"study {rec.name!r}: its stored definition cannot be sent on the wire "
                f"({type(e).__name__}: {e}); delete it, or recreate it with bounds the wire "
                "can carry"
            ) from None
        return pb.Study(
            name=rec.name,
            spec=spec,
            created_at=rec.created_at,
            trial_count=count,
            queued_count=queued,
        )

    def _listed(self, rec: StudyRecord, count: int) -> pb.Study:
        """A study of ListStudies: one whose definition cannot be encoded is listed with
        its name and counts only (and logged), never failing the list for everybody."""
        try:
            return self._study_pb(rec, count)
        except FailedPreconditionError as e:
            log.warning("ListStudies: %s", e)
            return pb.Study(name=rec.name, created_at=rec.created_at, trial_count=count)

    # -- studies -----------------------------------------------------------------------------
    @rpc
    async def CreateStudy(self, request: pb.CreateStudyRequest, context: Any) -> Any:
        self._allow(context, "CreateStudy", request.name, "name")
        self.limits.spec_strings(request.spec)
        spec = spec_from_pb(request.spec)
        study = await self._io(
            Study.open, spec, self.storage, name=request.name, device=self.device, worker=REMOTE
        )
        entry = self._studies.get(request.name)
        if entry is not None:
            entry.study = study  # a changed strategy or seed applies from the next batch
        rec = await self._io(self.storage.get_study, request.name)
        count = await self._io(self.storage.count_trials, rec.id)
        queued = len(await self._io(self.storage.get_queue, rec.id))
        return pb.CreateStudyResponse(
            study=self._study_pb(rec, count, queued), created=study.created
        )

    @rpc
    async def GetStudy(self, request: pb.GetStudyRequest, context: Any) -> Any:
        self._allow(context, "GetStudy", request.name, "name")
        rec = await self._io(self.storage.get_study, request.name)
        count = await self._io(self.storage.count_trials, rec.id)
        queued = len(await self._io(self.storage.get_queue, rec.id))
        return self._study_pb(rec, count, queued)

    @rpc
    async def ListStudies(self, request: pb.ListStudiesRequest, context: Any) -> Any:
        recs = await self._io(self.storage.list_studies)
        if self.access is not None:
            readable = self.access.readable(context)
            recs = [r for r in recs if readable(r.name)]
        counts = [await self._io(self.storage.count_trials, r.id) for r in recs]
        return pb.ListStudiesResponse(studies=[self._listed(r, n) for r, n in zip(recs, counts)])

    @rpc
    async def DeleteStudy(self, request: pb.DeleteStudyRequest, context: Any) -> Any:
        self._allow(context, "DeleteStudy", request.name, "name")
        self._studies.pop(request.name, None)
        await self._io(self.storage.delete_study, request.name)
        return pb.DeleteStudyResponse()

    # -- ask / tell ------------------------------------------------------------------------------
    @rpc
    async def Ask(self, request: pb.AskRequest, context: Any) -> Any:
        count = request.count or 1
        if count < 0:
            raise InvalidArgumentError(f"`count >= 1` must hold, got count={count}")
        if count > self.limits.max_ask:
            raise ResourceExhaustedError(
                f"`count <= {self.limits.max_ask}` must hold (server limit --max-ask), "
                f"got count={count}"
            )
        self._text("client_id", request.client_id, required=False)
        lease = self._lease("lease_seconds", request.lease_seconds)
        entry = await self._entry(request.study, context, "Ask")
        per_trial = entry.trial_bytes() + len(request.client_id.encode())
        if count * per_trial > self.max_message_bytes:
            raise ResourceExhaustedError(
                f"`count` trials of study {request.study!r} may not fit in one answer: up to "
                f"{per_trial} bytes each, {self.max_message_bytes} in all (server limit "
                f"--max-message-bytes); ask for at most {self.max_message_bytes // per_trial}"
                f", got count={count}"
            )
        ask = AskRequest(count, request.client_id or None, lease)
        trials = await entry.asks(ask)
        response = pb.AskResponse(trials=[trial_to_pb(t) for t in trials])
        if response.ByteSize() > self.max_message_bytes:  # past the bound: hand nothing out
            await self._io(entry.study.abandon, trials, "answer over --max-message-bytes")
            raise ResourceExhaustedError(
                f"the answer of {len(trials)} trials holds {response.ByteSize()} bytes, over "
                f"the server limit --max-message-bytes={self.max_message_bytes}; ask for fewer"
            )
        return response

    @rpc
    async def Tell(self, request: pb.TellRequest, context: Any) -> Any:
        lim = self.limits
        if len(request.samples) > lim.max_samples:
            raise ResourceExhaustedError(
                f"`samples` must hold at most {lim.max_samples} replicates (server limit "
                f"--max-samples), got {len(request.samples)}"
            )
        if len(request.values) > lim.max_metrics:
            raise ResourceExhaustedError(
                f"`values` must hold at most {lim.max_metrics} metrics, got {len(request.values)}"
            )
        per_metric = metric_samples(request, lim)
        if not request.HasField("trial_id"):
            raise InvalidArgumentError(
                "`trial_id` must be set (trial ids start at 0: an unset id is not trial 0)"
            )
        self._text("request_id", request.request_id, required=False)
        self._text("reason", request.reason, required=False)
        for name in request.values:
            self._text("values key", name)
        value: float | dict[str, float] | None = (
            request.value if request.HasField("value") else None
        )
        if request.values:
            if value is not None:
                raise InvalidArgumentError(
                    "tell exactly one of `value`, `values`, `samples`, `failed` or `infeasible`"
                )
            value = dict(request.values)
        tell = TellRequest(
            request.trial_id,
            value,
            samples=list(request.samples) if request.samples else per_metric,
            failed=request.failed,
            infeasible=request.infeasible,
            reason=request.reason or None,
            request_id=request.request_id or None,
            pruned=request.pruned,
        )
        entry = await self._entry(request.study, context, "Tell")
        trial = await entry.tells(tell)
        return pb.TellResponse(trial=trial_to_pb(trial))

    @rpc
    async def Report(self, request: pb.ReportRequest, context: Any) -> Any:
        for field in ("trial_id", "step", "value"):
            if not request.HasField(field):
                raise InvalidArgumentError(
                    f"`{field}` must be set (an unset field is not read as 0)"
                )
        self._text("request_id", request.request_id, required=False)
        entry = await self._entry(request.study, context, "Report")
        study = entry.study
        stored, stop = await self._io(
            study.record_report, request.trial_id, request.value, request.step
        )
        return pb.ReportResponse(should_prune=stop, report=report_to_pb(stored))

    @rpc
    async def Heartbeat(self, request: pb.HeartbeatRequest, context: Any) -> Any:
        if len(request.trial_ids) > self.limits.max_ids:
            raise ResourceExhaustedError(
                f"`trial_ids` must hold at most {self.limits.max_ids} ids, "
                f"got {len(request.trial_ids)}"
            )
        lease = self._lease("lease_seconds", request.lease_seconds)
        entry = await self._entry(request.study, context, "Heartbeat")
        n = await self._io(entry.study.heartbeat, list(request.trial_ids), lease)
        return pb.HeartbeatResponse(extended=n)

    @rpc
    async def ListTrials(self, request: pb.ListTrialsRequest, context: Any) -> Any:
        size = request.page_size or min(1000, self.limits.max_page)
        if not 0 < size <= self.limits.max_page:
            raise InvalidArgumentError(
                f"`0 <= page_size <= {self.limits.max_page}` must hold, got {request.page_size}"
            )
        since = request.since if request.HasField("since") else -1
        if request.page_token:
            since = max(since, page_token(request.page_token))
        states = [state_from_pb(s, f"states[{i}]") for i, s in enumerate(request.states)] or None
        entry = await self._entry(request.study, context, "ListTrials")
        page = await self._io(entry.study.get_trials, states=states, since=since, limit=size + 1)
        token = str(page[size - 1].id) if len(page) > size else ""
        return pb.ListTrialsResponse(
            trials=[trial_to_pb(t) for t in page[:size]], next_page_token=token
        )

    @rpc
    async def Enqueue(self, request: pb.EnqueueRequest, context: Any) -> Any:
        n = len(request.points)
        if n == 0:
            raise InvalidArgumentError("`points` must hold at least one point, got none")
        if n > self.limits.max_points:
            raise ResourceExhaustedError(
                f"`points` must hold at most {self.limits.max_points} points, got {n}"
            )
        points = [point_from_pb(p, f"points[{i}]") for i, p in enumerate(request.points)]
        for i, p in enumerate(points):
            for k, v in p.items():
                self._text(f"points[{i}].params key", k)
                if isinstance(v, str):
                    self._text(f"points[{i}].params[{k!r}]", v, required=False)
        attrs = struct_from_pb(request.attrs, "attrs") if request.HasField("attrs") else None
        self._text("request_id", request.request_id, required=False)
        entry = await self._entry(request.study, context, "Enqueue")
        study = entry.study
        added = await self._io(
            study.enqueue,
            points,
            skip_if_exists=request.skip_if_exists,
            attrs=attrs,
            request_id=request.request_id or None,
        )
        queued = await self._io(lambda: study.queued_count)
        return pb.EnqueueResponse(added=added, queued_count=queued)

    @rpc
    async def EditSpace(self, request: pb.EditSpaceRequest, context: Any) -> Any:
        self._allow(context, "EditSpace", request.study)
        self.limits.spec_strings(
            pb.StudySpec(space=request.space, parameter_constraints=request.parameter_constraints)
        )
        space, defaults = edit_from_request(request)
        # edited on a study of its own; the loaded one is replaced (its asks may be running)
        study = await self._io(
            Study.load, request.study, self.storage, device=self.device, worker=REMOTE
        )
        edit = await self._io(study.edit_space, space, defaults=defaults)
        entry = self._studies.get(request.study)
        if entry is not None:
            entry.study = study
        rec = await self._io(self.storage.get_study, request.study)
        count = await self._io(self.storage.count_trials, rec.id)
        queued = len(await self._io(self.storage.get_queue, rec.id))
        return pb.EditSpaceResponse(
            edited=edit is not None,
            study=self._study_pb(rec, count, queued),
            edit=space_edit_to_pb(edit) if edit is not None else None,
        )

    @rpc
    async def GetBest(self, request: pb.GetBestRequest, context: Any) -> Any:
        entry = await self._entry(request.study, context, "GetBest")
        best = await self._io(lambda: entry.study.best)
        trials = best if isinstance(best, list) else [best] if best is not None else []
        return pb.GetBestResponse(trials=[trial_to_pb(t) for t in trials])


def generic_handler(service: OptimizerService) -> grpc.GenericRpcHandler:
    """The service's method handlers, decoding requests themselves: grpc's own decoding
    answers an undecodable message with UNKNOWN; here it is INVALID_ARGUMENT."""
    handlers = {}
    for name, method in pb.DESCRIPTOR.services_by_name["Optimizer"].methods_by_name.items():
        handlers[name] = grpc.unary_unary_rpc_method_handler(
            _decoding(getattr(service, name), getattr(pb, method.input_type.name)),
            response_serializer=getattr(pb, method.output_type.name).SerializeToString,
        )
    return grpc.method_handlers_generic_handler("bbo.v1.Optimizer", handlers)


def _decoding(impl: Callable[..., Awaitable[Any]], request_type: Any) -> Callable[..., Any]:
    async def handle(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
        try:
            request = request_type.FromString(raw)
        except DecodeError as e:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"malformed {request_type.DESCRIPTOR.full_name} message: {e}",
                trailing_metadata=(("bbo-error", "InvalidValueError"),),
            )
        return await impl(request, context)

    return handle
