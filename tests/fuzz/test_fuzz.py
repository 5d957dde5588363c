"""Fuzzing the gateway over real HTTP, as every persona (hypothesis-graphql).

Valid operations are generated from the schema (with real ids and dates some of the time,
so resolvers are reached, not only validation), invalid ones by hypothesis-graphql's
negative mode and by mangling requests (bodies, content types, methods). Every answer must:

* never be a 5xx;
* be GraphQL JSON: an object with ``data`` and/or ``errors``, every error with a message
  and an ``extensions.code`` from the catalogue — and never ``INTERNAL_SERVER_ERROR``,
  which would be an unexpected exception;
* carry no exception text (tracebacks, Python exception names);
* return no child's record to a persona the policy keeps from it: a ``Student`` object
  with a non-null ``bornOn``, ``parentContacts``, ``diary``, ``progress``, ``changes`` or
  ``accessLog`` is checked against the demo world's relationships.

CI runs a bounded number of examples (``FUZZ_EXAMPLES``, default 60 per test);
``scripts/fuzz`` runs thousands.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from diary_gateway_demo.seed import World, national_id
from schema import Relation, rule_for
from tests.clock import school_week
from tests.gateway.conftest import DemoGateway, make_demo

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
SDL = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text("utf-8")
CODES = {
    "UNAUTHENTICATED",
    "REAUTHENTICATION_REQUIRED",
    "FORBIDDEN",
    "NOT_FOUND",
    "NOT_SUPPORTED",
    "PROVIDER_UNAVAILABLE",
    "BAD_USER_INPUT",
    "RATE_LIMITED",
}
LEAKS = ("Traceback", "KeyError", "TypeError", "AttributeError", "ValueError", 'File "')
PERSONAS = [
    None,
    "parent",
    "parent-not-representative",
    "student@74",
    "teacher@11",
    "class-teacher@77",
    "school-admin@74",
]
SENSITIVE = ("bornOn", "parentContacts", "diary", "progress", "changes", "accessLog")
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)


def _gid(kind: str, region: str, native: object) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{region}:{native}".encode()).rstrip(b"=").decode()


class Worlds:
    """The demo worlds: real ids for the generator, relationships for the leak check."""

    def __init__(self) -> None:
        self.worlds = {code: World.build(code) for code in ("74", "11", "77")}

    def student_ids(self) -> list[str]:
        ids = []
        for code, world in self.worlds.items():
            canonical = world.students[world.canonical_student_id]
            classmates = world.class_students(canonical.class_id)[:3]
            ids += [_gid("Student", code, s.id) for s in classmates]
        return ids

    def group_ids(self) -> list[str]:
        return [
            _gid("Group", code, g.id)
            for code, world in self.worlds.items()
            for g in list(world.groups.values())[:4]
        ]

    def relations(self, persona: str | None, student_gid: str) -> set[Relation]:
        """How ``persona`` relates to a student, from the demo world (not from the gateway)."""
        if persona is None:
            return {Relation.PUBLIC}
        text = base64.urlsafe_b64decode(student_gid + "=" * (-len(student_gid) % 4)).decode()
        _, region, native = text.split(":", 2)
        world = self.worlds.get(region)
        student = world.students.get(int(native)) if world and native.isdigit() else None
        found = {Relation.PUBLIC, Relation.SIGNED_IN}
        if world is None or student is None:
            return found
        name, _, persona_region = persona.partition("@")
        if name in ("parent", "parent-not-representative"):
            for key, legal in student.parents:
                if key == name:
                    found.add(Relation.LEGAL_REPRESENTATIVE if legal else Relation.PARENT)
            return found
        if persona_region != region:
            return found
        person = world.people_by_national_id().get(national_id(name, region))
        if person is None:
            return found
        if name == "student" and student.person.key == person.key:
            found.add(Relation.SELF)
        if world.admins.get(student.school_id) == person:
            found.add(Relation.SCHOOL_ADMIN)
        teacher = world.teacher_by_person_key(person.key)
        if teacher is not None:
            if world.classes[student.class_id].class_teacher_id == teacher.id:
                found.add(Relation.CLASS_TEACHER)
            if any(g.class_id == student.class_id for g in world.groups_of_teacher(teacher.id)):
                found.add(Relation.GROUP_TEACHER)
        return found


WORLDS = Worlds()


def _scalars() -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    monday = date.fromisoformat(school_week()["from"])
    dates = st.one_of(
        st.integers(-70, 14).map(lambda n: monday + timedelta(days=n)),
        st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    )
    ids = st.one_of(
        st.sampled_from(WORLDS.student_ids() + WORLDS.group_ids()),
        st.text(max_size=40),
    )
    return {
        "Date": dates.map(lambda d: graphql.StringValueNode(value=d.isoformat())),
        "ID": ids.map(lambda text: graphql.StringValueNode(value=text)),
    }


SEEN: Counter[str] = Counter()
"""What the run saw: statuses, error codes, answers with data (printed with ``-s``)."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    with make_demo(Path(tmp_path_factory.mktemp("fuzz")) / "key.json") as demo:
        yield demo
    print("\nfuzz summary:", dict(sorted(SEEN.items())))


