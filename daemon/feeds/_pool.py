"""Parsing in worker processes, so that a pathological feed (feedparser's quadratic
regular expressions, huge documents) can be stopped without stopping the daemon."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from daemon.feeds._parse import ParsedFeed, parse_feed


class ParseTimeout(Exception):
    pass


class ParserPool:
    """A small process pool for ``parse_feed`` with a deadline per document."""

    def __init__(self, workers: int = 2, timeout: float = 30.0):
        self._workers = workers
        self._timeout = timeout
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    async def parse(self, body: bytes, headers: dict[str, str], base_url: str) -> ParsedFeed:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor(), parse_feed, body, headers, base_url)
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            self._kill()
            raise ParseTimeout(f"parsing took longer than {self._timeout:g} s") from None
        except BrokenProcessPool:
            self._kill()
            raise ParseTimeout("the parser process died") from None

    def _kill(self) -> None:
        """Drop the pool and end its processes: a stuck parse cannot be cancelled otherwise."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
