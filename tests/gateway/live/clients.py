"""Subscribers for the live tests: the npm ``graphql-ws`` / ``graphql-sse`` clients in a
child process (``scripts/live-clients``), and small helpers around a running demo.

:class:`NodeSubscriber` reads the client's JSON lines in a thread; the tests wait for
lines with generous timeouts (no timing assertions).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.node import install_or_skip

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "live-clients"

EVENTS = """
subscription Events($ids: [ID!], $after: ID) {
  studentEvents(studentIds: $ids, after: $after) {
    id kind at student { id } node { id __typename ... on Mark { value subject { name } } }
  }
}
"""

WAIT = 60.0
"""Seconds a test waits for something that should come within a poll interval or two."""


def install_clients() -> None:
    """Install the npm clients once (skip, or fail under ``REQUIRE_NODE=1``)."""
    install_or_skip(SCRIPT, "the live-update clients (graphql-ws, graphql-sse)", timeout=200)


class NodeSubscriber:
    """One subscription through a third-party client (``mode``: ``ws`` or ``sse``)."""

    def __init__(
        self, mode: str, url: str, token: str, variables: dict[str, Any], query: str = EVENTS
    ) -> None:
        endpoint = url.replace("http://", "ws://") if mode == "ws" else url
        self.process = subprocess.Popen(
            [str(SCRIPT), mode, f"{endpoint}/graphql", token, query, json.dumps(variables)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                self.lines.put(json.loads(line))

    def next_line(self, timeout: float = WAIT) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            stderr = ""
            if self.process.poll() is not None and self.process.stderr is not None:
                stderr = self.process.stderr.read()
            raise AssertionError(f"nothing from the client in {timeout} s; {stderr}") from None
        self.seen.append(line)
        return line

    def wait_for(self, event: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next line of kind ``event`` (other lines are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next_line(max(0.1, deadline - time.monotonic()))
            if line["event"] == event:
                return line

    def events(self) -> list[dict[str, Any]]:
        """The student events received so far (``next`` lines with data)."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                break
        return [
            line["payload"]["data"]["studentEvents"]
            for line in self.seen
            if line["event"] == "next" and (line["payload"].get("data") or {}).get("studentEvents")
        ]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> NodeSubscriber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def metric(url: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples on a running gateway's ``/metrics`` matching ``labels``."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def wait_until(what: str, check: Any, timeout: float = WAIT) -> None:
    """Poll ``check()`` until it is true (every 0.1 s), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)
