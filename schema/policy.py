"""Who sees what: the one declarative permission policy of the graph.

Read it top to bottom. For every GraphQL type and field, :data:`RULES` names the
relationships between the viewer and the object's student (or the object itself) that may
see it. A schema-walking test fails when a field has no rule.

Relationships are decided once per object from the providers' data (children, groups,
class units, schools: see :func:`relations_to_student`), never from what the client
sends. A field whose rule the viewer does not satisfy resolves to ``null`` with a
``FORBIDDEN`` error at its path; the rest of the query answers. The decision is made when
the object is built (:func:`denied_fields`, memoised per type and relationship set), so the
hot path pays one cached lookup per object, not a permission check per field.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from graphql import GraphQLError

from adapters import RegionProfile, Role, Student

from .errors import ErrorCode, coded_error

__all__ = [
    "ANYONE",
    "CHILD_RECORD",
    "REMARKS",
    "REMARKS_IN_FULL",
    "RULES",
    "SIGNED_IN",
    "STAFF",
    "Access",
    "Relation",
    "denied_fields",
    "forbidden",
    "relations_to_student",
    "rule_for",
]


class Relation(enum.Enum):
    """How the viewer relates to an object."""

    PUBLIC = "public"
    """Anyone, signed in or not (the public region directory)."""
    SIGNED_IN = "signed_in"
    """Any signed-in person (their own viewer data)."""
    SELF = "self"
    """The student themself."""
    LEGAL_REPRESENTATIVE = "legal_representative"
    """A parent who is the student's legal representative."""
    PARENT = "parent"
    """A parent linked to the student who is not a legal representative."""
    GROUP_TEACHER = "group_teacher"
    """A teacher of one of the student's subject groups (marks: that subject only)."""
    CLASS_TEACHER = "class_teacher"
    """The class teacher of the student's class."""
    SCHOOL_ADMIN = "school_admin"
    """An admin of the student's school."""


R = Relation
ANYONE = frozenset(Relation)
"""Public data."""
SIGNED_IN = frozenset(Relation) - {R.PUBLIC}
"""Any signed-in viewer."""
KNOWS_STUDENT = frozenset(
    {R.SELF, R.LEGAL_REPRESENTATIVE, R.PARENT, R.GROUP_TEACHER, R.CLASS_TEACHER, R.SCHOOL_ADMIN}
)
"""Anybody the region's system links to the student: they see the name and class."""
CHILD_RECORD = frozenset(
    {R.SELF, R.LEGAL_REPRESENTATIVE, R.GROUP_TEACHER, R.CLASS_TEACHER, R.SCHOOL_ADMIN}
)
"""The diary: schedule, marks, homework, absences (group teachers: their subject's marks)."""
PERSONAL = frozenset({R.SELF, R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER, R.SCHOOL_ADMIN})
"""Birth date and parents' contacts: not for subject teachers."""
FAMILY = frozenset({R.SELF, R.LEGAL_REPRESENTATIVE})
"""The family's own views: the changes feed; homework done marks."""
GUARDIAN = frozenset({R.LEGAL_REPRESENTATIVE})
"""Only the legal representative: who read the child's records."""
REMARKS_IN_FULL = frozenset({R.SELF, R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER})
"""Teachers' remarks and praise, all of them."""
REMARKS = REMARKS_IN_FULL | {R.GROUP_TEACHER}
"""Remarks: a subject teacher sees those of their subjects (:func:`schema.remarks`)."""
STAFF = frozenset({R.GROUP_TEACHER, R.CLASS_TEACHER, R.SCHOOL_ADMIN})
"""The journal: staff only."""
CLASS_LIFE = frozenset({R.SELF, R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER, R.SCHOOL_ADMIN})
"""The class teacher's notices to families: the family, the class teacher, the admins."""
GUARDIAN_AND_CLASS = frozenset({R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER, R.SCHOOL_ADMIN})
"""Parent meetings: the legal representative who answers them, and the staff who call
them."""
ABSENCE_NOTICES = frozenset({R.LEGAL_REPRESENTATIVE, R.CLASS_TEACHER})
"""Advance absence notices: the legal representative who sends them, and the class teacher
they are for."""

