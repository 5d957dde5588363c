"""The whole-response cache: hits, scope safety, invalidation, coalescing, audit replay."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clock import school_week, worlds

from .conftest import DemoGateway, make_demo

WEEK_QUERY = """query ($from: Date!, $to: Date!) {
  me { children { id fullName diary(from: $from, to: $to) {
    days { lessons { subject { name } marks { value } homework { id isDone } } } } } }
}"""


def _week(offset: int = 0) -> dict[str, str]:
    return school_week(weeks_back=offset)


def _post(
    gateway: DemoGateway, query: str, variables: dict[str, Any], token: str | None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


@pytest.fixture
def cached(tmp_path: Path) -> Iterator[DemoGateway]:
    with make_demo(tmp_path / "key.json") as gateway:
        yield gateway


def test_repeated_query_is_served_from_stored_bytes(cached: DemoGateway) -> None:
    token = cached.token("parent")
    first = _post(cached, WEEK_QUERY, _week(), token)
    assert first.headers["x-cache"] == "miss"
    cached.runner.calls.clear()
    audit = cached.app.state.audit
    before = len(audit.all_events())
    second = _post(cached, WEEK_QUERY, _week(), token)
    assert second.headers["x-cache"] == "hit"
    assert second.content == first.content
    assert sum(cached.runner.calls.values()) == 0
    # the audit trail still applies to a hit: the same reads are recorded again
    replayed = audit.all_events()[before:]
    children = sum(len(w.children_of("parent")) for w in worlds().values())
    assert len(replayed) == children == 4
    assert {e.fields for e in replayed} == {("diary",)}


def test_invalid_token_is_never_served_from_cache(cached: DemoGateway) -> None:
    token = cached.token("parent")
    _post(cached, WEEK_QUERY, _week(), token)
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    response = _post(cached, WEEK_QUERY, _week(), forged)
    body = response.json()
    assert response.headers.get("x-cache") != "hit"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not (body.get("data") or {}).get("me")


def test_responses_with_errors_are_not_stored(cached: DemoGateway) -> None:
    query = (
        'query { diary(studentId: "bm90LWFuLWlk", from: "2025-01-01", to: "2025-01-02") '
        "{ days { date } } }"
    )
    token = cached.token("parent")
    for _ in range(2):
        response = _post(cached, query, {}, token)
        assert response.json()["errors"]
        assert response.headers.get("x-cache") == "miss"


def test_mutation_invalidates_cached_responses(cached: DemoGateway) -> None:
    token = cached.token("parent")
    week = _week()
    body = _post(cached, WEEK_QUERY, week, token).json()
    moscow = next(c for c in body["data"]["me"]["children"] if _region(c["id"]) == "77")
    homework = next(
        h for d in moscow["diary"]["days"] for le in d["lessons"] for h in le["homework"]
    )
    assert _post(cached, WEEK_QUERY, week, token).headers["x-cache"] == "hit"
    changed = _post(
        cached,
        "mutation ($id: ID!) { setHomeworkDone(homeworkId: $id, done: true) "
        "{ homework { isDone } } }",
        {"id": homework["id"]},
        token,
    )
    assert changed.headers.get("x-cache") != "hit"
    after = _post(cached, WEEK_QUERY, week, token)
    assert after.headers["x-cache"] == "miss"
    moscow = next(c for c in after.json()["data"]["me"]["children"] if _region(c["id"]) == "77")
    done = {
        h["id"]: h["isDone"]
        for d in moscow["diary"]["days"]
        for le in d["lessons"]
        for h in le["homework"]
    }
    assert done[homework["id"]] is True


def _region(global_id: str) -> str:
    import base64

    text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return text.split(":")[1]


def test_identical_concurrent_operations_share_one_execution(cached: DemoGateway) -> None:
    token = cached.token("parent")
    cache = cached.app.state.response_cache
    executions = cache.executions

    async def burst() -> list[bytes]:
        async with httpx.AsyncClient(timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"{cached.url}/graphql",
                        json={"query": WEEK_QUERY, "variables": _week(4)},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for _ in range(200)
                )
            )
            return [r.content for r in responses]

    bodies = asyncio.run(burst())
    assert len(set(bodies)) == 1
    assert cache.executions - executions == 1


PERSONAS = [
    "parent",
    "parent-not-representative",
    "student@74",
    "student@11",
    "student@77",
    "teacher@74",
    "class-teacher@11",
    "school-admin@77",
]
QUERIES = [
    ("{ me { children { id fullName bornOn } roles { role } } }", {}),
    (WEEK_QUERY, _week()),
    (WEEK_QUERY, _week(1)),
    ("{ regions { code schools { nodes { name } } } }", {}),
]


def test_randomized_personas_never_see_each_others_cached_answers(tmp_path: Path) -> None:
    """Zero cross-scope hits: every answer equals that persona's own uncached answer."""
    with make_demo(tmp_path / "truth.json", cache={"responses": False}) as truth_gateway:
        truth = {
            (persona, i): _post(truth_gateway, q, v, truth_gateway.token(persona)).json()
            for persona in PERSONAS
            for i, (q, v) in enumerate(QUERIES)
        }
    with make_demo(tmp_path / "cached.json") as gateway:
        tokens = {p: gateway.token(p) for p in PERSONAS}
        plan = [(p, i) for p in PERSONAS for i in range(len(QUERIES))] * 3
        random.Random(20261128).shuffle(plan)
        hits = 0
        for persona, i in plan:
            query, variables = QUERIES[i]
            response = _post(gateway, query, variables, tokens[persona])
            hits += response.headers.get("x-cache") == "hit"
            assert response.json() == truth[(persona, i)], (persona, i)
        assert hits > 0, "the cache must actually serve hits for this test to mean anything"


def test_a_repeated_body_is_charged_and_answered_per_viewer(tmp_path: Path) -> None:
    """The same bytes again (the pipeline skips re-checking them) still get each viewer's
    own answer, a token check and the cost limit, counted on every hit."""
    from graphql import get_operation_ast, parse

    from schema.limits import operation_cost

    document = parse(WEEK_QUERY)
    operation = get_operation_ast(document)
    assert operation is not None
    cost = operation_cost(document, operation)
    with make_demo(
        tmp_path / "key.json",
        server={
            "rate_limits": True,
            "rate_limit_person": "1000000/day",
            "rate_limit_address": "1000000/day",
            "cost_limit_person": f"{3 * cost}/day",
            "cost_limit_address": "1000000/day",
        },
    ) as gateway:
        parent, other = gateway.token("parent"), gateway.token("other-parent")
        answers = [_post(gateway, WEEK_QUERY, _week(), parent) for _ in range(3)]
        assert [a.headers["x-cache"] for a in answers] == ["miss", "hit", "hit"]
        theirs = _post(gateway, WEEK_QUERY, _week(), other)
        assert theirs.status_code == 200
        assert theirs.json()["data"] != answers[0].json()["data"]  # their own children
        assert _post(gateway, WEEK_QUERY, _week(), other).content == theirs.content
        refused = _post(gateway, WEEK_QUERY, _week(), parent)  # the fourth: over the budget
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        forged = _post(gateway, WEEK_QUERY, _week(), other[:-4] + "AAAA")
        assert forged.headers.get("x-cache") != "hit"
        assert forged.json()["data"]["me"] is None
