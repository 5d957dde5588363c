"""Provider ids at the boundary (issue 10, item 2), over real HTTP against the demo.

* A native id that is not in its provider's shape is ``BAD_USER_INPUT`` before any provider
  call: the path injections of the report (``setHomeworkDone`` sending ``POST
  /__admin/reset`` and ``DELETE /v3/auth/sudir/auth`` with the family's token) reach
  nothing; the Moscow emulator's per-path counts and the gateway's upstream runner both
  stay still.
* Another spelling of a valid id (``=`` padding, non-zero trailing bits, stray characters,
  leading zeros, Unicode digits) is ``BAD_USER_INPUT`` too, and the attempt appears in the
  guardian's access log against the child's canonical id.
"""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from typing import Any

import httpx
import pytest

from adapters.native_ids import DIGITS, IdKind, canonical_native_id
from adapters.paths import provider_path
from diary_gateway_demo.demo import EMULATOR_PATH
from schema.ids import NonCanonicalIdError, decode_id, encode_id
from tests.clock import school_week

from .conftest import DemoGateway

CHILD = {"77": "770001001", "74": "740001001", "11": "110001001"}
"""The parent's child (the canonical student of the demo world) per region."""

DONE = """mutation SecurityDone($id: ID!, $done: Boolean!) {
  setHomeworkDone(homeworkId: $id, done: $done) { homework { isDone } }
}"""
STUDENT = "query SecurityStudent($id: ID!) { student(id: $id) { fullName } }"
NODE = "query SecurityNode($id: ID!) { node(id: $id) { id } }"
JOURNAL = """query SecurityJournal($id: ID!) {
  journal(groupId: $id, from: "2025-09-01", to: "2025-09-07") { group { name } }
}"""
WARM_UP = "query SecurityWarmUp { me { roles { region { code } } } }"
ACCESS_LOG = """query SecurityAccessLog{tag}($id: ID!) {{
  student(id: $id) {{ accessLog(first: 100) {{ nodes {{ relation fields isAllowed }} }} }}
}}"""


def _stats(demo: DemoGateway) -> Counter[str]:
    """The Moscow emulator's requests per path (its own admin calls are not counted)."""
    answer = httpx.get(f"{demo.url}{EMULATOR_PATH}/__admin/stats", timeout=10).json()
    return Counter(answer["paths"])


def _quiet(demo: DemoGateway, query: str, variables: dict[str, Any], persona: str) -> Any:
    """Run one operation; assert that no provider was asked anything while it ran.

    The persona signs in first (token exchange, profiles), so that what is measured is the
    operation alone; the caller's own profile may still be looked up (from cache).
    """
    demo.query(WARM_UP, persona=persona)
    before, asked = _stats(demo), _asked(demo)
    body = demo.query(query, variables, persona=persona)
    added = _stats(demo) - before
    assert not added, f"the provider was called: {dict(added)}"
    assert _asked(demo) == asked, "an adapter call was made"
    return body


def _asked(demo: DemoGateway) -> Counter[tuple[str, str]]:
    """Adapter calls about records (not the caller's own profile)."""
    return Counter({k: n for k, n in demo.runner.asked.items() if k[1] != "profile"})


def _bad_input(body: dict[str, Any]) -> None:
    assert body["errors"], body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
    data = body.get("data")
    assert data is None or all(v is None for v in data.values()), data


# -- the attacks as reported -----------------------------------------------------------------

ATTACKS = [
    pytest.param("770001001/1/../../../../../../__admin/reset?x=", True, id="post-admin-reset"),
    pytest.param("770001001/../../../../../v3/auth/sudir/auth?x=", False, id="delete-sudir-auth"),
]


@pytest.mark.parametrize(("native", "done"), ATTACKS)
def test_path_injection_through_a_homework_id_reaches_no_provider(
    demo: DemoGateway, native: str, done: bool
) -> None:
    demo.query(WARM_UP, persona="parent")
    before = _stats(demo)
    body = _quiet(demo, DONE, {"id": encode_id("Homework", "77", native), "done": done}, "parent")
    _bad_input(body)
    after = _stats(demo)
    assert [p for p in after - before if p.startswith(("/__admin", "/v3/auth"))] == []
    assert not before - after, "the emulator was reset"
    # The emulator's state was not reset: the family's data is still served.
    week = demo.query(STUDENT, {"id": encode_id("Student", "77", CHILD["77"])}, persona="parent")
    assert "errors" not in week, week["errors"]


