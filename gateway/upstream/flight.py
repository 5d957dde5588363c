"""Single flight: identical concurrent calls share one task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["SingleFlight"]


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class SingleFlight:
    """Runs at most one task per key; later callers await the running one.

    The work runs in its own task, so cancelling one waiting caller never cancels the
    others' shared fetch.
    """

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def running(self, key: str) -> bool:
        return key in self._tasks

    async def do(self, key: str, work: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """``(result, shared)``: the result of ``work`` or of the identical call in flight."""
        task = self._tasks.get(key)
        shared = task is not None
        if task is None:
            task = self.start(key, work)
        return await asyncio.shield(task), shared

    def start(self, key: str, work: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """Start ``work`` under ``key`` (or return the task already running)."""
        existing = self._tasks.get(key)
        if existing is not None:
            return existing

        async def runner() -> Any:
            return await work()

        task = asyncio.get_running_loop().create_task(runner())
        self._tasks[key] = task

        def done(t: asyncio.Task[Any]) -> None:
            if self._tasks.get(key) is t:
                del self._tasks[key]
            _consume(t)

        task.add_done_callback(done)
        return task
