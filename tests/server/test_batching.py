"""The Batcher: calls queued together are served by one batch, on the executor or, when
``inline()`` holds, on the event loop; a failing batch is retried call by call."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from bbo.server.batching import Batcher


def _serve(inline: bool, requests: Sequence[int]) -> tuple[list[object], list[int], bool]:
    """Answers, batch sizes, and whether every batch ran on the event loop's thread, for
    ``requests`` made together (one ``gather``: all queue before the first batch)."""
    threads: set[int] = set()

    def run(reqs: Sequence[int]) -> list[int | BaseException]:
        threads.add(threading.get_ident())
        if len(reqs) > 1 and -1 in reqs:
            raise RuntimeError("the whole batch fails")
        return [ValueError(f"bad {r}") if r < 0 else 2 * r for r in reqs]

    async def main() -> tuple[list[object], list[int], int]:
        with ThreadPoolExecutor(1) as pool:
            b: Batcher[int, int] = Batcher(run, pool, lambda: inline)
            got = await asyncio.gather(*(b(r) for r in requests), return_exceptions=True)
            return list(got), b.sizes, threading.get_ident()

    answers, sizes, loop_thread = asyncio.run(main())
    return answers, sizes, threads == {loop_thread}


@pytest.mark.parametrize("inline", [False, True])
def test_calls_made_together_are_one_batch(inline):
    answers, sizes, on_loop = _serve(inline, [1, 2, 3, 4])
    assert answers == [2, 4, 6, 8] and sizes == [4]
    assert on_loop is inline  # inline: on the event loop's thread, else on the pool's


@pytest.mark.parametrize("inline", [False, True])
def test_a_failing_batch_is_retried_call_by_call(inline):
    answers, sizes, on_loop = _serve(inline, [1, -1, 3])
    assert on_loop is inline
    assert answers[0] == 2 and answers[2] == 6
    assert isinstance(answers[1], ValueError) and str(answers[1]) == "bad -1"
    assert sizes == [3]  # one batch taken; its calls then answered one by one
