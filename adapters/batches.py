"""Per-student batches: one provider fetch per student, a refusal failing only its slot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from .base import BatchResult
from .errors import AccessDeniedError, NotFoundError

__all__ = ["per_student"]

T = TypeVar("T")


async def per_student(
    student_ids: Iterable[str], fetch: Callable[[str], Awaitable[T]]
) -> BatchResult[T]:
    """Run ``fetch`` for every student concurrently, in order.

    A student the provider does not know or refuses (``NotFoundError``,
    ``AccessDeniedError``) fails only their slot, which holds the error; any other error
    fails the whole batch (the provider is down for everyone).
    """
    results = await asyncio.gather(*(fetch(i) for i in student_ids), return_exceptions=True)
    slots: BatchResult[T] = []
    for result in results:
        if isinstance(result, NotFoundError | AccessDeniedError):
            slots.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            slots.append(result)
    return slots
