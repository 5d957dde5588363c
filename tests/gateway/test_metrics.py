"""``GET /metrics`` after a scripted session: every family there, plausible, no personal data.

The session: a parent reads the week (provider calls), reads it again (a response-cache
hit), sends a persisted query by hash (a miss, then a registration, then a hit), region 77's
system goes down for one read (a partial answer, provider failures, a breaker that counts
them), and the rate limit refuses a burst. The scrape is parsed with the Prometheus
client's own parser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from diary_gateway_demo.seed import World
from tests.clock import school_week

from .conftest import DemoGateway, make_demo
from .test_partial_answers import region_down

WEEK = """query ParentWeek($from: Date!, $to: Date!) { me { children { fullName
  diary(from: $from, to: $to) { days { lessons { marks { value comment } } } } } } }"""


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(gateway: DemoGateway, token: str | None = None) -> tuple[Samples, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{gateway.url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, response.text


def _sum(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, got), value in samples.items()
        if sample == name and all((k, v) in got for k, v in labels.items())
    )


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[DemoGateway]:
    with make_demo(
        tmp_path / "key.json",
        server={"metrics": "open", "rate_limits": True, "rate_limit_person": "12/minute"},
        cache={"ttl": {"diary": 0}},  # every cold read reaches the provider
    ) as demo:
        yield demo


def test_metrics_after_a_scripted_session(gateway: DemoGateway) -> None:
    week = school_week()
    first = gateway.query(WEEK, week, persona="parent")
    assert "errors" not in first, first
    again = gateway.query(WEEK, week, persona="parent")
    assert again == first
    # a persisted query sent by hash: not found, registered with its text, then found
    query = "query Regions { regions { code } }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    token = gateway.token("parent")
    post = {"Authorization": f"Bearer {token}"}
    missing = httpx.post(f"{gateway.url}/graphql", json={"extensions": ext}, headers=post)
    assert "PERSISTED_QUERY_NOT_FOUND" in missing.text
    httpx.post(f"{gateway.url}/graphql", json={"query": query, "extensions": ext}, headers=post)
    found = httpx.post(f"{gateway.url}/graphql", json={"extensions": ext}, headers=post)
    assert found.json()["data"]["regions"], found.text
    # region 77 down for one (uncached) read: a partial answer
    other_week = school_week(weeks_back=1)
    with region_down(gateway, "77"):
        partial = gateway.query(WEEK, other_week, persona="parent")
    assert partial["data"]["me"]["children"]
    assert partial["errors"]
    # a burst past the person's request limit
    burst = [
        httpx.post(f"{gateway.url}/graphql", json={"query": "{ regions { code } }"}, headers=post)
        for _ in range(12)
    ]
    assert 429 in {r.status_code for r in burst}

    samples, text = _scrape(gateway)
    requests = _sum(samples, "diary_gateway_requests_total")
    assert requests >= 17
    assert _sum(samples, "diary_gateway_requests_total", outcome="ok") >= 3
    assert _sum(samples, "diary_gateway_requests_total", outcome="partial") >= 1
    assert _sum(samples, "diary_gateway_requests_total", outcome="refused") >= 1
    # clients choose operation names: only the manifest's are labels (here none)
    operations = {dict(k[1]).get("operation") for k in samples if "operation" in dict(k[1])}
    assert operations == {"other"}
    assert _sum(samples, "diary_gateway_request_duration_seconds_count") == requests
    assert _sum(samples, "diary_gateway_request_duration_seconds_sum") > 0
    # provider calls by region and outcome, with latencies
    for region in ("74", "11", "77"):
        assert _sum(samples, "diary_gateway_provider_calls_total", region=region, outcome="ok")
    assert _sum(samples, "diary_gateway_provider_calls_total", region="77", outcome="unavailable")
    calls = _sum(samples, "diary_gateway_provider_calls_total")
    assert _sum(samples, "diary_gateway_provider_call_duration_seconds_count") == calls
    # caches by layer
    assert _sum(samples, "diary_gateway_cache_lookups_total", layer="response", result="hit") >= 1
    assert _sum(samples, "diary_gateway_cache_lookups_total", layer="response", result="miss") >= 2
    assert _sum(samples, "diary_gateway_cache_lookups_total", layer="entity", result="miss") >= 1
    # breakers (one state set per provider), bulkheads, refusals, persisted queries
    breakers = [k for k in samples if k[0] == "diary_gateway_breaker_state"]
    providers = {dict(k[1])["provider"] for k in breakers}
    assert len(providers) == 3
    for provider in providers:
        assert _sum(samples, "diary_gateway_breaker_state", provider=provider) == 1
    capacity = [v for k, v in samples.items() if k[0] == "diary_gateway_bulkhead_capacity"]
    assert capacity
    assert all(v >= 1 for v in capacity)
    assert _sum(samples, "diary_gateway_bulkhead_in_use") == 0  # nothing in flight now
    assert _sum(samples, "diary_gateway_rate_limited_total", limit="requests_person") >= 1
    assert _sum(samples, "diary_gateway_persisted_queries_total", result="not_found") == 1
    assert _sum(samples, "diary_gateway_persisted_queries_total", result="registered") == 1
    assert _sum(samples, "diary_gateway_persisted_queries_total", result="hit") == 1
    assert "diary_gateway_leak_guard_dropped" in text
    # no personal data in any label or line: names, marks' comments, ids, tokens
    _assert_no_personal_data(text, first, token)
    values = {v for _, labels in samples for _, v in labels}
    assert [v for v in values if not re.fullmatch(r"[A-Za-z0-9_+.:]{1,16}", v)] == []


def _assert_no_personal_data(text: str, answer: dict[str, Any], token: str) -> None:
    names = {c["fullName"] for c in answer["data"]["me"]["children"]}
    world = World.build("74")
    names |= {s.person.last_name for s in list(world.students.values())[:50]}
    comments = {
        m["comment"]
        for c in answer["data"]["me"]["children"]
        for d in c["diary"]["days"]
        for le in d["lessons"]
        for m in le["marks"]
        if m["comment"]
    }
    for secret in names | comments | {token}:
        assert secret not in text, secret


def test_metrics_behind_a_token_and_off_by_default(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics.token"
    token_file.write_text("s3cret-metrics\n", encoding="utf-8")
    with make_demo(
        tmp_path / "key.json",
        server={"metrics": "token", "metrics_token_file": str(token_file)},
    ) as gateway:
        refused = httpx.get(f"{gateway.url}/metrics", timeout=10)
        assert refused.status_code == 401
        wrong = httpx.get(
            f"{gateway.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10
        )
        assert wrong.status_code == 401
        samples, _ = _scrape(gateway, "s3cret-metrics")
        assert any(k[0] == "diary_gateway_cache_lookups_total" for k in samples)
    with make_demo(tmp_path / "key.json") as plain:
        assert httpx.get(f"{plain.url}/metrics", timeout=10).status_code == 404
