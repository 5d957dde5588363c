"""Opaque global ids (Relay): the type, the region and the provider's own id.

A global id is ``base64url("Type:region:native")`` without padding. Clients must treat it
as opaque; the gateway uses the region to pick the adapter. The native part of each type is
``/``-joined parts (:data:`NATIVE_KINDS`): an object whose fields differ per student carries
the student, and a record found by date carries its day, so ``node(id:)`` can refetch it
with one provider read::

    Region      code                      Diary       student/from/to
    School      school                    DiaryDay    student/date
    Group       group                     Lesson      student/date/lesson   (per student)
    ClassUnit   class                     Mark        student/date/mark     (its lesson date)
    Subject     subject                   Homework    student/homework/date (its diary day)
    Teacher     teacher                   Absence     student/date/lesson   (its lesson)
    Student     student                   Change      student/date/change   (its day)
    Term        school/term
    Viewer      the viewer (region "-")   JournalLesson group/date/lesson
    Correspondent  person                 Message     thread/message
    MessageThread  thread                 ClassNotice student/notice
    AbsenceReason  reason                 Meeting     student/meeting
                                          AbsenceNotice student/notice

Every id has exactly one spelling. :func:`decode_id` refuses any other with
``BAD_USER_INPUT``: ``=`` padding, the standard base64 alphabet, stray characters, non-zero
trailing bits, and (given the regions' adapters) a native part that is not in the
provider's shape for that type (``..``, ``/``, ``%2F``, leading zeros, Unicode digits).
Where such a spelling still names a well-formed id, the error is a
:class:`NonCanonicalIdError` carrying the canonical id, so a refused attempt can be
recorded against the record it names.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from graphql import GraphQLError

from adapters import DiaryAdapter
from adapters.native_ids import IdKind, canonical_native_id

from .errors import ErrorCode

__all__ = [
    "DAY",
    "KEY",
    "MAX_ID_LENGTH",
    "NATIVE_KINDS",
    "GlobalId",
    "NonCanonicalIdError",
    "day_of",
    "decode_id",
    "encode_id",
]

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9_+/-]")

MAX_ID_LENGTH = 256
"""Longer input is refused before it is decoded (no id the gateway issues comes close)."""

DAY = "day"
"""A part that is a day in ISO 8601 (``2026-09-01``), spelled the one way."""
KEY = "key"
"""A provider's key the gateway only matches against the provider's own answers (never put
into a provider request): anything non-empty up to 64 characters; the last part may hold
``/``."""

PartKind = IdKind | str

NATIVE_KINDS: Mapping[str, tuple[PartKind, ...]] = {
    "Student": (IdKind.STUDENT,),
    "School": (IdKind.SCHOOL,),
    "Group": (IdKind.GROUP,),
    "ClassUnit": (KEY,),
    "Subject": (KEY,),
    "Teacher": (KEY,),
    "Term": (IdKind.SCHOOL, KEY),
    "Homework": (IdKind.STUDENT, IdKind.HOMEWORK, DAY),
    "Diary": (IdKind.STUDENT, DAY, DAY),
    "DiaryDay": (IdKind.STUDENT, DAY),
    "Lesson": (IdKind.STUDENT, DAY, KEY),
    "Mark": (IdKind.STUDENT, DAY, KEY),
    "Absence": (IdKind.STUDENT, DAY, KEY),
    "Change": (IdKind.STUDENT, DAY, KEY),
    "JournalLesson": (IdKind.GROUP, DAY, KEY),
    "Correspondent": (IdKind.CORRESPONDENT,),
    "MessageThread": (IdKind.THREAD,),
    "Message": (IdKind.THREAD, IdKind.MESSAGE),
    "ClassNotice": (IdKind.STUDENT, KEY),
    "Meeting": (IdKind.STUDENT, IdKind.MEETING),
    "AbsenceReason": (IdKind.ABSENCE_REASON,),
    "AbsenceNotice": (IdKind.STUDENT, KEY),
}
"""What a type's native part is made of (``/``-separated): provider id kinds (checked
against the region's shapes), :data:`DAY` and :data:`KEY`. A ``Region``'s native part is
its code; a ``Viewer``'s is the viewer's scope."""


@dataclass(frozen=True, slots=True)
class GlobalId:
    """A decoded global id."""

    type: str
    region: str
    native: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The native part's parts (``student/homework/date`` for a homework)."""
        kinds = NATIVE_KINDS.get(self.type)
        return tuple(self.native.split("/", len(kinds) - 1 if kinds else -1))

    def encode(self) -> str:
        """The id's one spelling."""
        return encode_id(self.type, self.region, self.native)