def _post(
    demo: DemoGateway,
    persona: str | None,
    body: bytes | str,
    *,
    content_type: str = "application/json",
    method: str = "POST",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if persona is not None:
        headers["Authorization"] = f"Bearer {demo.token(persona)}"
    if method == "GET":
        return httpx.get(f"{demo.url}/graphql", params={"query": body}, headers=headers, timeout=60)
    return httpx.request(method, f"{demo.url}/graphql", content=body, headers=headers, timeout=60)


def _check(response: httpx.Response, persona: str | None) -> dict[str, Any] | None:
    SEEN["requests"] += 1
    SEEN[f"status {response.status_code}"] += 1
    assert response.status_code < 500, (response.status_code, response.text[:500])
    for leak in LEAKS:
        assert leak not in response.text, response.text[:500]
    if not response.headers.get("content-type", "").startswith(
        ("application/json", "application/graphql-response+json")
    ):
        return None
    body = response.json()
    assert isinstance(body, dict), body
    assert "data" in body or "errors" in body, body
    for error in body.get("errors") or []:
        assert isinstance(error.get("message"), str)
        code = (error.get("extensions") or {}).get("code")
        SEEN[f"code {code}"] += 1
        assert code in CODES, error
    if body.get("data"):
        SEEN["answers with data"] += 1
    if isinstance(body.get("data"), dict):
        _no_leaks(body["data"], persona)
    return body


def _no_leaks(value: Any, persona: str | None) -> None:
    if isinstance(value, list):
        for item in value:
            _no_leaks(item, persona)
        return
    if not isinstance(value, dict):
        return
    student_id = value.get("id")
    if isinstance(student_id, str) and any(value.get(f) not in (None, []) for f in SENSITIVE):
        try:
            kind = base64.urlsafe_b64decode(student_id + "=" * (-len(student_id) % 4))
        except ValueError:
            kind = b""
        if kind.startswith(b"Student:"):
            relations = WORLDS.relations(persona, student_id)
            for name in SENSITIVE:
                if value.get(name) not in (None, []):
                    rule = rule_for("Student", name) or frozenset()
                    assert rule & relations, (persona, student_id, name, relations)
    for item in value.values():
        _no_leaks(item, persona)


@FUZZ_SETTINGS
@given(query=from_schema(SDL, custom_scalars=_scalars()), persona=st.sampled_from(PERSONAS))
def test_valid_operations(gateway: DemoGateway, query: str, persona: str | None) -> None:
    _check(_post(gateway, persona, json.dumps({"query": query})), persona)


@FUZZ_SETTINGS
@given(
    query=from_schema(SDL, custom_scalars=_scalars(), mode=Mode.NEGATIVE),
    persona=st.sampled_from(PERSONAS),
)
def test_invalid_operations(gateway: DemoGateway, query: str, persona: str | None) -> None:
    body = _check(_post(gateway, persona, json.dumps({"query": query})), persona)
    assert body is None or body.get("errors"), body


MANGLED = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["query", "variables", "operationName", "extensions", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ).map(json.dumps),
)


