"""The permission matrix: who should see what, derived from the demo world, checked by field.

The expectations come from two independent sources:

* **who relates to whom** is read straight from the demo world
  (:class:`diary_gateway_demo.seed.World`): who is whose parent and legal representative,
  which teacher teaches which group of which class, who is a class's class teacher and a
  school's admin, which student a persona is. It never calls
  :func:`schema.policy.relations_to_student`;
* **what a relationship may see** is the declared policy, :data:`schema.policy.RULES`.

:func:`check_response` walks an actual GraphQL response along the selection it was asked
for and reports every field whose outcome differs from the expectation: an excluded field
that carries data or lacks its ``FORBIDDEN`` (``UNAUTHENTICATED`` for anonymous callers)
error, an allowed field that is ``null`` or carries an error, and any error nobody expected.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from diary_gateway_demo.personas import find_persona
from diary_gateway_demo.seed import SeedGroup, SeedStudent, World
from schema.ids import decode_id
from schema.policy import RULES, Relation

__all__ = [
    "FULL_MARKS",
    "JOURNAL_SELECTION",
    "ME_SELECTION",
    "REGIONS",
    "REGIONS_SELECTION",
    "REMARKS_DIARY",
    "REMARKS_STUDENT_SELECTION",
    "STUDENT_SELECTION",
    "TWO_WAY_ME_SELECTION",
    "TWO_WAY_STUDENT_SELECTION",
    "UNLINKED",
    "Cast",
    "Expectations",
    "Problem",
    "check_response",
    "errors_by_path",
    "expected_group_relations",
    "expected_marks",
    "expected_relations",
    "expected_roles",
    "group_teacher_subjects",
    "matrix_query",
    "persona_names",
    "rule",
]

R = Relation
REGIONS = ("74", "11", "77")
FULL_MARKS = frozenset({R.SELF, R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER, R.SCHOOL_ADMIN})
"""Relationships that see the marks of every subject (a group teacher sees their own)."""
UNLINKED = frozenset({R.PUBLIC, R.SIGNED_IN})
"""Relationships that link the viewer to no student: ``student(id)`` is refused outright."""

# -- the selections (a field name → its value's type and sub-selection, or None: a leaf) --

Selection = Mapping[str, "tuple[str, Selection] | None"]

MARK: Selection = {"value": None, "comment": None}
DIARY: Selection = {
    "days": (
        "DiaryDay",
        {
            "date": None,
            "lessons": (
                "Lesson",
                {
                    "number": None,
                    "subject": ("Subject", {"name": None}),
                    "marks": ("Mark", MARK),
                    "homework": ("Homework", {"text": None, "isDone": None}),
                    "absence": ("Absence", {"reason": None}),
                },
            ),
        },
    )
}
STUDENT_SELECTION: Selection = {
    "id": None,
    "fullName": None,
    "className": None,
    "bornOn": None,
    "parentContacts": None,
    "diary": ("Diary", DIARY),
    "progress": (
        "SubjectProgress",
        {"subject": ("Subject", {"name": None}), "averageFivePoint": None},
    ),
    "changes": (
        "ChangeConnection",
        {"edges": ("ChangeEdge", {"node": ("Change", {"kind": None})})},
    ),
    "accessLog": ("AccessEventConnection", {"nodes": ("AccessEvent", {"fields": None})}),
}
REMARK: Selection = {"kind": None, "text": None, "subject": ("Subject", {"name": None})}
REMARKS_DIARY: Selection = {
    "days": ("DiaryDay", {"id": None, "date": None, "remarks": ("Remark", REMARK)})
}
REMARKS_STUDENT_SELECTION: Selection = {
    "id": None,
    "remarks": ("Remark", REMARK),
    "diary": ("Diary", REMARKS_DIARY),
}
"""The remarks matrix: a second operation per persona (the first is at its cost limit)."""
TWO_WAY_STUDENT_SELECTION: Selection = {
    "id": None,
    "classNotices": (
        "ClassNotice",
        {"title": None, "text": None, "author": ("Correspondent", {"name": None})},
    ),
    "meetings": ("Meeting", {"title": None, "startsAt": None, "agenda": None, "myAnswer": None}),
    "absenceNotices": (
        "AbsenceNotice",
        {"startsOn": None, "reason": ("AbsenceReason", {"name": None})},
    ),
    "absenceReasons": ("AbsenceReason", {"name": None}),
}
"""The two-way half's fields of a student: a third operation per persona."""
TWO_WAY_ME_SELECTION: Selection = {
    "messageThreads": (
        "MessageThreadConnection",
        {
            "totalCount": None,
            "nodes": ("MessageThread", {"subject": None, "unreadCount": None}),
        },
    ),
    "correspondents": ("Correspondent", {"name": None, "role": None}),
}
"""The viewer's own threads and correspondents in region 11, asked with the two-way half."""
_REGION_ARGUMENT = {("Viewer", "messageThreads"), ("Viewer", "correspondents")}
ROW_STUDENT: Selection = {
    "id": None,
    "fullName": None,
    "className": None,
    "bornOn": None,
    "parentContacts": None,
}
JOURNAL_SELECTION: Selection = {
    "group": ("Group", {"id": None, "name": None}),
    "lessons": ("JournalLesson", {"date": None, "number": None}),
    "rows": (
        "JournalRow",
        {
            "student": ("Student", ROW_STUDENT),
            "cells": ("JournalCell", {"marks": ("Mark", {"value": None})}),
        },
    ),
    "acknowledgements": ("AcknowledgementReceipt", {"studentId": None, "weekOf": None}),
}
ME_SELECTION: Selection = {
    "person": ("Person", {"fullName": None}),
    "roles": (
        "RegionRole",
        {"role": None, "region": ("Region", {"code": None}), "groups": ("Group", {"id": None})},
    ),
    "children": (
        "Student",
        {
            "id": None,
            "fullName": None,
            "bornOn": None,
            "diary": ("Diary", {"days": ("DiaryDay", {"lessons": ("Lesson", {"number": None})})}),
        },
    ),
}
VERIFY_SELECTION: Selection = {
    "isValid": None,
    "reason": None,
    "receipt": ("AcknowledgementReceipt", {"id": None}),
}
"""``verifyReceipt`` of a string that is no receipt: public, answers ``isValid: false``."""
ACCESS_REQUESTS_SELECTION: Selection = {
    "id": None,
    "status": None,
    "invitation": ("Invitation", {"status": None}),
}
"""``accessRequests``: one's own (none for the personas), for the signed-in only."""
REGIONS_SELECTION: Selection = {
    "code": None,
    "name": None,
    "schools": ("SchoolConnection", {"nodes": ("School", {"name": None})}),
}