def test_a_real_homework_is_still_marked_done(fresh_demo: DemoGateway) -> None:
    """The shapes let every id the gateway itself hands out through."""
    demo = fresh_demo
    query = """query SecurityWeek($from: Date!, $to: Date!) {
      me { children { region { code } diary(from: $from, to: $to) {
        days { lessons { homework { id } } } } } }
    }"""
    body = demo.query(query, school_week(), persona="parent")
    assert "errors" not in body, body["errors"]
    homework = [
        h["id"]
        for child in body["data"]["me"]["children"]
        if child["region"]["code"] in ("77", "74")
        for day in child["diary"]["days"]
        for lesson in day["lessons"]
        for h in lesson["homework"]
    ]
    regions = {decode_id(h).region for h in homework}
    assert regions == {"77", "74"}
    for region in sorted(regions):
        first = next(h for h in homework if decode_id(h).region == region)
        done = demo.query(DONE, {"id": first, "done": False}, persona="parent")
        assert "errors" not in done, done["errors"]


# -- hostile native parts: refused before any call --------------------------------------------

HOSTILE_STUDENTS = [
    "..",
    ".",
    "770001001/..",
    "770001001%2F..",
    "%2e%2e",
    "770001001?x=1",
    "770001001#x",
    " 770001001",
    "+770001001",
    "-770001001",
    "770_001_001",
    "7.70001001e8",
    "0x2DE54E29",
    "770001001\n",
    "a" * 200,
    "9" * 40,
]
HOSTILE_HOMEWORK = [
    "770001001",
    "770001001/",
    "/9823301",
    "770001001/9823301/x",
    "770001001/..",
    "770001001/.",
    "770001001/%2e%2e",
    "770001001/..%2F..%2F__admin%2Freset",
    "770001001/9823301?x=",
    "770001001/9823301%2Fdone",
    "770001001/9823301;x",
    "../770001001/9823301",
]


@pytest.mark.parametrize("region", ["77", "74", "11"])
@pytest.mark.parametrize("native", HOSTILE_STUDENTS)
def test_a_malformed_student_id_is_bad_user_input_before_any_call(
    demo: DemoGateway, region: str, native: str
) -> None:
    gid = encode_id("Student", region, native)
    for query in (STUDENT, NODE):
        _bad_input(_quiet(demo, query, {"id": gid}, "parent"))


@pytest.mark.parametrize("region", ["77", "74"])
@pytest.mark.parametrize("native", HOSTILE_HOMEWORK)
def test_a_malformed_homework_id_is_bad_user_input_before_any_call(
    demo: DemoGateway, region: str, native: str
) -> None:
    native = native.replace("770001001", CHILD[region])
    for done in (True, False):
        body = _quiet(
            demo, DONE, {"id": encode_id("Homework", region, native), "done": done}, "parent"
        )
        _bad_input(body)


@pytest.mark.parametrize("native", ["..", "770001004/..", "0770001004", "１２", "770001004%2F"])
def test_a_malformed_group_id_is_bad_user_input_before_any_call(
    demo: DemoGateway, native: str
) -> None:
    _bad_input(_quiet(demo, JOURNAL, {"id": encode_id("Group", "77", native)}, "teacher@77"))


@pytest.mark.parametrize("native", ["..", "07700001", "7700001/..", "７７００００１"])
def test_a_malformed_school_id_is_bad_user_input(demo: DemoGateway, native: str) -> None:
    _bad_input(_quiet(demo, NODE, {"id": encode_id("School", "77", native)}, "parent"))


def test_a_region_id_names_its_region_only(demo: DemoGateway) -> None:
    assert demo.query(NODE, {"id": encode_id("Region", "77", "77")})["data"]["node"]
    _bad_input(demo.query(NODE, {"id": encode_id("Region", "77", "../77")}))


# -- other spellings of a valid id -------------------------------------------------------------


