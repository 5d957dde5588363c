"""Repeated requests: what the pipeline learnt of a POST body it answered before.

Clients send the same few operations again and again, byte for byte (a diary week's query
with the same variables). Once a body has passed every check that depends only on its bytes
— JSON, the persisted-query lookup, parsing, validation, the argument caps — and was found
cacheable, the pipeline keeps what a response-cache lookup needs of it: the operation name,
its cost and the request part of the cache key. When the same bytes come again, the
pipeline looks the response up straight away (:meth:`gateway.pipeline.Pipeline.answer_body`);
everything that depends on who is asking or on the time — identity, request and cost rate
limits, the viewer's scope version, the day, the stored entry's validity, the audit trail —
is still decided for every request.
"""

from __future__ import annotations

from dataclasses import dataclass

from lru import LRU

__all__ = ["MAX_REPEAT_BODY", "Repeat", "Repeats"]

MAX_REPEAT_BODY = 8192
"""Bodies up to this many bytes are remembered (so the memo holds at most ~8 MiB)."""


@dataclass(frozen=True, slots=True)
class Repeat:
    """What a response-cache lookup needs of a body answered before."""

    operation_name: str | None
    cost: int
    """The operation's cost (charged to the cost rate limits on every hit)."""
    request_part: bytes
    """:meth:`gateway.responses.ResponseCache.request_part` of the request."""


class Repeats:
    """Bodies answered before, by their bytes and the response media type (bounded, least
    recently used dropped)."""

    def __init__(self, maxsize: int = 1_000) -> None:
        self._known: LRU[tuple[bytes, str], Repeat] = LRU(maxsize)

    def get(self, body: bytes, media: str) -> Repeat | None:
        return self._known.get((body, media))

    def learn(self, body: bytes, media: str, repeat: Repeat) -> None:
        if len(body) <= MAX_REPEAT_BODY:
            self._known[(body, media)] = repeat

    def __len__(self) -> int:
        return len(self._known)