NOT_SUPPORTED_IN: dict[tuple[str, str], frozenset[str]] = {
    ("Student", "remarks"): frozenset({"11"}),
    ("DiaryDay", "remarks"): frozenset({"11"}),
    ("Student", "classNotices"): frozenset({"74", "77"}),
    ("Student", "meetings"): frozenset({"74", "77"}),
}
"""Fields the region's system cannot answer: ``null`` with ``NOT_SUPPORTED`` for whoever
may see them (ЭлЖур keeps no remarks; only ЭлЖур has class notices and meetings; absence
notices the gateway keeps where a region's system takes none)."""
LEGITIMATELY_NULL = frozenset(
    {
        ("Mark", "comment"),
        ("Homework", "isDone"),  # null where the region does not say (ЭлЖур)
        ("Absence", "reason"),
        ("Lesson", "absence"),  # null when present
        ("SubjectProgress", "averageFivePoint"),  # pass/fail subjects have no average
        ("Remark", "subject"),  # a class teacher's remark outside lessons
        ("ReceiptVerification", "reason"),  # null for a valid receipt
        ("ReceiptVerification", "receipt"),  # null for an invalid one
        ("Meeting", "myAnswer"),  # null until the viewer answers
    }
)
"""Fields that may be ``null`` although the viewer may see them: the data itself is empty."""


