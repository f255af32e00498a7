"""Parsing in worker processes, so that a pathological feed (feedparser's quadratic
regular expressions, huge documents) can be stopped without stopping the daemon."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from daemon.errors import FeedError
from daemon.feeds._parse import ParsedFeed, parse_feed

# How often a parser process checks that the daemon that started it is still alive.
PARENT_CHECK_S = 1.0


def _exit_with_parent(parent: int) -> None:
    """Runs in each parser process as it starts: when the daemon dies without stopping the
    pool (SIGKILL, a crash), the process is handed to another parent, and it exits
    instead of living on as an orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="raqib-parent-watch", daemon=True).start()


class ParseTimeout(FeedError):
    """A feed took longer to parse than its deadline."""


class ParserPool:
    """A small process pool for ``parse_feed`` with a deadline per document.

    At most one document per worker is handed to the pool, so a document's deadline runs
    from when a worker takes it, not from when it was queued; and when the pool is stopped
    for an overrunning document, the documents that were parsing beside it are parsed again
    on a fresh pool instead of failing with it.
    """

    def __init__(self, workers: int = 2, timeout: float = 30.0):
        self._workers = workers
        self._timeout = timeout
        self._pool: ProcessPoolExecutor | None = None
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def _free_worker(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self._workers))
        return self._slots[1]

    async def parse(self, body: bytes, headers: dict[str, str], base_url: str) -> ParsedFeed:
        loop = asyncio.get_running_loop()
        async with self._free_worker():
            for _attempt in range(2):
                pool = self._executor()
                future = loop.run_in_executor(pool, parse_feed, body, headers, base_url)
                try:
                    return await asyncio.wait_for(future, self._timeout)
                except TimeoutError:
                    self._kill(pool)
                    raise ParseTimeout(f"parsing took longer than {self._timeout:g} s") from None
                except BrokenProcessPool:
                    if self._pool is pool:  # this document broke the pool
                        self._kill(pool)
                        raise ParseTimeout("the parser process died") from None
                    # Stopped for another document's sake: parse again on a fresh pool.
            raise ParseTimeout("the parser process died")

    def _kill(self, pool: ProcessPoolExecutor) -> None:
        """Drop ``pool`` and end its processes: a stuck parse cannot be cancelled otherwise.
        Documents still in the pool fail with BrokenProcessPool, never as cancelled."""
        if self._pool is pool:
            self._pool = None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=False)
        for process in processes:
            process.kill()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
