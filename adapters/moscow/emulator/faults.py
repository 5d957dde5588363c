"""Fault injection and request counting for the emulator, as a plain ASGI middleware.

Every request outside ``/__admin`` is counted per path, delayed by ``latency_ms`` and then
may fail the way real МЭШ and the gateways in front of it fail. Which requests fail is
decided by a seeded RNG, one draw per fault kind per request in a fixed order, so a test
that sets the same faults and sends the same requests sees the same failures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["EXPIRED_MESSAGE", "EmulatorFaults", "FaultControls", "FaultMiddleware", "route_path"]

EXPIRED_MESSAGE = "Предыдущая сессия работы в ЭЖД завершена. Войдите в ЭЖД заново"
"""What МЭШ says in a 401 when a token has expired."""

_TOKEN_ISSUERS = frozenset({"/lms/api/sessions", "/v3/auth/sudir/auth"})
_HTML_403 = (
    "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>"
    "<h1>Доступ запрещён</h1><p>Запрос заблокирован системой защиты.</p></body></html>"
)


@dataclass(frozen=True, slots=True)
class EmulatorFaults:
    """How the emulator misbehaves. Rates are shares of requests, from 0 to 1.

    Attributes:
        latency_ms: delay before every answer.
        error_rate: answers with a 500, 502 or 503 JSON error.
        timeout_rate: requests that hang ``timeout_seconds`` (or until the client leaves).
        rate_limit_rate: 429 answers with ``Retry-After: retry_after``.
        html_rate: 403 answers with an HTML page (a gateway in front of the system).
        malformed_rate: 200 answers whose JSON body is cut in half.
        unauthorized_rate: 401 «session ended» answers; token issuing calls are spared, so
            a client that signs in again still gets 401 on its next call.
        not_found_rate: 404 JSON answers.
        retry_after: seconds sent in ``Retry-After``.
        timeout_seconds: how long a hanging request hangs.
        seed: the seed of the RNG that picks the failing requests.
        messy: serve the same world the careless way (:mod:`.messy`): unknown fields,
            missing weights, duplicates, reordered arrays, unmatched ids, homework only
            in the events, a notification feed that ignores its filter.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit_rate: float = 0.0
    html_rate: float = 0.0
    malformed_rate: float = 0.0
    unauthorized_rate: float = 0.0
    not_found_rate: float = 0.0
    retry_after: int = 2
    timeout_seconds: float = 30.0
    seed: int = 0
    messy: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.messy, bool):
            raise ValueError("messy must be true or false")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "messy":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name} must be a number")
            if f.name.endswith("_rate") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{f.name} must be between 0 and 1")
            if f.name != "seed" and value < 0:
                raise ValueError(f"{f.name} must not be negative")

    @classmethod
    def from_json(cls, document: object) -> EmulatorFaults:
        """Faults from a JSON object with the same field names (missing ones default)."""
        if not isinstance(document, Mapping):
            raise ValueError("faults must be a JSON object")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(document) - set(known))
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(map(str, unknown))}")
        values: dict[str, Any] = {}
        for name, value in document.items():
            if known[name].type == "int":
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{name} must be an integer")
            values[name] = value
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class FaultControls:
    """The current faults and the request counts, shared by the middleware and admin API."""

    initial: EmulatorFaults = field(default_factory=EmulatorFaults)
    faults: EmulatorFaults = field(init=False)
    counts: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.set(self.initial)

    def set(self, faults: EmulatorFaults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def reset(self) -> None:
        self.counts.clear()
        self.set(self.initial)

    def stats(self) -> dict[str, Any]:
        return {"total": sum(self.counts.values()), "paths": dict(sorted(self.counts.items()))}

    def draw(self, path: str) -> str | None:
        """Count a request and pick the fault it suffers (``None``: none)."""
        self.counts[path] += 1
        f = self.faults
        rates = (
            ("timeout", f.timeout_rate),
            ("error", f.error_rate),
            ("rate_limit", f.rate_limit_rate),
            ("html", f.html_rate),
            ("unauthorized", 0.0 if path in _TOKEN_ISSUERS else f.unauthorized_rate),
            ("not_found", f.not_found_rate),
            ("malformed", f.malformed_rate),
        )
        draws = [(name, self._rng.random() < rate) for name, rate in rates]
        return next((name for name, hit in draws if hit), None)

    def error_status(self) -> int:
        return self._rng.choice((500, 502, 503))


def route_path(scope: Scope) -> str:
    """The request path below the app's mount point (the emulator may be mounted)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


class FaultMiddleware:
    """Counts requests and injects :class:`EmulatorFaults` (``/__admin`` is exempt)."""

    def __init__(self, app: ASGIApp, controls: FaultControls) -> None:
        self.app = app
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith("/__admin"):
            await self.app(scope, receive, send)
            return
        controls = self.controls
        fault = controls.draw(path)
        faults = controls.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if fault == "timeout":
            replay = await _hang(receive, faults.timeout_seconds)
            if replay is None:
                return  # the client gave up
            await self.app(scope, replay, send)
        elif fault == "error":
            status = controls.error_status()
            await _send_json(send, status, "internal_error", "Внутренняя ошибка сервера")
        elif fault == "rate_limit":
            await _send_json(
                send,
                429,
                "rate_limit",
                "Слишком много запросов",
                headers={"retry-after": str(faults.retry_after)},
            )
        elif fault == "html":
            await _send(send, 403, _HTML_403.encode(), "text/html; charset=utf-8")
        elif fault == "unauthorized":
            await _send_json(send, 401, "authentication_error", EXPIRED_MESSAGE)
        elif fault == "not_found":
            await _send_json(send, 404, "not_found", "Объект не найден")
        elif fault == "malformed":
            await self.app(scope, receive, _truncating(send))
        else:
            await self.app(scope, receive, send)


async def _hang(receive: Receive, seconds: float) -> Receive | None:
    """Read the request, then wait ``seconds`` or until the client disconnects.

    Returns a ``receive`` that replays the request, or ``None`` if the client left.
    """
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        messages.append(message)
        if not message.get("more_body", False):
            break
    try:
        async with asyncio.timeout(seconds):
            await receive()  # after the body, the only message left is the disconnect
        return None
    except TimeoutError:
        pass

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


def _truncating(send: Send) -> Send:
    """A ``send`` that cuts a 200 answer's body in half (and fixes its length)."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        if start["status"] == 200:
            body = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


async def _send_json(
    send: Send,
    status: int,
    kind: str,
    description: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    body = json.dumps(
        {"type": kind, "description": description, "details": None}, ensure_ascii=False
    ).encode()
    await _send(send, status, body, "application/json", headers)


async def _send(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    raw = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