def _render(selection: Selection, owner: str = "Student") -> str:
    parts = []
    for name, sub in selection.items():
        if sub is None:
            parts.append(name)
            continue
        ranged = name == "diary" or (owner, name) == ("Student", "remarks")
        args = "(from: $from, to: $to)" if ranged else ""
        if (owner, name) in _REGION_ARGUMENT:
            args = '(region: "11")'  # the region whose system has messaging
        parts.append(f"{name}{args} {{ {_render(sub[1], sub[0])} }}")
    return " ".join(parts)


def matrix_query(
    students: Iterable[str],
    groups: Iterable[str],
    diaries: Iterable[str],
    *,
    me: bool = True,
    student_selection: Selection = STUDENT_SELECTION,
    diary_selection: Selection = DIARY,
    me_selection: Selection = ME_SELECTION,
) -> str:
    """One operation asking everything of the matrix at once (aliases per student and group).

    ``students`` / ``groups`` / ``diaries`` are alias names; each alias ``a`` reads the id in
    the variable ``$a`` (``diaries`` aliases: ``$`` + the alias without its ``d_`` prefix).
    ``me=False`` leaves ``me`` out (see :attr:`Expectations.me`).
    """
    variables = ["$from: Date!", "$to: Date!"]
    body = []
    for alias in students:
        variables.append(f"${alias}: ID!")
        body.append(f"{alias}: student(id: ${alias}) {{ {_render(student_selection)} }}")
    for alias in groups:
        variables.append(f"${alias}: ID!")
        body.append(
            f"{alias}: journal(groupId: ${alias}, from: $from, to: $to) "
            f"{{ {_render(JOURNAL_SELECTION, 'Journal')} }}"
        )
    for alias in diaries:
        body.append(
            f"{alias}: diary(studentId: ${alias.removeprefix('d_')}, from: $from, to: $to) "
            f"{{ {_render(diary_selection, 'Diary')} }}"
        )
    if me:
        body.append(f"me {{ {_render(me_selection, 'Viewer')} }}")
    body.append(f"regions {{ {_render(REGIONS_SELECTION, 'Region')} }}")
    body.append(f'verifyReceipt(receipt: "no.such.receipt") {{ {_render(VERIFY_SELECTION)} }}')
    body.append(f"accessRequests {{ {_render(ACCESS_REQUESTS_SELECTION)} }}")
    text = " ".join(body)
    if "$from" not in text:  # no ranged field asked: the range would be an unused variable
        variables = [v for v in variables if not v.startswith(("$from:", "$to:"))]
    return f"query Matrix({', '.join(variables)}) {{ {text} }}"


# -- who relates to whom, from the demo world -------------------------------------------


def persona_names(region: str) -> list[str | None]:
    """The personas of a region's matrix (``None``: an anonymous caller)."""
    return [
        "parent",
        "parent-not-representative",
        f"student@{region}",
        f"teacher@{region}",
        f"class-teacher@{region}",
        f"school-admin@{region}",
        None,
    ]


def _subject(persona: str | None) -> str | None:
    return None if persona is None else find_persona(persona).subject


def expected_relations(
    world: World, persona: str | None, student: SeedStudent
) -> frozenset[Relation]:
    """How ``persona`` relates to ``student``, read from the region's demo world."""
    nid = _subject(persona)
    if nid is None:
        return frozenset({R.PUBLIC})
    found = {R.PUBLIC, R.SIGNED_IN}
    if student.person.national_id == nid:
        found.add(R.SELF)
    for key, legal in student.parents:
        parent = world.parents.get(key)
        if parent is not None and parent.national_id == nid:
            found.add(R.LEGAL_REPRESENTATIVE if legal else R.PARENT)
    for teacher in world.teachers.values():
        if teacher.person.national_id != nid:
            continue
        if any(g.teacher_id == teacher.id for g in world.groups_of_class(student.class_id)):
            found.add(R.GROUP_TEACHER)
        if world.classes[student.class_id].class_teacher_id == teacher.id:
            found.add(R.CLASS_TEACHER)
    admin = world.admins.get(student.school_id)
    if admin is not None and admin.national_id == nid:
        found.add(R.SCHOOL_ADMIN)
    return frozenset(found)


