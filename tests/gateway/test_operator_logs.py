"""Operators see failures (issue 11, item 6), through the running demo gateway.

The Moscow emulator is told to fail (``POST /__admin/faults``: 5xx, hangs, cut JSON, an
HTML 403 from a gateway in front, JSON 403/404, 429); each field whose provider call fails
must leave exactly one WARNING line (after the last retry, never one per attempt) naming
the request id, the region, the provider resource and the error class — and nothing
personal: no child's name, no mark, no comment, no token.

The gateway runs in-process (uvicorn in a thread), so ``caplog``'s root handler sees its
records.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.middleware import RequestIdLogFilter
from tests.clock import school_week

from .conftest import DemoGateway, make_demo

FAILURE_LINE = re.compile(
    r"provider (call failed|refused one key): request_id=(?P<request_id>[0-9a-f]{16}) "
    r"region=(?P<region>\d+) provider=(?P<provider>[a-z]+) resource=(?P<resource>[a-z]+) "
    r"error=(?P<error>[A-Za-z]+Error(\(timeout\))?) attempts=\d+"
)
"""The whole of a failure line: every part of it is a fixed word, a code or a class name."""

DIARY = """
query ($id: ID!, $from: Date!, $to: Date!) {
  diary(studentId: $id, from: $from, to: $to) { days { lessons { subject { name } } } }
}
"""

PROGRESS = """
query ($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) { progress(from: $from, to: $to) { subject { name } averageFivePoint } }
}
"""

CHILDREN = """
{ me { children { id fullName school { region { code } }
  diary(from: "%s", to: "%s") { days { lessons { marks { value comment } } } } } } }
"""

FAULTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "5xx": ({"error_rate": 1.0}, {"ProviderUnavailableError"}),
    "timeout": ({"timeout_rate": 1.0, "timeout_seconds": 3}, {"ProviderUnavailableError"}),
    "malformed-json": ({"malformed_rate": 1.0}, {"ProviderResponseError"}),
    "html-403": (  # a gateway in front refusing: the system itself is unreachable
        {"html_rate": 1.0},
        {"ProviderUnavailableError", "ProviderResponseError", "AccessDeniedError"},
    ),
    "rate-limited": ({"rate_limit_rate": 1.0, "retry_after": 0}, {"ProviderUnavailableError"}),
    "not-found": ({"not_found_rate": 1.0}, {"NotFoundError", "ProviderResponseError"}),
}


@dataclasses.dataclass
class Moscow:
    demo: DemoGateway
    token: str
    child_id: str
    secrets: list[str]
    """Names of the parent's children, their marks' comments, tokens: never in a log."""


@pytest.fixture
def moscow(tmp_path: Path) -> Iterator[Moscow]:
    """A fresh gateway, signed in and warmed up (profile, tokens), with a short call budget."""
    with make_demo(tmp_path / "key.json", cache={"responses": False}) as demo:
        runner = demo.runner.inner
        runner.settings = dataclasses.replace(runner.settings, call_budget=1.5, backoff_base=0.01)
        token = demo.token("parent")
        week = school_week(weeks_back=1)
        body = demo.query(CHILDREN % (week["from"], week["to"]), token=token)
        assert "errors" not in body, body.get("errors")
        children = body["data"]["me"]["children"]
        secrets = [token, f"Bearer {token}"]
        for child in children:
            secrets.append(child["fullName"])
            secrets.extend(part for part in child["fullName"].split() if len(part) > 3)
            for day in child["diary"]["days"]:
                for lesson in day["lessons"]:
                    secrets.extend(m["comment"] for m in lesson["marks"] if m["comment"])
        child_id = next(c["id"] for c in children if c["school"]["region"]["code"] == "77")
        yield Moscow(demo, token, child_id, secrets)


def _set_faults(demo: DemoGateway, **faults: Any) -> None:
    answer = httpx.post(f"{demo.url}/__emulators/moscow/__admin/faults", json=faults, timeout=10)
    assert answer.status_code == 200, answer.text


def _ask(m: Moscow, query: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    answer = httpx.post(
        f"{m.demo.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {m.token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["x-request-id"], answer.json()


def _failure_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "gateway.upstream" and r.levelno == logging.WARNING
    ]


def _assert_no_personal_data(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> None:
    assert secrets
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__.get("args"))
        for secret in secrets:
            assert secret not in text, (record.name, record.levelname)


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize(("field", "query"), [("diary", DIARY), ("progress", PROGRESS)])
def test_each_failing_field_logs_one_warning_without_personal_data(
    moscow: Moscow,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    field: str,
    query: str,
) -> None:
    faults, classes = FAULTS[fault]
    caplog.set_level(logging.INFO)
    caplog.clear()
    _set_faults(moscow.demo, **faults)
    try:
        request_id, body = _ask(moscow, query, {"id": moscow.child_id, **school_week()})
    finally:
        _set_faults(moscow.demo)
    assert body.get("errors"), body  # the field failed…
    lines = _failure_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]  # …and left one line
    (line,) = lines
    found = FAILURE_LINE.fullmatch(line.getMessage())
    assert found is not None, line.getMessage()
    assert found["request_id"] == request_id == line.__dict__["request_id"]
    assert (found["region"], found["provider"], found["resource"]) == ("77", "moscow", field)
    assert line.__dict__["region"] == "77"
    assert line.__dict__["resource"] == field
    assert line.__dict__["error_class"] in classes
    if fault == "timeout":
        assert found["error"] == "ProviderUnavailableError(timeout)"
    _assert_no_personal_data(caplog, moscow.secrets)


def test_retries_that_end_in_success_log_no_warning(
    moscow: Moscow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _set_faults(moscow.demo, error_rate=0.3, seed=3)
    try:
        for weeks_back in range(2, 6):
            _, body = _ask(
                moscow, DIARY, {"id": moscow.child_id, **school_week(weeks_back=weeks_back)}
            )
            failed = bool(body.get("errors"))
            lines = _failure_lines(caplog)
            assert len(lines) == int(failed), [r.getMessage() for r in lines]
            caplog.clear()
    finally:
        _set_faults(moscow.demo)
    _assert_no_personal_data(caplog, moscow.secrets)


def test_adapter_warnings_carry_the_request_id(moscow: Moscow) -> None:
    """The adapters' own warnings (the leak guard's drops) get the request id stamped."""
    filters = logging.getLogger("adapters").filters
    assert any(isinstance(f, RequestIdLogFilter) for f in filters)