# Rules per type. ``"*"`` is the rule of every field of the type not listed explicitly.
RULES: dict[str, dict[str, frozenset[Relation]]] = {
    # -- the public directory ----------------------------------------------------------
    "Region": {"*": ANYONE},
    "SchoolConnection": {"*": ANYONE},
    "SchoolEdge": {"*": ANYONE},
    # classes, groups and students list only what the viewer's own roles reach (staff of
    # the school; each student decided by relations_to_student): empty for anyone else
    "School": {
        "*": ANYONE,
        "bellSchedule": ANYONE,
        "terms": ANYONE,
        "classes": ANYONE,
        "groups": ANYONE,
        "students": ANYONE,
    },
    "Term": {"*": ANYONE},
    "BellSchedule": {"*": ANYONE},
    "Bell": {"*": ANYONE},
    "LoginMethodInfo": {"*": ANYONE},
    # -- the viewer's own data ---------------------------------------------------------
    "Viewer": {"*": SIGNED_IN},
    "RegionRole": {"*": SIGNED_IN},
    "Person": {"*": SIGNED_IN},
    "Teacher": {"*": SIGNED_IN},
    "Subject": {"*": SIGNED_IN},
    "ClassUnit": {"*": SIGNED_IN},
    "Group": {"*": SIGNED_IN},
    "StudentConnection": {"*": SIGNED_IN},
    "StudentEdge": {"*": SIGNED_IN},
    "ClassUnitConnection": {"*": SIGNED_IN},
    "ClassUnitEdge": {"*": SIGNED_IN},
    "GroupConnection": {"*": SIGNED_IN},
    "GroupEdge": {"*": SIGNED_IN},
    # -- a student and their records ---------------------------------------------------
    "Student": {
        "*": KNOWS_STUDENT,
        "bornOn": PERSONAL,
        "parentContacts": PERSONAL,
        "diary": CHILD_RECORD,
        "progress": CHILD_RECORD,
        "absences": CHILD_RECORD,
        "marks": CHILD_RECORD,
        "changes": FAMILY,
        "remarks": REMARKS,
        "accessLog": GUARDIAN,
        "classNotices": CLASS_LIFE,
        "meetings": GUARDIAN_AND_CLASS,
        "absenceNotices": ABSENCE_NOTICES,
        "absenceReasons": GUARDIAN,
    },
    "Diary": {"*": CHILD_RECORD},
    "DiaryDay": {"*": CHILD_RECORD, "remarks": REMARKS},
    "Remark": {"*": REMARKS},
    "Lesson": {"*": CHILD_RECORD},
    "Mark": {"*": CHILD_RECORD},
    "MarkScale": {"*": ANYONE},
    "Homework": {"*": CHILD_RECORD, "isDone": FAMILY | {R.CLASS_TEACHER, R.SCHOOL_ADMIN}},
    "Attachment": {"*": CHILD_RECORD},
    "Absence": {"*": CHILD_RECORD},
    "SubjectProgress": {"*": CHILD_RECORD},
    "ProgressPoint": {"*": CHILD_RECORD},
    "OfficialAverage": {"*": CHILD_RECORD},
    "Change": {"*": FAMILY},
    "ChangeEdge": {"*": FAMILY},
    "ChangeConnection": {"*": FAMILY},
    # -- live updates (the subscription decides per student, as `student` does) ------
    "Subscription": {"*": SIGNED_IN},
    "StudentEvent": {"*": CHILD_RECORD},
    "AccessEvent": {"*": GUARDIAN},
    "AccessEventConnection": {"*": GUARDIAN},
    "AccessEventEdge": {"*": GUARDIAN},
    "PageInfo": {"*": SIGNED_IN},
    # -- the teacher's journal ---------------------------------------------------------
    "Journal": {"*": STAFF},
    "JournalLesson": {"*": STAFF},
    "JournalRow": {"*": STAFF},
    "JournalCell": {"*": STAFF},
    # -- sessions (school logins) ------------------------------------------------------
    "Session": {"*": ANYONE},
    # -- acknowledgements: a receipt is for whoever holds it (the legal representative who
    # acknowledged, staff in their journal, anyone who presents one to verifyReceipt) -----
    "AcknowledgementReceipt": {"*": ANYONE},
    "ReceiptVerification": {"*": ANYONE},
    # -- onboarding: handed only to whom they concern (the admin who decides, the parent
    # who asked or was invited) --------------------------------------------------------
    "Invitation": {"*": SIGNED_IN},
    "AccessRequest": {"*": SIGNED_IN},
    "HomeworkDonePayload": {"*": FAMILY},
    # -- the two-way half: what hangs off a student follows the student's field; the
    # viewer's own threads and correspondents are the viewer's (the region's system decides
    # what is in them) -------------------------------------------------------------------
    "ClassNotice": {"*": CLASS_LIFE},
    "Meeting": {"*": GUARDIAN_AND_CLASS},
    "AbsenceNotice": {"*": ABSENCE_NOTICES},
    "AbsenceReason": {"*": ABSENCE_NOTICES},
    "Correspondent": {"*": SIGNED_IN},
    "MessageAttachment": {"*": SIGNED_IN},
    "Message": {"*": SIGNED_IN},
    "MessageEdge": {"*": SIGNED_IN},
    "MessageConnection": {"*": SIGNED_IN},
    "MessageThread": {"*": SIGNED_IN},
    "MessageThreadEdge": {"*": SIGNED_IN},
    "MessageThreadConnection": {"*": SIGNED_IN},
    "SendMessagePayload": {"*": SIGNED_IN},
    "MarkMessagesReadPayload": {"*": SIGNED_IN},
    "MeetingRsvpPayload": {"*": GUARDIAN},
    "AbsenceNoticePayload": {"*": GUARDIAN},
    "MarkEntryPayload": {"*": STAFF},
}