def group_teacher_subjects(world: World, persona: str | None, student: SeedStudent) -> set[str]:
    """The subjects ``persona`` teaches in ``student``'s class (names)."""
    nid = _subject(persona)
    return {
        g.subject
        for g in world.groups_of_class(student.class_id)
        if world.teachers[g.teacher_id].person.national_id == nid
    }


def expected_group_relations(
    world: World, persona: str | None, group: SeedGroup
) -> frozenset[Relation]:
    """How ``persona`` relates to a group as staff, read from the region's demo world."""
    nid = _subject(persona)
    if nid is None:
        return frozenset({R.PUBLIC})
    found = {R.PUBLIC, R.SIGNED_IN}
    teacher = world.teachers[group.teacher_id]
    if teacher.person.national_id == nid:
        found.add(R.GROUP_TEACHER)
    class_teacher = world.teachers[world.classes[group.class_id].class_teacher_id]
    if class_teacher.person.national_id == nid:
        found.add(R.CLASS_TEACHER)
    admin = world.admins.get(group.school_id)
    if admin is not None and admin.national_id == nid:
        found.add(R.SCHOOL_ADMIN)
    return frozenset(found)


def expected_roles(worlds: Mapping[str, World], persona: str) -> set[tuple[str, str]]:
    """(RoleKind name, region) of every role the persona holds, from the worlds."""
    nid = _subject(persona)
    roles: set[tuple[str, str]] = set()
    for region, world in worlds.items():
        for student in world.students.values():
            if student.person.national_id == nid:
                roles.add(("STUDENT", region))
            for key, _ in student.parents:
                parent = world.parents.get(key)
                if parent is not None and parent.national_id == nid:
                    roles.add(("PARENT", region))
        for teacher in world.teachers.values():
            if teacher.person.national_id == nid:
                roles.add(("TEACHER", region))
                if any(c.class_teacher_id == teacher.id for c in world.classes.values()):
                    roles.add(("CLASS_TEACHER", region))
        if any(a.national_id == nid for a in world.admins.values()):
            roles.add(("SCHOOL_ADMIN", region))
    return roles


def expected_marks(
    world: World, student: SeedStudent, start: date, end: date
) -> dict[tuple[date, int], tuple[str, int]]:
    """(day, lesson number) → (subject, number of the student's marks), from the world."""
    found: dict[tuple[date, int], tuple[str, int]] = {}
    for day in world.days(start, end):
        counts: dict[int, int] = defaultdict(int)
        for mark in world.marks(student.class_id, day):
            if mark.student_id == student.id:
                counts[mark.lesson_id] += 1
        for lesson in world.lessons(student.class_id, day):
            found[(day, lesson.number)] = (lesson.subject, counts.get(lesson.id, 0))
    return found


def rule(type_name: str, field_name: str) -> frozenset[Relation]:
    """The declared rule of a field (the spec); a field without one is a failure."""
    rules = RULES.get(type_name)
    if rules is None or (field_name not in rules and "*" not in rules):
        raise AssertionError(f"the policy has no rule for {type_name}.{field_name}")
    return rules.get(field_name, rules["*"])


# -- comparing a response with the expectations -------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One field whose outcome differs from the policy."""

    persona: str | None
    path: tuple[str | int, ...]
    what: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path)
        return f"[{self.persona or 'anonymous'}] {where}: {self.what}"