@FUZZ_SETTINGS
@given(
    body=MANGLED,
    persona=st.sampled_from(PERSONAS),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin-1",
            "",
        ]
    ),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE"]),
)
def test_mangled_requests(
    gateway: DemoGateway, body: str | bytes, persona: str | None, content_type: str, method: str
) -> None:
    if method == "GET" and isinstance(body, bytes):
        body = body.decode("latin-1")
    _check(_post(gateway, persona, body, content_type=content_type, method=method), persona)


@FUZZ_SETTINGS
@given(
    query=from_schema(SDL, custom_scalars=_scalars(), mode=Mode.POSITIVE),
    persona=st.sampled_from(PERSONAS),
)
def test_mutations_via_get_are_refused(
    gateway: DemoGateway, query: str, persona: str | None
) -> None:
    mutation = 'mutation { setHomeworkDone(homeworkId: "x", done: true) { homework { id } } }'
    response = _post(gateway, persona, mutation, method="GET")
    assert response.status_code == 405
    _check(_post(gateway, persona, query, method="GET"), persona)


# Hostile documents (issue 10): each must be answered, quickly, never with a 5xx.

HOSTILE_SECONDS = 2.0
"""The longest a hostile document may take to be answered (loopback, generous)."""


def _chain(fragments: int, spreads: int, leaf: str) -> str:
    parts = ["query{...F0}"]
    for i in range(fragments - 1):
        parts.append(f"fragment F{i} on Query{{{' '.join([f'...F{i + 1}'] * spreads)}}}")
    parts.append(f"fragment F{fragments - 1} on Query{{{leaf}}}")
    return " ".join(parts)


def _wide(fragments: int, copies: int) -> str:
    spreads = " ".join(f"...W{i}" for i in range(fragments))
    body = " ".join(["regions{code name}"] * copies)
    definitions = " ".join(f"fragment W{i} on Query{{{body}}}" for i in range(fragments))
    return f"{{{spreads}}} {definitions}"


