"""Coalescing of concurrent calls on one study into one batch computation.

Each study loaded by the server has two :class:`Batcher` queues (:class:`StudyQueues`),
one for Asks and one for Tells. A call joins its queue; when no batch of that queue is
running, the queue is taken whole and served by one call of the batch function. Calls that
arrive while a batch runs wait and are served together by the next one.

* Asks: one ``Study.ask_many``, i.e. one pending-aware strategy suggestion of every new
  trial (a q-batch). Each request gets its own trials; the batch's points are distinct
  because they are suggested together, and distinct from every stored trial.
* Tells: one ``Study.tell_many``, i.e. one storage transaction (group commit: one fsync on
  SQLite for every Tell of the batch). Each Tell is checked and answered on its own.

A batch runs on a worker thread of the executor, off the event loop, unless ``inline()``
says it is cheap and never blocks (the service's rule: Tells and model-free Asks on the
in-process storage, :class:`~bbo.server.service.OptimizerService`): then on the event loop
itself, sparing the two thread switches (and the contention for the GIL) that cost more
than such a batch.

If a whole batch fails (say one Ask wants more distinct points than a small space holds,
or the database refused the transaction), its calls are retried one by one, so one bad
request cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Generic, TypeVar

from bbo.server.limits import trial_bytes

if TYPE_CHECKING:
    from bbo.study.spec import StudySpec
    from bbo.study.study import AskRequest, Study, TellRequest
    from bbo.trial import Trial

MODEL_FREE = frozenset({"random", "sobol"})  # strategies whose asks fit no model
Req = TypeVar("Req")
Res = TypeVar("Res")


class Batcher(Generic[Req, Res]):
    """The queue of one kind of call on one study. ``run(requests)`` answers a batch in
    order; an answer that is an exception is raised to its caller alone."""

    def __init__(
        self,
        run: Callable[[Sequence[Req]], Sequence[Res | BaseException]],
        executor: Executor,
        inline: Callable[[], bool] = lambda: False,
    ) -> None:
        self._run = run
        self._executor = executor
        self._inline = inline  # asked at each batch: run it on the event loop itself?
        self._queue: list[tuple[Req, asyncio.Future[Res]]] = []
        self._task: asyncio.Task[None] | None = None
        self.sizes: list[int] = []  # requests served by each computation (tests, metrics)

    @property
    def batches(self) -> int:
        return len(self.sizes)

    async def __call__(self, request: Req) -> Res:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Res] = loop.create_future()
        self._queue.append((request, fut))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await fut  # a caller that goes away cancels its own future alone

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            self.sizes.append(len(batch))
            try:
                results = await self._call([r for r, _ in batch])
            except Exception as err:
                if len(batch) == 1:
                    _settle(batch[0][1], err)
                    continue
                for r, fut in batch:  # one by one: only the faulty request fails
                    res: Res | BaseException
                    try:
                        (res,) = await self._call([r])
                    except Exception as e:
                        res = e
                    _settle(fut, res)
                continue
            for (_, fut), res in zip(batch, results):
                _settle(fut, res)

    async def _call(self, requests: list[Req]) -> Sequence[Res | BaseException]:
        """``run(requests)`` on the executor, or on the event loop when ``inline()``."""
        if self._inline():
            return self._run(requests)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, requests)


class StudyQueues:
    """A loaded study and its two queues; ``study`` is read at each batch, so a
    CreateStudy that changes the strategy or seed applies from the next batch."""

    def __init__(
        self,
        study: Study,
        ask_pool: ThreadPoolExecutor,
        io_pool: ThreadPoolExecutor,
        in_memory: bool = False,
    ) -> None:
        self.study = study
        self.asks: Batcher[AskRequest, list[Trial]] = Batcher(
            lambda reqs: self.study.ask_many(reqs),
            ask_pool,
            lambda: in_memory and self.study.spec.strategy in MODEL_FREE,
        )
        self.tells: Batcher[TellRequest, Trial] = Batcher(
            lambda reqs: self.study.tell_many(reqs), io_pool, lambda: in_memory
        )
        self._size: tuple[StudySpec, int] | None = None

    def trial_bytes(self) -> int:
        """Upper bound of one answered trial's size (client id aside), per spec."""
        spec = self.study.spec
        if self._size is None or self._size[0] is not spec:
            self._size = (spec, trial_bytes(spec, ""))
        return self._size[1]


def _settle(fut: asyncio.Future[Res], result: Res | BaseException) -> None:
    if fut.done():  # the caller went away (an Ask's trials stay held by client_id / lease)
        return
    if isinstance(result, BaseException):
        fut.set_exception(result)
    else:
        fut.set_result(result)
