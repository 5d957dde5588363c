"""Partial answers: one region down never nulls another region's data (issue 11, item 7).

Each demo region is taken down in turn (its emulator's ``/__admin/faults``) on a gateway
with cold caches, and the public directory, ``me { children }`` and a diary query are
checked: the other regions answer in full, the failing region's part is null with a coded
error whose path points at that part only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.demo import ELJUR_EMULATOR_PATH, EMULATOR_PATH, NETCITY_EMULATOR_PATH
from tests.clock import school_week

from .conftest import DemoGateway, make_demo

REGIONS = ("74", "11", "77")
PROVIDER_CODES = {"PROVIDER_UNAVAILABLE", "PROVIDER_ERROR", "PROVIDER_TIMEOUT"}


@contextmanager
def region_down(gateway: DemoGateway, code: str) -> Iterator[None]:
    """Every call to region ``code``'s system fails with a server error while inside."""
    emulators = {"77": EMULATOR_PATH, "11": ELJUR_EMULATOR_PATH, "74": NETCITY_EMULATOR_PATH}
    admin = f"{gateway.url}{emulators[code]}/__admin/faults"
    httpx.post(admin, json={"error_rate": 1.0}, timeout=10).raise_for_status()
    try:
        yield
    finally:
        httpx.post(admin, json={}, timeout=10).raise_for_status()


def _assert_region_error(error: dict[str, Any], code: str, path: list[Any]) -> None:
    assert error["path"] == path, error
    assert error["extensions"]["code"] in PROVIDER_CODES, error
    assert error["extensions"].get("region") in (None, code), error


@pytest.fixture(scope="module")
def child_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The parent's children's ids by region (global ids are the same in every demo)."""
    with make_demo(Path(tmp_path_factory.mktemp("ids")) / "key.json") as gateway:
        body = gateway.query("{ me { children { id region { code } } } }", persona="parent")
    assert "errors" not in body, body
    ids: dict[str, list[str]] = {}
    for child in body["data"]["me"]["children"]:
        ids.setdefault(child["region"]["code"], []).append(child["id"])
    assert set(ids) == set(REGIONS)
    return ids


@pytest.mark.parametrize("down", REGIONS)
def test_one_region_down_leaves_the_others_whole(
    down: str, child_ids: dict[str, list[str]], tmp_path: Path
) -> None:
    with make_demo(tmp_path / "key.json") as gateway, region_down(gateway, down):
        # The public directory: the failing region's schools are null, the rest are listed.
        body = gateway.query("{ regions { code name schools { nodes { name } } } }")
        assert body["data"] is not None, body
        regions = body["data"]["regions"]
        assert sorted(r["code"] for r in regions) == sorted(REGIONS)
        for index, region in enumerate(regions):
            assert region["name"], region  # no provider call: always there
            if region["code"] == down:
                assert region["schools"] is None
                (error,) = body["errors"]
                _assert_region_error(error, down, ["regions", index, "schools"])
            else:
                assert len(region["schools"]["nodes"]) >= 2, region

        # The viewer: the failing region's children are null items, the others are there.
        body = gateway.query(
            "{ me { id children { fullName region { code } } } }", persona="parent"
        )
        assert body["data"]["me"]["id"], body
        children = body["data"]["me"]["children"]
        present = sorted(c["region"]["code"] for c in children if c is not None)
        expected = sorted(code for code, ids in child_ids.items() if code != down for _ in ids)
        assert present == expected, body
        nulls = [i for i, c in enumerate(children) if c is None]
        assert len(nulls) == 1, body
        (error,) = body["errors"]
        _assert_region_error(error, down, ["me", "children", nulls[0]])

        # A diary per child in one query: only the failing region's diaries are null.
        aliases = {
            f"d{code}_{n}": (code, student_id)
            for code, ids in child_ids.items()
            for n, student_id in enumerate(ids)
        }
        variables = school_week()
        query = (
            "query ($from: Date!, $to: Date!) { "
            + " ".join(
                f'{alias}: diary(studentId: "{student_id}", from: $from, to: $to) '
                "{ days { date lessons { subject { name } } } }"
                for alias, (_, student_id) in aliases.items()
            )
            + " }"
        )
        body = gateway.query(query, variables, persona="parent")
        failed = {e["path"][0]: e for e in body.get("errors", [])}
        for alias, (code, _) in aliases.items():
            if code == down:
                assert body["data"][alias] is None, body
                _assert_region_error(failed.pop(alias), down, [alias])
            else:
                assert body["data"][alias] is not None, body
                assert len(body["data"][alias]["days"]) == 7
        assert not failed, failed