@dataclass
class Expectations:
    """What one persona's matrix operation should answer, alias by alias.

    ``students`` maps a ``student(id)`` alias to the student's world record; ``groups`` a
    ``journal`` alias to the group; ``diaries`` a root ``diary`` alias to the student.
    ``student_of`` finds any student by global id (journal rows, children).
    """

    persona: str | None
    worlds: Mapping[str, World]
    students: dict[str, tuple[str, SeedStudent]] = field(default_factory=dict)
    groups: dict[str, tuple[str, SeedGroup]] = field(default_factory=dict)
    diaries: dict[str, tuple[str, SeedStudent]] = field(default_factory=dict)
    me: bool = True
    """Whether the operation asks for ``me``."""
    student_selection: Selection = field(default_factory=lambda: STUDENT_SELECTION)
    diary_selection: Selection = field(default_factory=lambda: DIARY)
    me_selection: Selection = field(default_factory=lambda: ME_SELECTION)

    def student_of(self, global_id: str) -> tuple[str, SeedStudent]:
        gid = decode_id(global_id, expected="Student")
        world = self.worlds[gid.region]
        return gid.region, world.students[int(gid.native)]

    def relations(self, global_id: str) -> frozenset[Relation]:
        region, student = self.student_of(global_id)
        return expected_relations(self.worlds[region], self.persona, student)


def errors_by_path(body: Mapping[str, Any]) -> dict[tuple[str | int, ...], list[str]]:
    """Error codes by their path (``None`` codes show as ``"<none>"``)."""
    found: dict[tuple[str | int, ...], list[str]] = defaultdict(list)
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code") or "<none>"
        found[tuple(error.get("path") or ())].append(code)
    return found


class _Walk:
    def __init__(self, expect: Expectations, body: Mapping[str, Any]) -> None:
        self.expect = expect
        self.errors = errors_by_path(body)
        self.explained: set[tuple[str | int, ...]] = set()
        self.problems: list[Problem] = []
        self.denied_code = "FORBIDDEN" if expect.persona is not None else "UNAUTHENTICATED"
        self.counts: Counter[str] = Counter()

    def problem(self, path: tuple[str | int, ...], what: str) -> None:
        self.problems.append(Problem(self.expect.persona, path, what))

    def denied(self, path: tuple[str | int, ...], value: Any, code: str | None = None) -> None:
        code = code or self.denied_code
        self.counts["denied"] += 1
        if value is not None:
            self.problem(path, f"LEAK: excluded by the policy but returned {str(value)[:80]!r}")
        if code not in self.errors.get(path, []):
            self.problem(path, f"excluded but no {code} error (errors: {self.errors.get(path)})")
        self.explained.add(path)

    def allowed(self, path: tuple[str | int, ...], value: Any, nullable: bool) -> bool:
        self.counts["allowed"] += 1
        if path in self.errors:
            self.problem(path, f"allowed by the policy but errors {self.errors[path]}")
            self.explained.add(path)
        if value is None and not nullable:
            self.problem(path, "allowed by the policy but null")
            return False
        return value is not None

    def walk(
        self,
        value: Any,
        type_name: str,
        selection: Selection,
        path: tuple[str | int, ...],
        relations: frozenset[Relation],
    ) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                if item is None:
                    self.problem((*path, index), "null list item")
                else:
                    self.walk(item, type_name, selection, (*path, index), relations)
            return
        if type_name == "Student":
            relations = self.expect.relations(value["id"])
        elif type_name == "JournalRow":
            relations = self.expect.relations(value["student"]["id"])
        for name, sub in selection.items():
            here = (*path, name)
            if name not in value:
                self.problem(here, "missing from the response")
                continue
            if not rule(type_name, name) & relations:
                self.denied(here, value[name])
                continue
            unsupported = NOT_SUPPORTED_IN.get((type_name, name), frozenset())
            if unsupported and decode_id(value["id"]).region in unsupported:
                self.denied(here, value[name], "NOT_SUPPORTED")
                continue
            nullable = (type_name, name) in LEGITIMATELY_NULL
            if self.allowed(here, value[name], nullable) and sub is not None:
                self.walk(value[name], sub[0], sub[1], here, relations)


