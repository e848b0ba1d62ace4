"""Coalescing of concurrent calls on one study into one batch computation.

Each study has two :class:`Batcher` queues, one for Asks and one for Tells. A call joins
its queue; when no batch of that queue is running, the queue is taken whole and served by
one call of the batch function on a worker thread, off the event loop. Calls that arrive
while a batch runs wait and are served together by the next one.

* Asks: one ``Study.ask_many``, i.e. one pending-aware strategy suggestion of every new
  trial (a q-batch). Each request gets its own trials; the batch's points are distinct
  because they are suggested together, and distinct from every stored trial.
* Tells: one ``Study.tell_many``, i.e. one storage transaction (group commit: one fsync on
  SQLite for every Tell of the batch). Each Tell is checked and answered on its own.

If a whole batch fails (say one Ask wants more distinct points than a small space holds,
or the database refused the transaction), its calls are retried one by one, so one bad
request cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Generic, TypeVar

Req = TypeVar("Req")
Res = TypeVar("Res")


class Batcher(Generic[Req, Res]):
    """The queue of one kind of call on one study. ``run(requests)`` answers a batch in
    order; an answer that is an exception is raised to its caller alone."""

    def __init__(
        self, run: Callable[[Sequence[Req]], Sequence[Res | BaseException]], executor: Executor
    ) -> None:
        self._run = run
        self._executor = executor
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
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue, []
            self.sizes.append(len(batch))
            try:
                results = await loop.run_in_executor(
                    self._executor, self._run, [r for r, _ in batch]
                )
            except Exception as err:
                if len(batch) == 1:
                    _settle(batch[0][1], err)
                    continue
                for r, fut in batch:  # one by one: only the faulty request fails
                    res: Res | BaseException
                    try:
                        (res,) = await loop.run_in_executor(self._executor, self._run, [r])
                    except Exception as e:
                        res = e
                    _settle(fut, res)
                continue
            for (_, fut), res in zip(batch, results):
                _settle(fut, res)


def _settle(fut: asyncio.Future[Res], result: Res | BaseException) -> None:
    if fut.done():  # the caller went away (an Ask's trials stay held by client_id / lease)
        return
    if isinstance(result, BaseException):
        fut.set_exception(result)
    else:
        fut.set_result(result)
