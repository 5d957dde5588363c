"""Fault injection and request counting for emulators, as a plain ASGI middleware.

Every request outside ``/__admin`` is counted per path, delayed by ``latency_ms`` and then
may fail the way real diary systems and the gateways in front of them fail. Which requests
fail is decided by a seeded RNG, one draw per fault kind per request in a fixed order, so a
test that sets the same faults and sends the same requests sees the same failures. The
injected error answers are worded and shaped as the emulated system words its own
(:class:`FaultAnswers`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["EmulatorFaults", "FaultAnswers", "FaultControls", "FaultMiddleware", "route_path"]

HTML_403 = (
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
        messy: serve the same world the careless way, where the emulator has such a mode
            (the Moscow one: unknown fields, missing weights, duplicates, reordered arrays,
            unmatched ids, homework only in the events, a feed that ignores its filter).
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


def _generic_error(kind: str, description: str) -> dict[str, Any]:
    return {"error": kind, "message": description}


@dataclass(frozen=True, slots=True)
class FaultAnswers:
    """The injected error answers in the emulated system's own shape and words.

    Attributes:
        body: the JSON error document for a kind (``internal_error``, ``rate_limit``,
            ``authentication_error``, ``not_found``) and a description.
        expired: what a 401 «session ended» says.
        html_403: the HTML page a gateway in front of the system answers.
    """

    body: Callable[[str, str], Any] = _generic_error
    expired: str = "Сессия завершена. Войдите в систему заново"
    html_403: str = HTML_403


@dataclass
class FaultControls:
    """The current faults and the request counts, shared by the middleware and admin API.

    ``spared`` paths (the token issuing calls) never get the injected 401, so a client
    that signs in again still meets it on its next call.
    """

    initial: EmulatorFaults = field(default_factory=EmulatorFaults)
    spared: frozenset[str] = frozenset()
    faults: EmulatorFaults = field(init=False)
    counts: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.set(self.initial)

    def set(self, faults: EmulatorFaults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)  # noqa: S311 -- reproducible faults, not secrets

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
            ("unauthorized", 0.0 if path in self.spared else f.unauthorized_rate),
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

    def __init__(
        self, app: ASGIApp, controls: FaultControls, answers: FaultAnswers | None = None
    ) -> None:
        self.app = app
        self.controls = controls
        self.answers = answers or FaultAnswers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith("/__admin"):
            await self.app(scope, receive, send)
            return
        controls, answers = self.controls, self.answers
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
            body = answers.body("internal_error", "Внутренняя ошибка сервера")
            await _send_json(send, status, body)
        elif fault == "rate_limit":
            body = answers.body("rate_limit", "Слишком много запросов")
            await _send_json(send, 429, body, headers={"retry-after": str(faults.retry_after)})
        elif fault == "html":
            await _send(send, 403, answers.html_403.encode(), "text/html; charset=utf-8")
        elif fault == "unauthorized":
            await _send_json(send, 401, answers.body("authentication_error", answers.expired))
        elif fault == "not_found":
            await _send_json(send, 404, answers.body("not_found", "Объект не найден"))
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
    send: Send, status: int, document: Any, *, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()
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