def check_response(
    expect: Expectations, body: Mapping[str, Any], counts: Counter[str] | None = None
) -> list[Problem]:
    """Every difference between ``body`` and what the policy lets ``expect.persona`` see.

    ``counts``, when given, is increased by the number of fields checked as allowed and as
    denied (to show that a run checked something).
    """
    walk = _Walk(expect, body)
    if counts is not None:
        walk.counts = counts
    data = body.get("data")
    if data is None:
        codes = sorted({c for cs in walk.errors.values() for c in cs})
        return [Problem(expect.persona, (), f"the whole response is null (errors: {codes})")]
    signed_in = expect.persona is not None
    base = frozenset({R.PUBLIC, R.SIGNED_IN} if signed_in else {R.PUBLIC})

    for alias, (_, student) in expect.students.items():
        value = data.get(alias)
        relations = _relations(expect, student)
        if not signed_in or not relations - UNLINKED:
            walk.denied((alias,), value)
        elif walk.allowed((alias,), value, nullable=False):
            walk.walk(value, "Student", expect.student_selection, (alias,), relations)

    for alias, (_, student) in expect.diaries.items():
        value = data.get(alias)
        relations = _relations(expect, student)
        if not signed_in or not relations & rule("Student", "diary"):
            walk.denied((alias,), value)
        elif walk.allowed((alias,), value, nullable=False):
            walk.walk(value, "Diary", expect.diary_selection, (alias,), relations)

    for alias, (region, group) in expect.groups.items():
        value = data.get(alias)
        relations = expected_group_relations(expect.worlds[region], expect.persona, group)
        if not signed_in or not relations & rule("Journal", "rows"):
            walk.denied((alias,), value)
        elif walk.allowed((alias,), value, nullable=False):
            walk.walk(value, "Journal", JOURNAL_SELECTION, (alias,), relations)

    if not expect.me:
        pass
    elif not signed_in:
        walk.denied(("me",), data.get("me"))
    elif walk.allowed(("me",), data.get("me"), nullable=False):
        walk.walk(data["me"], "Viewer", expect.me_selection, ("me",), base)

    if walk.allowed(("regions",), data.get("regions"), nullable=False):
        walk.walk(data["regions"], "Region", REGIONS_SELECTION, ("regions",), base)
    requests = data.get("accessRequests")
    if not signed_in:
        walk.denied(("accessRequests",), requests)
    elif walk.allowed(("accessRequests",), requests, nullable=False):
        walk.walk(requests, "AccessRequest", ACCESS_REQUESTS_SELECTION, ("accessRequests",), base)
    verified = data.get("verifyReceipt")
    if walk.allowed(("verifyReceipt",), verified, nullable=False):
        walk.walk(verified, "ReceiptVerification", VERIFY_SELECTION, ("verifyReceipt",), base)

    for path, codes in walk.errors.items():
        if path not in walk.explained:
            walk.problem(path, f"unexpected error {codes}")
    return walk.problems


def _relations(expect: Expectations, student: SeedStudent) -> frozenset[Relation]:
    region = next(r for r, w in expect.worlds.items() if w.students.get(student.id) is student)
    return expected_relations(expect.worlds[region], expect.persona, student)


@dataclass
class Cast:
    """The students and groups of one region the matrix asks about, by role in the story."""

    region: str
    world: World
    students: dict[str, str] = field(default_factory=dict)
    """Key → global id: canonical, self, classmate, other_class, other_school."""
    groups: dict[str, str] = field(default_factory=dict)
    """Key → global id of a group (journal)."""

    def student(self, key: str) -> SeedStudent:
        return self.world.students[int(decode_id(self.students[key]).native)]

    def group(self, key: str) -> SeedGroup:
        return self.world.groups[int(decode_id(self.groups[key]).native)]
