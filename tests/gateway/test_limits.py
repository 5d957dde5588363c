"""Each query limit refuses its hostile query before any adapter is asked anything."""

from __future__ import annotations

from typing import Any

import pytest

from schema import QueryLimits
from tests.clock import school_week

from .conftest import DemoGateway

DEFAULTS = QueryLimits()


def _week() -> dict[str, str]:
    return school_week()


@pytest.fixture
def quiet(demo: DemoGateway) -> DemoGateway:
    """The shared demo, with the adapter-call counters cleared."""
    demo.runner.calls.clear()
    demo.runner.asked.clear()
    return demo


def _refused(body: dict[str, Any], limit: str) -> None:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"].get("limit") == limit, error


def _nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth):
        inner = f"schools(first: 1) {{ nodes {{ region {{ {inner} }} }} }}"
    return "{ regions { " + inner + " } }"


def test_depth_limit(quiet: DemoGateway) -> None:
    # regions(1) + 3 levels per loop: depth 1 + 3 × 3 + 1 = 11 > 8
    body = quiet.query(_nested(3), persona="parent")
    _refused(body, "depth")
    assert sum(quiet.runner.asked.values()) == 0
    within = quiet.query(_nested(2), persona="parent")  # depth 8
    assert "errors" not in within, within


def test_alias_limit_counts_through_fragments(quiet: DemoGateway) -> None:
    aliases = " ".join(f"a{i}: code" for i in range(8))
    fragment = f"fragment F on Region {{ {aliases} }}"
    # 8 aliases in the fragment, spread twice: 16 > 15, though the text has only 8
    body = quiet.query(
        f"{{ one: regions {{ ...F }} two: regions {{ ...F }} }} {fragment}", persona="parent"
    )
    _refused(body, "aliases")
    assert sum(quiet.runner.asked.values()) == 0
    within = quiet.query(f"{{ regions {{ ...F }} }} {fragment}", persona="parent")
    assert "errors" not in within, within


def test_token_limit(quiet: DemoGateway) -> None:
    body = quiet.query("{ regions { " + "code " * DEFAULTS.tokens + "} }", persona="parent")
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "token" in body["errors"][0]["message"].lower()
    assert sum(quiet.runner.asked.values()) == 0


def test_directive_limit(quiet: DemoGateway) -> None:
    fields = " ".join(f"c{i}: code @include(if: true)" for i in range(DEFAULTS.directives + 1))
    body = quiet.query(f"{{ regions {{ {fields} }} }}", persona="parent")
    # 11 directives; the alias count (11) stays within its own limit
    _refused(body, "directives")
    assert sum(quiet.runner.asked.values()) == 0


def test_cost_limit_in_planned_provider_calls(quiet: DemoGateway) -> None:
    diaries = " ".join(
        f"d{i}: diary(from: $from, to: $to) {{ days {{ date }} }}" for i in range(10)
    )
    query = f"query ($from: Date!, $to: Date!) {{ me {{ children {{ {diaries} }} }} }}"
    body = quiet.query(query, _week(), persona="parent")
    _refused(body, "cost")
    assert body["errors"][0]["extensions"]["value"] > DEFAULTS.cost
    assert sum(quiet.runner.asked.values()) == 0


def test_journal_fan_out_is_refused(quiet: DemoGateway) -> None:
    query = """query ($g: ID!, $from: Date!, $to: Date!) {
      journal(groupId: $g, from: $from, to: $to) {
        rows { student { diary(from: $from, to: $to) { days { date } }
                         progress { count } changes { edges { cursor } } } }
      }
    }"""
    body = quiet.query(query, {"g": "R3JvdXA6NzQ6MQ", **_week()}, persona="teacher@74")
    _refused(body, "cost")  # 30 rows × 3 reads each
    assert sum(quiet.runner.asked.values()) == 0


def test_year_long_range_is_refused_at_its_field(quiet: DemoGateway) -> None:
    body = quiet.query(
        "query ($from: Date!, $to: Date!) { me { children { name: fullName "
        "diary(from: $from, to: $to) { days { date } } } } }",
        {"from": "2025-09-01", "to": "2026-08-31"},
        persona="parent",
    )
    children = body["data"]["me"]["children"]
    assert children, body
    assert all(c["name"] and c["diary"] is None for c in children), body
    assert len(body["errors"]) == len(children)
    for index, error in enumerate(body["errors"]):
        assert error["path"] == ["me", "children", index, "diary"], error
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["limit"] == "range", error
        assert error["extensions"]["argument"] == "to", error
        assert error["extensions"]["maximum"] == DEFAULTS.max_range_days, error
    # refused before any diary was read
    assert not any(resource == "diary" for _, resource in quiet.runner.asked), quiet.runner.asked


def test_page_size_cap(quiet: DemoGateway) -> None:
    body = quiet.query(
        "{ me { children { changes(first: 5000) { edges { cursor } } } } }", persona="parent"
    )
    _refused(body, "first")
    assert sum(quiet.runner.asked.values()) == 0


def test_circular_fragments_are_a_validation_error(quiet: DemoGateway) -> None:
    body = quiet.query(
        "{ regions { ...A } } fragment A on Region { code ...B } "
        "fragment B on Region { name ...A }",
        persona="parent",
    )
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "within itself" in " ".join(e["message"] for e in body["errors"])
    assert sum(quiet.runner.asked.values()) == 0


def test_a_parents_week_is_within_every_limit(quiet: DemoGateway) -> None:
    from .test_graph import PARENT_WEEK

    body = quiet.query(PARENT_WEEK, _week(), persona="parent")
    assert "errors" not in body, body.get("errors")
