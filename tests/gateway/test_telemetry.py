"""Traces and JSON logs after a scripted session: the span tree, ids in every log line, and
no personal data in either.

The session: a parent reads the week (provider calls in 74, 11 and 77 — 77 over HTTP),
reads it again (a response-cache hit), reads each child's birth date with ``GET`` (the
query and the child's id in the query string), a teacher of region 77 reads their group's
journal, and region 77's system goes down for one read (a partial answer, failed provider
calls, warnings in the log). Spans go to the SDK's in-memory exporter, logs through
:class:`gateway.logs.JsonFormatter` (as ``serve`` writes them, behind its access log).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from diary_gateway_demo.personas import PERSONAS
from gateway.graphql import GatewayGraphQL
from gateway.logs import QUIET_LOGGERS, configure_json_logging
from gateway.settings import SettingsError, parse_settings
from gateway.telemetry import Telemetry, traces_url
from tests.clock import school_week

from .conftest import DemoGateway, make_demo
from .test_partial_answers import region_down

WEEK = """query ParentWeek($from: Date!, $to: Date!) { me { children { id fullName
  diary(from: $from, to: $to) { days { lessons { marks { value comment } } } } } } }"""
BORN = "query Born($id: ID!) { student(id: $id) { fullName bornOn } }"
GROUPS = "{ me { roles { region { code } groups { id } } } }"
JOURNAL = """query Journal($g: ID!, $from: Date!, $to: Date!) { journal(groupId: $g, from: $from,
  to: $to) { rows { student { id fullName } cells { marks { value comment } } } } }"""

Traced = tuple[DemoGateway, InMemorySpanExporter, io.StringIO]


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    logs = io.StringIO()
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", *QUIET_LOGGERS)
    loggers = {n: logging.getLogger(n) for n in names}
    states = {n: (g.level, list(g.handlers), g.propagate, g.disabled) for n, g in loggers.items()}
    configure_json_logging(logging.INFO, stream=logs)  # as `serve` does
    try:
        with make_demo(
            tmp_path / "key.json",
            telemetry=Telemetry(provider),
            access_log=True,
            cache={"ttl": {"diary": 0}},  # every cold read reaches the provider
        ) as demo:
            yield demo, exporter, logs
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        for name, (level, handlers, propagate, disabled) in states.items():
            logger = loggers[name]
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
        provider.shutdown()


def _comments(value: Any) -> set[str]:
    """Every non-empty ``comment`` in an answer."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "comment" and isinstance(item, str) and item:
                found.add(item)
            else:
                found |= _comments(item)
    elif isinstance(value, list):
        for item in value:
            found |= _comments(item)
    return found


def _span_text(span: ReadableSpan) -> str:
    parts = [span.name, json.dumps(dict(span.attributes or {}), ensure_ascii=False, default=str)]
    for event in span.events:
        parts.append(event.name)
        parts.append(json.dumps(dict(event.attributes or {}), ensure_ascii=False, default=str))
    for link in span.links:
        parts.append(json.dumps(dict(link.attributes or {}), ensure_ascii=False, default=str))
    parts.append(span.status.description or "")
    return "\n".join(parts)


def _finished(exporter: InMemorySpanExporter, servers: int) -> list[ReadableSpan]:
    """The finished spans once ``servers`` request spans have ended (each ends just after its
    response has gone out, so maybe after the client has read it)."""
    deadline = time.monotonic() + 10
    while True:
        spans = list(exporter.get_finished_spans())
        if sum(1 for s in spans if s.kind == SpanKind.SERVER) >= servers:
            return spans
        assert time.monotonic() < deadline, [s.name for s in spans]
        time.sleep(0.02)


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    chain = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        span = by_id[parent.span_id]
        chain.append(span)
        parent = span.parent
    return chain


