"""What an adapter can do: the capability enum every adapter declares."""

from __future__ import annotations

import enum

__all__ = ["Capability"]


class Capability(enum.Enum):
    """One thing a region's system can answer; undeclared ones give ``NotSupportedError``."""

    PROFILE = "profile"
    """Who the caller is, their roles and children."""
    SCHEDULE = "schedule"
    """Lessons of a student's days (the diary skeleton)."""
    MARKS = "marks"
    """Marks with comments and weights."""
    HOMEWORK = "homework"
    """Homework texts and attachments."""
    HOMEWORK_DONE = "homework_done"
    """Marking homework done / not done (a write)."""
    ATTENDANCE = "attendance"
    """Absences with reasons."""
    PROGRESS = "progress"
    """Per-subject averages and trends."""
    CHANGES = "changes"
    """A feed of recent changes."""
    JOURNAL = "journal"
    """A teacher's journal of a group."""
    BELLS = "bells"
    """The schools' bell schedules."""
    TERMS = "terms"
    """The school year's periods (quarters, trimesters)."""
    SCHOOL_LOGIN = "school_login"
    """Signing students in with a school-issued login."""
    REMARKS = "remarks"
    """Teachers' remarks and praise about a student, by day."""
    ACKNOWLEDGEMENT = "acknowledgement"
    """Being told that a legal representative acknowledged a week of the diary (a write)."""
    INVITATIONS = "invitations"
    """Binding a national SSO identity to a student's parent record (onboarding by invitation)."""
    MESSAGES = "messages"
    """Message threads between a legal representative and the child's teachers (read, send,
    read receipts)."""
    CLASS_NOTICES = "class_notices"
    """The class teacher's notices to every family of the class."""
    MEETINGS = "meetings"
    """Parent meetings (date, place or link, agenda) and the parent's answer to them."""
    ABSENCE_NOTICES = "absence_notices"
    """A legal representative telling the school in advance that a child will be absent."""
    MARK_ENTRY = "mark_entry"
    """A teacher entering and correcting marks in the journal of their groups (a write)."""
