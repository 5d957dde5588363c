"""Issue 10, item 1: fragment fan-out cannot stall an instance.

The attack as reported: an anonymous query of fragments each spreading the next twice
(``query{...F0} fragment F0 on Query{...F1 ...F1} … fragment F19 on Query{regions{code}}``)
was refused only after 10 s, and ``/healthz`` waited as long; thirty fragments froze an
instance for minutes. Now it is refused at once, by the fan-out check that runs before
graphql-core's validation rules, and the limit walkers visit each fragment once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from graphql import DocumentNode, FieldNode, FragmentSpreadNode, InlineFragmentNode, parse, visit
from graphql.language import Visitor
from graphql.validation.rules.overlapping_fields_can_be_merged import (
    OverlappingFieldsCanBeMergedRule,
)

from schema import QueryLimits, build_schema
from schema.limits import argument_error, fan_out_error, walker_visits

from .conftest import DemoGateway

LIMITS = QueryLimits()


def attack(fragments: int, leaf: str = "regions{code}") -> str:
    """The reported document: ``fragments`` fragments, each spreading the next twice."""
    parts = ["query{...F0}"]
    parts += [f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(fragments - 1)]
    parts.append(f"fragment F{fragments - 1} on Query{{{leaf}}}")
    return " ".join(parts)


def _post(demo: DemoGateway, query: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.post(
        f"{demo.url}/graphql",
        json={"query": query},
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    return response, time.perf_counter() - started


def _refused(response: httpx.Response, limit: str) -> dict[str, Any]:
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["limit"] == limit, error
    found: dict[str, Any] = error
    return found


def _selections(document: DocumentNode) -> int:
    count = 0

    class Counter(Visitor):
        def enter(self, node: Any, *_: Any) -> None:
            nonlocal count
            if isinstance(node, FieldNode | FragmentSpreadNode | InlineFragmentNode):
                count += 1

    visit(document, Counter())
    return count


@pytest.fixture
def overlap_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts graphql-core's overlapping-fields rule at work (the costly one on attacks)."""
    entered: list[int] = []
    original = OverlappingFieldsCanBeMergedRule.enter_selection_set

    def counting(self: Any, *args: Any) -> Any:
        entered.append(1)
        return original(self, *args)

    monkeypatch.setattr(OverlappingFieldsCanBeMergedRule, "enter_selection_set", counting)
    return entered


def test_the_reported_attacks_are_refused_at_once(
    demo: DemoGateway, overlap_checks: list[int]
) -> None:
    for fragments in (20, 30):
        query = attack(fragments)
        response, _ = _post(demo, query)
        error = _refused(response, "fields")
        assert error["extensions"]["maximum"] == LIMITS.fields
    # refused before graphql-core's own validation looked at the document
    assert overlap_checks == []


def test_the_attack_with_the_graphql_response_media_type_is_a_400(demo: DemoGateway) -> None:
    response = httpx.post(
        f"{demo.url}/graphql",
        json={"query": attack(30)},
        headers={
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json",
        },
        timeout=30,
    )
    assert response.status_code == 400
    _refused(response, "fields")


def test_walkers_visit_each_fragment_once() -> None:
    schema = build_schema()._schema
    for fragments in (20, 30, 60):
        document = parse(attack(fragments))
        visits = walker_visits(schema, document, LIMITS)
        # depth, aliases, planned calls and argument checks: each looks at every selection
        # of the document once (the planned calls once per parent type: here one)
        assert visits <= 4 * _selections(document), (fragments, visits)
        assert visits < 500


def test_the_walkers_stop_at_their_visit_budget() -> None:
    schema = build_schema()._schema
    tight = QueryLimits(visits=50)
    document = parse("{ regions { " + " ".join(f"a{i}: code" for i in range(100)) + " } }")
    assert walker_visits(schema, document, tight) <= 4 * (tight.visits + 1)
    error = argument_error(document, None, {}, tight)
    assert error is not None
    assert (error.extensions or {})["limit"] == "visits"


class _CountingSelections(tuple[Any, ...]):
    """A selection set's selections that count how many are looked at."""

    looked = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            _CountingSelections.looked += 1
            yield item


def _counted(document: DocumentNode) -> DocumentNode:
    class Wrap(Visitor):
        def enter_selection_set(self, node: Any, *_: Any) -> None:
            # nodes are frozen dataclasses: swap the tuple in place for a counting one
            object.__setattr__(node, "selections", _CountingSelections(node.selections))

    visit(document, Wrap())
    return document


def test_the_fan_out_check_is_linear_and_comes_first() -> None:
    looked = []
    for fragments in (100, 200):
        document = _counted(parse(attack(fragments), max_tokens=100_000))
        _CountingSelections.looked = 0
        error = fan_out_error(document, LIMITS)
        assert error is not None
        assert (error.extensions or {})["limit"] == "fields"
        # each selection looked at a bounded number of times, however the fragments spread
        assert _CountingSelections.looked <= 3 * _selections(document)
        looked.append(_CountingSelections.looked)
    assert looked[1] <= 2.5 * looked[0]


def test_the_schema_refuses_the_attack_before_its_own_validation(
    overlap_checks: list[int],
) -> None:
    """Executed without the HTTP view (the schema's extensions alone), just as quick."""
    schema = build_schema()
    result = asyncio.run(schema.execute(attack(30)))
    assert overlap_checks == []
    assert result.data is None
    (error,) = result.errors or []
    assert (error.extensions or {})["limit"] == "fields"


def test_many_same_named_fields_are_refused_before_validation(
    demo: DemoGateway, overlap_checks: list[int]
) -> None:
    # 240 × regions{code}: graphql-core's overlapping-fields rule compares every pair (~0.3 s)
    response, _ = _post(demo, "{" + " regions{code}" * 240 + "}")
    _refused(response, "merges")
    assert overlap_checks == []
    many = " ".join(f"...F{i}" for i in range(110))
    fragments = " ".join(f"fragment F{i} on Region{{code}}" for i in range(110))
    response, _ = _post(demo, f"{{regions{{{many}}}}} {fragments}")
    _refused(response, "merges")


def test_fragment_cycles_are_refused_early(demo: DemoGateway) -> None:
    response, _ = _post(
        demo,
        "{ regions { ...A } } fragment A on Region { code ...B } "
        "fragment B on Region { name ...C } fragment C on Region { code ...A }",
    )
    error = _refused(response, "fragments")
    assert "within itself" in error["message"]


def test_healthz_answers_while_hostile_documents_are_refused(demo: DemoGateway) -> None:
    stop = threading.Event()
    answers: list[int] = []

    def hostile() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                fragments = 20 + len(answers) % 40
                response = client.post(f"{demo.url}/graphql", json={"query": attack(fragments)})
                answers.append(response.status_code)

    thread = threading.Thread(target=hostile, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 1.5
        health_checks = 0
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < deadline:
                assert client.get(f"{demo.url}/healthz").status_code == 200
                health_checks += 1
                time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert answers
    assert all(status == 200 for status in answers), answers[:5]
    assert health_checks > 10  # /healthz kept answering meanwhile (bench (e) measures the lag)


def test_ordinary_fragments_are_still_answered(demo: DemoGateway) -> None:
    # the attack's shape at a harmless size: 4 fragments, 8 copies of one field, merged
    response, _ = _post(demo, attack(4))
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["regions"]