def test_spans_and_logs_of_a_session_carry_no_personal_data(traced: Traced) -> None:
    gateway, exporter, logs = traced
    week = school_week()
    parent = gateway.token("parent")
    first = gateway.query(WEEK, week, token=parent)
    assert "errors" not in first, first
    children = first["data"]["me"]["children"]
    assert len(children) == 4
    assert gateway.query(WEEK, week, token=parent) == first  # a response-cache hit
    born: set[str] = set()
    for child in children:  # GET: the query and the child's id in the query string
        response = httpx.get(
            f"{gateway.url}/graphql",
            params={"query": BORN, "variables": json.dumps({"id": child["id"]})},
            headers={"Authorization": f"Bearer {parent}"},
            timeout=30,
        )
        body = response.json()
        assert body["data"]["student"]["bornOn"], body
        born.add(body["data"]["student"]["bornOn"])
    teacher = gateway.token("teacher@77")
    roles = gateway.query(GROUPS, token=teacher)
    group = next(g["id"] for r in roles["data"]["me"]["roles"] for g in r["groups"])
    journal = gateway.query(JOURNAL, {"g": group, **week}, token=teacher)
    assert journal["data"]["journal"]["rows"], journal
    with region_down(gateway, "77"):
        partial = gateway.query(WEEK, school_week(weeks_back=1), token=parent)
    assert partial["errors"]
    assert partial["data"]["me"]["children"]

    spans = _finished(exporter, servers=9)
    lines = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]

    # -- no personal data anywhere ------------------------------------------------------
    secrets: set[str] = {parent, teacher} | born
    secrets |= {p.subject for p in PERSONAS}  # national ids (SSO subjects)
    secrets |= _comments(first) | _comments(journal) | _comments(partial)
    ids: set[str] = set()  # student ids: the audit trail's lines name them, nothing else
    for child in children:
        ids.add(child["id"])
        secrets.add(child["fullName"])
        secrets |= {word for word in child["fullName"].split() if len(word) > 3}
    for row in journal["data"]["journal"]["rows"]:
        ids.add(row["student"]["id"])
        secrets.add(row["student"]["fullName"])
    for global_id in list(ids):  # and the providers' own ids, as in their URLs
        padded = global_id + "=" * (-len(global_id) % 4)
        ids.add(base64.urlsafe_b64decode(padded).decode().rsplit(":", 1)[1])
    assert _comments(first), "the week has teachers' comments to look for"
    assert born, "birth dates to look for"
    span_texts = [_span_text(span) for span in spans]
    log_texts = [json.dumps(line, ensure_ascii=False) for line in lines]
    assert any("gateway.audit" in text for text in log_texts)
    for secret in sorted(secrets):
        leaks = [text for text in span_texts + log_texts if secret in text]
        assert not leaks, (secret, leaks[:2])
    not_audit = [
        t for t, line in zip(log_texts, lines, strict=True) if line["logger"] != "gateway.audit"
    ]
    for secret in sorted(ids):
        leaks = [text for text in span_texts + not_audit if secret in text]
        assert not leaks, (secret, leaks[:2])

    # -- the span tree -----------------------------------------------------------------
    by_id = {span.context.span_id: span for span in spans}
    servers = [s for s in spans if s.kind == SpanKind.SERVER]
    assert len(servers) == 9  # one per request
    assert {s.name for s in servers} == {"POST /graphql", "GET /graphql"}
    for server in servers:
        assert server.parent is None
        attributes = dict(server.attributes or {})
        assert attributes.get("gateway.request_id")
        assert all("?" not in str(v) for v in attributes.values()), attributes
    operations = [s for s in spans if (s.attributes or {}).get("graphql.operation.name")]
    assert len(operations) == 9
    for operation in operations:
        assert operation.parent is not None
        assert by_id[operation.parent.span_id].kind == SpanKind.SERVER
        assert operation.attributes is not None
        assert operation.attributes["graphql.operation.name"] == "other"  # not in a manifest
        assert operation.name == "query other"
    hits = [o for o in operations if (o.attributes or {}).get("gateway.response_cache") == "hit"]
    assert len(hits) == 1
    assert not [s for s in spans if s.parent and s.parent.span_id == hits[0].context.span_id]

    providers = [s for s in spans if s.name.startswith("provider ")]
    regions = {(s.attributes or {}).get("gateway.region") for s in providers}
    assert regions == {"74", "11", "77"}
    for call in providers:
        names = [a.name for a in _ancestors(call, by_id)]
        if names[0].startswith("loader "):  # a DataLoader batch's call
            names = names[1:]
        if names[0] != "graphql.execute":  # the response cache's scope: the caller's roles
            assert call.name == "provider profile", (call.name, names)
            names = ["graphql.execute", *names]
        assert names[:2] == ["graphql.execute", "query other"], (call.name, names)
        assert len(names) == 3, names
        assert names[-1].endswith(" /graphql"), names
        assert {a.context.trace_id for a in _ancestors(call, by_id)} == {call.context.trace_id}
    failed = [p for p in providers if (p.attributes or {}).get("gateway.outcome") == "unavailable"]
    assert failed
    assert {(p.attributes or {}).get("gateway.region") for p in failed} == {"77"}
    assert all(p.status.status_code == StatusCode.ERROR for p in failed)
    partial_ops = [
        o for o in operations if (o.attributes or {}).get("gateway.outcome") == "partial"
    ]
    assert len(partial_ops) == 1

    # providers reached over HTTP (77): httpx client spans under their call, origin only
    clients = [s for s in spans if s.kind == SpanKind.CLIENT and s.name in ("GET", "POST")]
    under_calls = [c for c in clients if c.parent and by_id[c.parent.span_id] in providers]
    assert len(under_calls) >= 4, [c.name for c in clients]
    for client in clients:
        parent_span = by_id[client.parent.span_id] if client.parent else None
        if parent_span is not None and parent_span.kind != SpanKind.SERVER:  # not JWKS
            assert parent_span.name.startswith("provider "), parent_span.name
        url = (client.attributes or {}).get("url.full") or (client.attributes or {}).get("http.url")
        assert isinstance(url, str)
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/"), url
        assert url.count("/") == 3, url

    # resolver groups, not fields: the cold week is a few dozen spans, not hundreds
    cold = operations[0].context.trace_id
    assert len([s for s in spans if s.context.trace_id == cold]) < 60

    # -- the log lines -----------------------------------------------------------------
    keys = {"time", "level", "logger", "message", "request_id", "trace_id", "span_id"}
    for line in lines:
        assert keys <= line.keys(), line
    access = [line for line in lines if line["logger"] == "gateway.access"]
    assert {line["route"] for line in access} >= {"/graphql", "/.well-known/dev-sso/jwks.json"}
    access = [line for line in access if line["route"] == "/graphql"]
    assert len(access) == 9
    traces = {f"{s.context.trace_id:032x}" for s in servers}
    request_ids = {(s.attributes or {})["gateway.request_id"] for s in servers}
    for line in access:
        assert line["trace_id"] in traces
        assert line["request_id"] in request_ids
        assert isinstance(line["status"], int)
        assert "?" not in line["message"]
    warnings = [line for line in lines if line["logger"] == "gateway.upstream"]
    assert warnings  # the outage
    for line in warnings:
        assert line["region"] == "77"
        assert line["request_id"] in request_ids
        assert line["trace_id"] in traces