def _spellings(region: str) -> dict[str, str]:
    """Non-canonical spellings of the child's id in ``region`` (each names that child)."""
    child = CHILD[region]
    canonical = encode_id("Student", region, child)
    assert len(canonical) % 4 == 3, "the examples below assume one padding character"
    last = canonical[-1]
    # two trailing bits are ignored by the decoder: set one (A..Z a..z 0..9 - _ order)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bits = alphabet[alphabet.index(last) | 1]
    assert bits != last
    fullwidth = "".join(chr(ord(c) - ord("0") + ord("０")) for c in child)
    arabic = "".join(chr(ord(c) - ord("0") + 0x0660) for c in child)
    return {
        "padding": canonical + "=",
        "double padding": canonical + "==",
        "trailing bits": canonical[:-1] + bits,
        "stray characters": canonical[:8] + "." + canonical[8:],
        "newline": canonical[:8] + "\n" + canonical[8:],
        "leading zero": encode_id("Student", region, "0" + child),
        "leading zeros, padded": encode_id("Student", region, "000" + child) + "=",
        "fullwidth digits": encode_id("Student", region, fullwidth),
        "arabic-indic digits": encode_id("Student", region, arabic),
    }


def _refusals(demo: DemoGateway, region: str) -> int:
    """How many refused attempts the guardian's access log shows for their child."""
    log = ACCESS_LOG.format(tag=secrets.token_hex(4))
    body = demo.query(log, {"id": encode_id("Student", region, CHILD[region])}, persona="parent")
    assert "errors" not in body, body["errors"]
    nodes = body["data"]["student"]["accessLog"]["nodes"]
    return sum(1 for n in nodes if not n["isAllowed"])


@pytest.mark.parametrize("region", ["77", "74", "11"])
def test_other_spellings_of_a_childs_id_are_refused_and_shown_to_the_guardian(
    fresh_demo: DemoGateway, region: str
) -> None:
    demo = fresh_demo
    spellings = _spellings(region)
    before = _refusals(demo, region)
    for name, spelled in spellings.items():
        for query in (STUDENT, NODE):
            body = _quiet(demo, query, {"id": spelled}, "other-parent")
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (name, body)
    assert _refusals(demo, region) - before == 2 * len(spellings)
    # The guardian's own slip is refused the same way (and shown: it was refused).
    body = _quiet(demo, STUDENT, {"id": spellings["padding"]}, "parent")
    _bad_input(body)
    assert _refusals(demo, region) - before == 2 * len(spellings) + 1


def test_another_spelling_of_a_homework_id_is_recorded_against_the_child(
    fresh_demo: DemoGateway,
) -> None:
    before = _refusals(fresh_demo, "77")
    gid = encode_id("Homework", "77", f"0{CHILD['77']}/9823301/2026-09-01")
    body = _quiet(fresh_demo, DONE, {"id": gid, "done": True}, "other-parent")
    _bad_input(body)
    assert _refusals(fresh_demo, "77") - before == 1


def test_an_anonymous_caller_gets_bad_user_input_and_records_nothing(
    fresh_demo: DemoGateway,
) -> None:
    before = _refusals(fresh_demo, "77")
    body = fresh_demo.query(STUDENT, {"id": _spellings("77")["padding"]})
    _bad_input(body)
    assert _refusals(fresh_demo, "77") == before


# -- the pieces, without a gateway -------------------------------------------------------------


def test_decode_refuses_every_other_spelling_and_names_the_canonical_id() -> None:
    raw = b"Student:77:770001001>>?"  # bytes that differ between the two alphabets
    url = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    standard = base64.b64encode(raw).rstrip(b"=").decode()
    assert url != standard
    assert decode_id(url).native == "770001001>>?"
    with pytest.raises(NonCanonicalIdError) as other_alphabet:
        decode_id(standard)
    assert other_alphabet.value.canonical.encode() == url
    assert other_alphabet.value.extensions == {"code": "BAD_USER_INPUT"}


def test_canonical_native_ids() -> None:
    shapes = {IdKind.STUDENT: DIGITS}
    assert canonical_native_id(shapes, IdKind.STUDENT, "770001001") == "770001001"
    assert canonical_native_id(shapes, IdKind.STUDENT, "00770001001") == "770001001"
    assert canonical_native_id(shapes, IdKind.STUDENT, "７７０") == "770"
    for hostile in ("..", "0", "", "1/2", "+1", " 1", "1" * 19, "x", "٫"):
        assert canonical_native_id(shapes, IdKind.STUDENT, hostile) is None, hostile
    assert canonical_native_id(shapes, IdKind.GROUP, "1") is None, "undeclared kinds: none"


def test_the_homework_path_is_quoted_by_the_helper() -> None:
    assert provider_path("api", "homeworks", "9823301", "done") == "/api/homeworks/9823301/done"