class NonCanonicalIdError(GraphQLError):
    """A ``BAD_USER_INPUT`` refusal of another spelling of a well-formed id."""

    def __init__(self, canonical: GlobalId) -> None:
        super().__init__(
            "id is not in its canonical form",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
        self.canonical = canonical


def encode_id(type_name: str, region: str, native: str) -> str:
    """The opaque global id of a provider object."""
    raw = f"{type_name}:{region}:{native}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _malformed(value: str) -> GraphQLError:
    return GraphQLError(
        f"malformed id {value[:40]!r}", extensions={"code": ErrorCode.BAD_USER_INPUT.value}
    )


def _read(value: str) -> GlobalId:
    """Whatever the text decodes to, leniently (every alphabet, padding or not)."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise _malformed(str(value))
    try:
        # both alphabets, any padding, stray characters skipped: what it names, if anything
        data = _NOT_BASE64.sub(b"", value.encode("ascii"))
        text = base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4)).decode("utf-8")
        type_name, region, native = text.split(":", 2)
    except (ValueError, binascii.Error, UnicodeError):
        raise _malformed(value) from None
    if not (type_name and region and native):
        raise _malformed(value)
    return GlobalId(type_name, region, native)


def _canonical_native(adapter: DiaryAdapter, gid: GlobalId) -> str:
    """The native part in the provider's shape, or ``BAD_USER_INPUT``."""
    kinds = NATIVE_KINDS.get(gid.type)
    if kinds is None:
        return gid.native  # not a provider id a client may send (Region: checked by callers)
    parts = gid.parts
    if len(parts) != len(kinds):
        raise _malformed(gid.encode())
    canonical = [
        _canonical_part(adapter, kind, part) for kind, part in zip(kinds, parts, strict=True)
    ]
    if any(part is None for part in canonical):
        raise GraphQLError(
            f"malformed {gid.type.lower()} id for region {gid.region}",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
    return "/".join(part for part in canonical if part is not None)


def _canonical_part(adapter: DiaryAdapter, kind: PartKind, part: str) -> str | None:
    if kind == DAY:
        try:
            return date.fromisoformat(part).isoformat() if len(part) == 10 else None
        except ValueError:
            return None
    if kind == KEY:
        return part if 0 < len(part) <= 64 else None
    if not isinstance(kind, IdKind):
        raise TypeError(f"unknown id part kind {kind!r}")
    return canonical_native_id(adapter.native_ids, kind, part)


def day_of(part: str) -> date:
    """A :data:`DAY` part of an id that :func:`decode_id` accepted."""
    return date.fromisoformat(part)


def decode_id(
    value: str,
    *,
    expected: str | tuple[str, ...] | None = None,
    adapters: Mapping[str, DiaryAdapter] | None = None,
) -> GlobalId:
    """Decode a global id, checking its type and that it is spelled the one way.

    With ``adapters`` (region code → adapter), the native part of an id of a known region
    must also be in that provider's shape (:data:`NATIVE_KINDS`); an unknown region is left
    to the caller (``NOT_FOUND``), which then makes no provider call.

    Raises:
        GraphQLError: ``BAD_USER_INPUT`` when the id is not one of ours, of another type,
            or its native part is not in the provider's shape;
            :class:`NonCanonicalIdError` (also ``BAD_USER_INPUT``) when it is another
            spelling of a well-formed id.
    """
    gid = _read(value)
    allowed = (expected,) if isinstance(expected, str) else expected
    if allowed is not None and gid.type not in allowed:
        raise GraphQLError(
            f"id is a {gid.type[:40]}, expected {' or '.join(allowed)}",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value},
        )
    if adapters is not None and gid.region in adapters:
        gid = dataclasses.replace(gid, native=_canonical_native(adapters[gid.region], gid))
    if gid.encode() != value:
        raise NonCanonicalIdError(gid)
    return gid
