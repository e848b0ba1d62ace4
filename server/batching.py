"""Coalescing of concurrent Asks on one study into one batch computation.

Each study has one :class:`AskBatcher`. An Ask joins the study's queue; when no batch is
computing, the queue is taken whole and served by one ``Study.ask_many`` call (one
pending-aware strategy suggestion of every new trial, i.e. a q-batch) on a worker thread,
off the event loop. Asks that arrive while a batch computes wait and are served together
by the next one. Each request gets its own trials; the batch's points are distinct
because they are suggested together, and distinct from every stored trial.

If a batch fails (say one request asks more distinct points than a small space holds), its
requests are retried one by one, so one bad request cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

from bbo.study.study import AskRequest, Study
from bbo.study.trial import Trial


class AskBatcher:
    """The queue of one study. ``study`` is read at each batch, so it can be swapped."""

    def __init__(self, study: Callable[[], Study], executor: Executor) -> None:
        self._study = study
        self._executor = executor
        self._queue: list[tuple[AskRequest, asyncio.Future[list[Trial]]]] = []
        self._task: asyncio.Task[None] | None = None
        self.sizes: list[int] = []  # requests served by each computation (tests, metrics)

    @property
    def batches(self) -> int:
        return len(self.sizes)

    async def ask(self, request: AskRequest) -> list[Trial]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[list[Trial]] = loop.create_future()
        self._queue.append((request, fut))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue, []
            study = self._study()
            requests = [r for r, _ in batch]
            self.sizes.append(len(batch))
            try:
                results = await loop.run_in_executor(self._executor, study.ask_many, requests)
            except Exception as err:
                if len(batch) == 1:
                    _settle(batch[0][1], err=err)
                    continue
                for r, fut in batch:  # one by one: only the faulty request fails
                    try:
                        (res,) = await loop.run_in_executor(self._executor, study.ask_many, [r])
                        _settle(fut, res)
                    except Exception as e:
                        _settle(fut, err=e)
                continue
            for (_, fut), res in zip(batch, results):
                _settle(fut, res)


def _settle(
    fut: asyncio.Future[list[Trial]],
    result: list[Trial] | None = None,
    err: BaseException | None = None,
) -> None:
    if fut.done():  # the caller went away; its trials stay held by its client_id / lease
        return
    if err is not None:
        fut.set_exception(err)
    else:
        fut.set_result(result or [])
