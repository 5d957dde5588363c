"""Real HTTP servers for tests: run an ASGI app on uvicorn, on a loopback port, in a thread.

Tests that talk HTTP (JWKS endpoints, fake e-diary backends, the gateway itself) should go
through a real socket rather than a mocked transport. :func:`serve_app` starts
``uvicorn.Server`` in a daemon thread bound to ``127.0.0.1`` on a port chosen by the kernel,
waits until it accepts connections, yields its base URL and stops it on exit.

Because the server runs in its own thread with its own event loop, it works from synchronous
tests, from ``async`` tests (the test's event loop stays free to act as the client) and from
fixtures of any scope.

Function scope — a fresh server per test::

    @pytest.fixture
    def backend_url() -> Iterator[str]:
        with serve_app(make_app()) as base_url:
            yield base_url

Module scope — one server for the whole module (each start/stop costs about 0.2 s); keep the
app's mutable state in an object the tests can reset, and reset it in a function-scoped
fixture::

    @pytest.fixture(scope="module")
    def backend() -> Iterator[tuple[BackendState, str]]:
        state = BackendState()
        with serve_app(make_app(state)) as base_url:
            yield state, base_url

The app runs on another thread: share state through plain attributes and containers (simple
assignments and appends are safe under the GIL), not through asyncio primitives bound to the
test's event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

__all__ = ["serve_app"]

LOOPBACK = "127.0.0.1"


@contextmanager
def serve_app(
    app: ASGIApp,
    *,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 5.0,
    **config: Any,
) -> Iterator[str]:
    """Serve ``app`` on ``127.0.0.1`` and yield its base URL, e.g. ``http://127.0.0.1:41234``.

    The port is picked by the kernel (port 0), so parallel test runs do not collide, unless
    ``port`` is given (an app that must know its own URL: see :func:`free_port`). Other
    keyword arguments are passed to :class:`uvicorn.Config`; ``host`` cannot be overridden —
    tests only bind loopback.

    Raises :class:`RuntimeError` if the server does not start within ``startup_timeout``
    seconds (for instance when the app's lifespan startup fails) or does not stop within
    ``shutdown_timeout`` seconds.
    """
    if "host" in config:
        raise TypeError("serve_app always binds 127.0.0.1")
    port = int(config.pop("port", 0))
    settings: dict[str, Any] = {
        "log_config": None,  # leave the test process's logging configuration alone
        "access_log": False,
        "lifespan": "auto",
        "loop": "asyncio",
        "http": "h11",
        "ws": "websockets-sansio",  # subscriptions (graphql-transport-ws) on /graphql
        "ws_per_message_deflate": False,  # as diary-gateway serve
        "timeout_graceful_shutdown": 1,
    }
    settings.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host=LOOPBACK, port=port, **settings))
    # Signal handlers are only installed on the main thread, so none are installed here.
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()

    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server exited during startup (see the log above)")
        if time.monotonic() > deadline:
            _stop(server, thread, shutdown_timeout)
            raise RuntimeError(f"the test server did not start within {startup_timeout} s")
        time.sleep(0.005)

    port = server.servers[0].sockets[0].getsockname()[1]
    thread.name = f"test-uvicorn-{port}"
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        _stop(server, thread, shutdown_timeout)


def _stop(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    server.should_exit = True
    thread.join(timeout)
    if thread.is_alive():
        # Graceful shutdown is stuck (e.g. a streaming response that never ends): force it.
        server.force_exit = True
        thread.join(timeout)
    if thread.is_alive():
        raise RuntimeError(f"the test server thread {thread.name} did not stop")


def free_port() -> int:
    """A loopback port that is free now (for apps that must know their URL before serving)."""
    import socket

    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])
