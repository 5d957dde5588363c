"""The shapes of providers' own ids, checked before an id reaches any provider call.

Every adapter declares, per :class:`IdKind`, the one spelling of its native ids
(``DiaryAdapter.native_ids``, a compiled regular expression matched in full). An id that
does not match is refused at the boundary: the gateway answers ``BAD_USER_INPUT`` and the
adapter base turns it into :class:`InvalidIdError` (a ``NotFoundError``), so nothing a
client typed (``..``, ``/``, ``%2F``, ``?``) ever becomes part of a provider URL or query.

A shape admits exactly one spelling of each id: ``[1-9][0-9]*`` has no leading zeros, no
sign, no Unicode digits. :func:`canonical_native_id` names the id a non-canonical spelling
stands for (``0770001001`` and ``７７０００１００１`` are ``770001001``), so a refused attempt
can be recorded against the right record.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping

from .errors import NotFoundError

__all__ = [
    "DIGITS",
    "GUID",
    "IdKind",
    "InvalidIdError",
    "NativeIdShapes",
    "canonical_native_id",
    "is_native_id",
]


class IdKind(enum.StrEnum):
    """What a native id names."""

    STUDENT = "student"
    SCHOOL = "school"
    GROUP = "group"
    HOMEWORK = "homework"
    """The student's homework entry (what marking done takes)."""
    CONTINGENT_GUID = "contingent_guid"
    """МЭШ's second student id (the event calendar's ``person_ids``)."""
    LESSON = "lesson"
    """A lesson of the journal (what a mark is entered on)."""
    MARK = "mark"
    THREAD = "thread"
    """A message thread."""
    MESSAGE = "message"
    CORRESPONDENT = "correspondent"
    """Someone a message can be sent to (the provider's user id)."""
    MEETING = "meeting"
    ABSENCE_REASON = "absence_reason"


NativeIdShapes = Mapping[IdKind, re.Pattern[str]]
"""An adapter's declaration: kind → the full-match pattern of its ids."""

DIGITS = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)
"""A positive integer in ASCII digits without leading zeros (fits a signed 64-bit int)."""
GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII
)
"""A GUID in hex with dashes (8-4-4-4-12)."""

_MAX_LENGTH = 64
"""No native id of any provider is longer; longer input is refused before any regex."""


class InvalidIdError(NotFoundError):
    """An id that is not in the provider's shape: no such object, and no call is made."""


def is_native_id(shapes: NativeIdShapes, kind: IdKind, value: str) -> bool:
    """Whether ``value`` is a well-formed native id of ``kind`` (undeclared kinds: never)."""
    pattern = shapes.get(kind)
    return (
        pattern is not None
        and isinstance(value, str)
        and len(value) <= _MAX_LENGTH
        and pattern.fullmatch(value) is not None
    )


def canonical_native_id(shapes: NativeIdShapes, kind: IdKind, value: str) -> str | None:
    """The well-formed id ``value`` spells, or ``None`` when it spells none.

    A well-formed id is its own canonical form. A run of decimal digits in any script with
    leading zeros is the integer it spells; anything else is compatibility-normalised
    (NFKC) and lower-cased. The result is returned only if it matches the shape.
    """
    if is_native_id(shapes, kind, value):
        return value
    if not isinstance(value, str) or len(value) > 4 * _MAX_LENGTH:
        return None
    candidate = unicodedata.normalize("NFKC", value).lower()
    if candidate.isdecimal():
        candidate = str(int(candidate)) if len(candidate) <= _MAX_LENGTH else candidate
    return candidate if is_native_id(shapes, kind, candidate) else None
