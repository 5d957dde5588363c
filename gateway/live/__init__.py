"""Live updates: subscriptions over WebSocket and HTTP, one poll per student, fan-out.

* :mod:`.event` — one change on its way (stable key, ordered id);
* :mod:`.stream` — the bounded, deduplicated event stream (Redis Streams, or memory);
* :mod:`.lease` — which instance polls a student (Redis, or memory);
* :mod:`.poller` — this instance's polls of the change feeds, adaptive interval;
* :mod:`.diff` — absences and lesson changes from a diff of the diary between polls;
* :mod:`.hub` — this instance's fan-out to bounded subscriber queues, the per-person cap;
* :mod:`.service` — the above together, and the steps the transports share;
* :mod:`.websocket` — ``graphql-transport-ws``; :mod:`.sse` — graphql-sse (distinct
  connections mode) over ``text/event-stream``.
"""

from __future__ import annotations

from .diff import DAYS_AHEAD, DAYS_BACK, DiarySnapshot, diary_changes, diary_window
from .event import LiveEvent, event_key, position
from .hub import EXPIRED, RELATION_ENDED, SHUTDOWN, SLOW, Hub, LiveClosed, LiveSession, Subscription
from .lease import Lease, MemoryLease, RedisLease
from .poller import Poller, is_school_hours
from .service import Connection, LiveService, StreamedResult
from .sse import CLOSE_ERRORS, GraphQLSSE
from .stream import EventStream, MemoryStream, RedisStream
from .websocket import CLOSE_CODES, PROTOCOL, GraphQLTransportWS

__all__ = [
    "CLOSE_CODES",
    "CLOSE_ERRORS",
    "DAYS_AHEAD",
    "DAYS_BACK",
    "EXPIRED",
    "PROTOCOL",
    "RELATION_ENDED",
    "SHUTDOWN",
    "SLOW",
    "Connection",
    "DiarySnapshot",
    "EventStream",
    "GraphQLSSE",
    "GraphQLTransportWS",
    "Hub",
    "Lease",
    "LiveClosed",
    "LiveEvent",
    "LiveService",
    "LiveSession",
    "MemoryLease",
    "MemoryStream",
    "Poller",
    "RedisLease",
    "RedisStream",
    "StreamedResult",
    "Subscription",
    "diary_changes",
    "diary_window",
    "event_key",
    "is_school_hours",
    "position",
]