def test_tracing_is_off_without_an_endpoint(tmp_path: Path) -> None:
    """No ``[telemetry] otlp_endpoint``: no provider, nothing wrapped or instrumented."""
    off = Telemetry.from_settings(parse_settings({}))
    assert off.provider is None
    assert off.tracer is None
    with make_demo(tmp_path / "key.json") as gateway:
        assert gateway.app.state.pipeline.telemetry is None
        runner = gateway.runner.inner
        assert runner.tracer is None
        assert isinstance(gateway.app.graphql, GatewayGraphQL)


def test_telemetry_settings() -> None:
    on = parse_settings({"telemetry": {"otlp_endpoint": "http://127.0.0.1:4318"}})
    assert on.telemetry.otlp_endpoint == "http://127.0.0.1:4318"
    assert on.telemetry.service_name == "diary-gateway"
    assert traces_url("http://127.0.0.1:4318/") == "http://127.0.0.1:4318/v1/traces"
    assert traces_url("http://c:4318/v1/traces") == "http://c:4318/v1/traces"
    for table, message in (
        ({"otlp_endpoint": "collector:4318"}, "telemetry.otlp_endpoint: expected an OTLP/HTTP URL"),
        ({"otlp_endpoint": 4318}, "telemetry.otlp_endpoint: expected a string"),
        ({"service_name": " "}, "telemetry.service_name: expected a non-empty service name"),
        ({"sample_ratio": 1.5}, "telemetry.sample_ratio: expected a share of traces from 0 to 1"),
        ({"endpoint": "x"}, "telemetry.endpoint: expected one of the known keys"),
    ):
        with pytest.raises(SettingsError) as raised:
            parse_settings({"telemetry": table})
        assert str(raised.value).startswith(message), str(raised.value)


def test_unsampled_requests_start_no_span_and_a_caller_s_decision_is_followed(
    tmp_path: Path,
) -> None:
    exporter = InMemorySpanExporter()
    # background work traced always: an untraced request's spans are dropped by its draw
    provider = TracerProvider(sampler=Telemetry.sampler(1.0))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        with make_demo(
            tmp_path / "key.json", telemetry=Telemetry(provider, sample_ratio=0.0)
        ) as gateway:
            token = gateway.token("parent")
            assert "errors" not in gateway.query(WEEK, school_week(), token=token)
            assert exporter.get_finished_spans() == ()  # not one, at any depth
            trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
            response = httpx.post(
                f"{gateway.url}/graphql",
                json={"query": "{ regions { code } }"},
                headers={
                    "Authorization": f"Bearer {token}",
                    "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
                },
                timeout=30,
            )
            assert response.status_code == 200
            spans = _finished(exporter, servers=1)
            assert {s.name for s in spans} >= {"POST /graphql", "query other"}
            assert {f"{s.context.trace_id:032x}" for s in spans} == {trace_id}
    finally:
        provider.shutdown()


def test_the_configured_share_of_requests_is_traced(tmp_path: Path) -> None:
    """``sample_ratio`` is the share of requests traced: the request is drawn once (a second
    draw by the provider's sampler would trace ratio² of them)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=Telemetry.sampler(0.5))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    requests = 200
    try:
        with make_demo(
            tmp_path / "key.json", telemetry=Telemetry(provider, sample_ratio=0.5)
        ) as gateway:
            with httpx.Client(timeout=30) as client:
                for _ in range(requests):
                    answer = client.post(
                        f"{gateway.url}/graphql", json={"query": "{ regions { code } }"}
                    )
                    assert answer.status_code == 200
        servers = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
        # 100 expected; ratio² would give 50 (both bounds are over 6 standard deviations out)
        assert 0.35 * requests <= len(servers) <= 0.65 * requests, len(servers)
    finally:
        provider.shutdown()