def rule_for(type_name: str, field_name: str) -> frozenset[Relation] | None:
    """The relationships that may see ``type_name.field_name`` (``None``: no rule)."""
    rules = RULES.get(type_name)
    if rules is None:
        return None
    return rules.get(field_name, rules.get("*"))


@lru_cache(maxsize=1024)
def denied_fields(
    type_name: str, relations: frozenset[Relation], fields: tuple[str, ...]
) -> tuple[str, ...]:
    """The fields of a type that viewers with ``relations`` may not see (memoised)."""
    denied = []
    for name in fields:
        rule = rule_for(type_name, name)
        if rule is None or not (rule & relations):
            denied.append(name)
    return tuple(denied)


def forbidden(path_hint: str) -> GraphQLError:
    """The error value a denied field resolves to (graphql-core raises it at its path)."""
    return coded_error(ErrorCode.FORBIDDEN, f"not allowed to see {path_hint}")


@dataclass(frozen=True, slots=True)
class Access:
    """The viewer's relationships to one student, decided once per object.

    ``subject_ids`` limits a group teacher's view of marks to their groups' subjects; it
    is ``None`` when the viewer is not limited that way.
    """

    relations: frozenset[Relation]
    subject_ids: frozenset[str] | None = None

    def allows(self, rule: frozenset[Relation]) -> bool:
        return bool(self.relations & rule)

    @property
    def relation(self) -> Relation | None:
        """The strongest relationship, for the audit trail."""
        for candidate in (
            R.SELF,
            R.LEGAL_REPRESENTATIVE,
            R.SCHOOL_ADMIN,
            R.CLASS_TEACHER,
            R.GROUP_TEACHER,
            R.PARENT,
        ):
            if candidate in self.relations:
                return candidate
        return None

    def sees_subject(self, subject_id: str) -> bool:
        """Whether the viewer may see marks of ``subject_id`` for this student."""
        if self.relations & (FAMILY | {R.CLASS_TEACHER, R.SCHOOL_ADMIN}):
            return True
        return self.subject_ids is not None and subject_id in self.subject_ids


def relations_to_student(
    student: Student,
    profile: RegionProfile | None,
    *,
    session_student_id: str | None = None,
) -> Access:
    """Decide how the viewer relates to ``student`` from the region's own data.

    Args:
        student: the student as the provider returned it.
        profile: the viewer's profile in the student's region (``None``: unknown there).
        session_student_id: the student id of a school-login session, if that is the viewer.
    """
    relations: set[Relation] = {R.PUBLIC}
    subject_ids: set[str] = set()
    if session_student_id is not None:
        relations.add(R.SIGNED_IN)
        if session_student_id == student.id:
            relations.add(R.SELF)
    if profile is not None:
        relations.add(R.SIGNED_IN)
        for child in profile.children:
            if child.student.id == student.id:
                relations.add(R.LEGAL_REPRESENTATIVE if child.is_legal_representative else R.PARENT)
        groups = {group.id: group for group in profile.groups}
        for grant in profile.roles:
            if grant.role is Role.STUDENT and grant.student_id == student.id:
                relations.add(R.SELF)
            elif grant.role is Role.SCHOOL_ADMIN and grant.school_id == student.school_id:
                relations.add(R.SCHOOL_ADMIN)
            elif grant.role is Role.CLASS_TEACHER and student.class_unit_id in grant.class_unit_ids:
                relations.add(R.CLASS_TEACHER)
            elif grant.role is Role.TEACHER:
                for group_id in grant.group_ids:
                    group = groups.get(group_id)
                    if group is not None and (
                        student.id in group.student_ids or group_id in student.group_ids
                    ):
                        relations.add(R.GROUP_TEACHER)
                        subject_ids.add(group.subject.id)
    return Access(
        frozenset(relations),
        frozenset(subject_ids) if R.GROUP_TEACHER in relations else None,
    )
