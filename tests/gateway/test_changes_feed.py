"""The changes feed as a Relay connection: nodes, totalCount, and one diary read per page."""

from __future__ import annotations

import secrets
from collections import Counter

from .conftest import DemoGateway

FEED = """query ChangesFeed{tag} {{ me {{ children {{ id region {{ code }}
  changes(first: 20, days: 30) {{ totalCount pageInfo {{ hasNextPage }}
    nodes {{ id }}
    edges {{ cursor node {{ id kind lessonOn
      lesson {{ id date }} mark {{ id lessonOn }} homework {{ id }} }} }} }} }} }} }}"""


def test_a_page_of_changes_finds_its_records_in_one_diary_read(demo: DemoGateway) -> None:
    demo.runner.asked.clear()
    body = demo.query(FEED.format(tag=secrets.token_hex(4)), persona="parent")
    assert "errors" not in body, body
    children = body["data"]["me"]["children"]
    per_region: Counter[str] = Counter()
    spread = 0
    found = 0
    for child in children:
        feed = child["changes"]
        edges = feed["edges"]
        assert feed["nodes"] == [{"id": e["node"]["id"]} for e in edges]
        assert feed["totalCount"] >= len(edges)
        assert feed["pageInfo"]["hasNextPage"] == (feed["totalCount"] > len(edges))
        days = {e["node"]["lessonOn"] for e in edges if e["node"]["lessonOn"]}
        spread = max(spread, len(days))
        per_region[child["region"]["code"]] += 1 if days else 0
        for edge in edges:
            node = edge["node"]
            if node["mark"] is not None:
                assert node["mark"]["lessonOn"] == node["lessonOn"]
                found += 1
            if node["lesson"] is not None:
                assert node["lesson"]["date"] == node["lessonOn"]
    assert spread > 1, "a page spans several lesson days"
    assert found > 0, "marks of the feed are found in the diary"
    reads = {
        region: n for (region, resource), n in demo.runner.asked.items() if resource == "diary"
    }
    # at most one diary read per child's page (twins with the same span share one)
    for region, n in reads.items():
        assert n <= per_region[region], (reads, per_region)