def _nested_list(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


LEAVES = st.sampled_from(["regions{code}", "__typename", "me{children{diary{days{date}}}}"])
HOSTILE = st.one_of(
    # fragment chains: each fragment spreads the next 1–4 times
    st.builds(_chain, st.integers(2, 80), st.integers(1, 4), LEAVES).map(lambda q: {"query": q}),
    # wide fan-out: many fragments of many identical fields spread side by side
    st.builds(_wide, st.integers(1, 120), st.integers(1, 40)).map(lambda q: {"query": q}),
    # deep lists of variables, and deep list literals
    st.builds(
        lambda depth, leaf: {
            "query": "query($id: ID!) { student(id: $id) { fullName } }",
            "variables": {"id": _nested_list(depth, leaf)},
        },
        st.integers(1, 900),
        st.sampled_from(["x", 1, None]),
    ),
    st.builds(
        lambda depth: {
            "query": "{ student(id: " + "[" * depth + '"x"' + "]" * depth + ") { fullName } }"
        },
        st.integers(1, 600),
    ),
    # long ids, literal and through variables
    st.builds(
        lambda size, char, aliases: {
            "query": "query($id: ID!) {"
            + " ".join(f"s{i}: student(id: $id) {{ fullName }}" for i in range(aliases))
            + "}",
            "variables": {"id": char * size},
        },
        st.integers(1, 200_000),
        st.sampled_from(["A", "=", "/", "..", "\u00e9", "0"]),
        st.integers(1, 15),
    ),
    st.builds(
        lambda size: {"query": '{ student(id: "' + "Q" * size + '") { fullName } }'},
        st.integers(1, 100_000),
    ),
)


@FUZZ_SETTINGS
@given(payload=HOSTILE, persona=st.sampled_from(PERSONAS))
def test_hostile_documents(
    gateway: DemoGateway, payload: dict[str, Any], persona: str | None
) -> None:
    started = time.perf_counter()
    response = _post(gateway, persona, json.dumps(payload))
    took = time.perf_counter() - started
    body = _check(response, persona)
    assert took < HOSTILE_SECONDS, (took, str(payload)[:200])
    assert body is None or body.get("errors") or body.get("data") is not None, body


# Bad variables (issue 11, item 8): a value that cannot be coerced to its variable's type, or
# a required variable missing or null, is the client's mistake: BAD_USER_INPUT naming the
# variable, 400 under graphql-response+json (200 under application/json), never a 5xx.

_STUDENT = WORLDS.student_ids()[0]
BAD_VARIABLE_OPERATIONS: list[tuple[str, dict[str, tuple[str, Any]]]] = [
    (
        "query ($id: ID!, $from: Date!, $to: Date!) "
        "{ diary(studentId: $id, from: $from, to: $to) { startsOn } }",
        {"id": ("ID!", _STUDENT), "from": ("Date!", "2026-11-23"), "to": ("Date!", "2026-11-29")},
    ),
    (
        "query ($first: Int!, $days: Int!, $after: String) { me { children "
        "{ changes(first: $first, days: $days, after: $after) { edges { cursor } } } } }",
        {"first": ("Int!", 5), "days": ("Int!", 7), "after": ("String", None)},
    ),
    (
        "query ($from: Date, $to: Date) { me { children "
        "{ progress(from: $from, to: $to) { count } } } }",
        {"from": ("Date", "2026-09-01"), "to": ("Date", None)},
    ),
    ("query ($code: String!) { region(code: $code) { name } }", {"code": ("String!", "74")}),
    (
        "mutation ($id: ID!, $done: Boolean!) "
        "{ setHomeworkDone(homeworkId: $id, done: $done) { homework { id } } }",
        {"id": ("ID!", "x"), "done": ("Boolean!", True)},
    ),
    (
        "mutation ($region: String!, $login: String!, $password: String!, $school: String) "
        "{ login(region: $region, login: $login, password: $password, school: $school) "
        "{ token } }",
        {
            "region": ("String!", "74"),
            "login": ("String!", "x"),
            "password": ("String!", "y"),
            "school": ("String", None),
        },
    ),
]


def _not_a_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return True
    return False


_NOT_INT = st.one_of(
    st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.integers().filter(lambda n: not -(2**31) <= n < 2**31),
    st.booleans(),
)
_NOT_STRING = st.one_of(
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
_COMPOUND = st.one_of(
    st.lists(st.integers() | st.text(max_size=5), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=3),
)
BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Date": st.one_of(
        st.sampled_from(["23.11.2026", "2026-02-30", "2026-13-01", "", "tomorrow", "11/23/2026"]),
        st.text(max_size=12).filter(_not_a_date),
        st.integers(),
        st.booleans(),
        _COMPOUND,
    ),
    "Int": _NOT_INT | _COMPOUND,
    # an integral float (0.0) is a valid ID for graphql-core: it coerces to "0"
    "ID": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | st.booleans()
    | _COMPOUND,
    "String": _NOT_STRING | _COMPOUND,
    "Boolean": st.text(max_size=6) | st.integers() | _COMPOUND,
}
MISSING = object()


@st.composite
def bad_variables(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """An operation, its variables with exactly one bad, and the bad one's name."""
    query, declared = draw(st.sampled_from(BAD_VARIABLE_OPERATIONS))
    name = draw(st.sampled_from(sorted(declared)))
    type_name, _ = declared[name]
    base = type_name.rstrip("!")
    choices = [draw(BAD_VALUES[base])]
    if type_name.endswith("!"):
        choices += [None, MISSING]  # null for a non-null variable, or not sent at all
    bad = draw(st.sampled_from(choices))
    variables = {n: value for n, (_, value) in declared.items() if n != name}
    if bad is not MISSING:
        variables[name] = bad
    return query, variables, name


@FUZZ_SETTINGS
@given(
    case=bad_variables(),
    persona=st.sampled_from(PERSONAS),
    accept=st.sampled_from(["application/graphql-response+json", "application/json"]),
)
def test_bad_variables(
    gateway: DemoGateway, case: tuple[str, dict[str, Any], str], persona: str | None, accept: str
) -> None:
    query, variables, name = case
    headers = {"Content-Type": "application/json", "Accept": accept}
    if persona is not None:
        headers["Authorization"] = f"Bearer {gateway.token(persona)}"
    response = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=60,
    )
    body = _check(response, persona)
    assert response.status_code == (400 if accept.startswith("application/graphql") else 200), (
        response.status_code,
        response.text[:500],
    )
    assert body is not None
    assert "data" not in body, body
    (error, *_) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["variable"] == name, error
    assert f"${name}" in error["message"], error
