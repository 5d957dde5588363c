"""The emulator's messy mode: the same world, served the way a careless provider serves it.

Switched on with ``diary-gateway emulate moscow --messy`` or ``POST /__admin/faults
{"messy": true}`` (and off again with ``{"messy": false}``). Every record the world holds
is still served somewhere the protocol allows, so the world stays the oracle; what changes
is how. Written from ``moscow-protocol.md`` ("tolerate unknown extra fields, ``null`` in
every optional field, fields that are missing altogether, and the quirks") and from what
other deployments were seen doing (issue 11), not from the adapter:

* **Unknown fields** everywhere: scalars, objects and arrays the protocol does not name.
* **Missing weights**: a weight-1 mark has ``weight`` left out or ``null`` (the protocol:
  treat as 1). Some weights come as strings (``"2"``).
* **Duplicated records**: marks, homework entries, events, attendance days and lessons,
  notifications sent twice.
* **Reordered arrays**: every list in a stable but arbitrary order (events not by time).
* **Homework only in the events**: some homework is missing from ``homeworks/short``; the
  lesson's event still carries it (with its entry), and some only as ``descriptions``.
* **Homework only in ``homeworks/short``**: some events carry no homework block at all.
* **Unmatched ids**: some marks and attendance records name a ``schedule_item_id`` no
  event has (or ``null``, or leave it out); some events say ``is_missed_lesson: false``
  although the attendance lists the lesson; homework entries without ``homework_entry_id``.
* **String ids**: some events' and marks' ``id`` as strings of digits.
* **A notification feed that ignores ``student_id``**: it returns the asked student's
  records and also those of a sibling (the demo parent's twin) and of a stranger from
  another class, each with its own ``student_profile_id``.
* **Foreign non-lessons**: events of unknown ``source`` values between the lessons.
* **Lessons missing from the calendar**: some lessons have no event at all, while their
  homework (in ``homeworks/short``), marks (in ``marks``) and absences (in
  ``attendance``) are still served: nothing ties those records to a lesson.

Which record is treated how is decided by a hash of its id, so the same request gives the
same answer (the tests can repeat a read).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from adapters.payload import JsonObject

__all__ = ["Messiness", "chance"]


_BOGUS_SCHEDULE_ITEM = 9_999_000_000
"""``schedule_item_id`` values from here up name no lesson."""


def chance(*parts: object) -> int:
    """A stable number in 0..9999 for ``parts`` (which record is treated how)."""
    digest = hashlib.sha256(":".join(map(str, ("messy", *parts))).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000


def _shuffled(items: list[Any], *salt: object) -> list[Any]:
    """``items`` in a stable arbitrary order (never the order given, for 3+ items)."""
    keyed = sorted(range(len(items)), key=lambda i: chance("order", *salt, i, _identity(items[i])))
    result = [items[i] for i in keyed]
    if len(result) > 2 and result == items:
        result = result[1:] + result[:1]
    return result


def _identity(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("id", "homework_entry_student_id", "schedule_item_id", "date", "datetime"):
            if item.get(key) is not None:
                return str(item[key])
    return repr(item)[:64]


def _extras(item: JsonObject, *salt: object) -> JsonObject:
    """``item`` with fields the protocol does not name."""
    h = chance("extra", *salt)
    return {
        **item,
        "x_request_trace": f"{h:04x}-{len(item)}",
        "ext_flags": {"legacy": h % 2 == 0, "shard": h % 7, "nested": [h % 3, None]},
        "is_deleted_soft": False,
        "unknown_list": [] if h % 2 else [{"k": "v"}],
    }


class Messiness:
    """Rewrites the emulator's native JSON documents the messy way (see the module)."""

    # -- marks -------------------------------------------------------------------------

    def mark(self, item: JsonObject, *, unmatch: bool = True) -> JsonObject:
        """One mark: unknown fields, missing or string weights, odd ids."""
        mark_id = item.get("id")
        h = chance("mark", mark_id)
        out = _extras(item, "mark", mark_id)
        weight = out.get("weight")
        if weight == 1 and h % 3 == 0:
            del out["weight"]
        elif weight == 1 and h % 3 == 1:
            out["weight"] = None
        elif isinstance(weight, int) and h % 5 == 2:
            out["weight"] = str(weight)
        if h % 4 == 3 and isinstance(mark_id, int):
            out["id"] = str(mark_id)
        if unmatch and "schedule_item_id" in out:
            if h % 6 == 0:
                out["schedule_item_id"] = _BOGUS_SCHEDULE_ITEM + h
            elif h % 6 == 1:
                out["schedule_item_id"] = None
            elif h % 6 == 2:
                del out["schedule_item_id"]
        if h % 8 == 0:
            out["comment"] = None
            out["point_date"] = None
        return out

    def marks(self, document: JsonObject) -> JsonObject:
        """Call 2: marks messy, some twice, in another order."""
        payload = []
        for item in document.get("payload", []):
            messy = self.mark(item)
            payload.append(messy)
            if chance("mark-dup", item.get("id")) % 4 == 0:
                payload.append(copy.deepcopy(messy))
        return {**document, "payload": _shuffled(payload, "marks"), "x_total_pages": 1}

    # -- homework ----------------------------------------------------------------------

    @staticmethod
    def homework_fate(entry_id: Any) -> int:
        """0: only in the events; 1: events give descriptions only; 2: only in
        ``homeworks/short``; 3+: both, as usual. By ``homework_entry_id``."""
        return chance("homework", entry_id) % 6

    def homeworks_short(self, document: JsonObject) -> JsonObject:
        """Call 3: some homework missing (the events carry it), duplicates, no entry ids."""
        payload = []
        for item in document.get("payload", []):
            entry_id = item.get("homework_entry_id")
            if self.homework_fate(entry_id) == 0:
                continue
            out = _extras(item, "homework", item.get("homework_entry_student_id"))
            h = chance("homework-short", entry_id)
            if h % 3 == 0:
                out.pop("homework_entry_id", None)
            if h % 5 == 0:
                out["materials_count"] = None
                out.pop("attachments", None)
            payload.append(out)
            if h % 4 == 1:
                payload.append(copy.deepcopy(out))
        return {**document, "payload": _shuffled(payload, "homeworks")}

    def _event_homework(self, block: Any) -> Any:
        if not isinstance(block, dict):
            return block
        entries = block.get("entries") or []
        if not entries:
            return _extras(block, "hw-block-empty")
        fate = self.homework_fate(entries[0].get("homework_entry_id"))
        if fate == 1:
            return {**block, "entries": None, "x_entries_moved": True}
        if fate == 2:
            return None
        return {
            **block,
            "entries": [_extras(e, "hw-entry", e.get("homework_entry_id")) for e in entries],
        }

    # -- events ------------------------------------------------------------------------

    def events(self, document: JsonObject, missed: set[int]) -> JsonObject:
        """Call 5: unknown fields, string ids, duplicates, foreign sources, no order.

        ``missed`` are the lessons the attendance lists: some of their events do not say so.
        """
        found: list[JsonObject] = []
        for item in document.get("response") or []:
            event_id = item.get("id")
            h = chance("event", event_id)
            if item.get("source") == "PLAN" and h % 13 == 5 and self._droppable(item):
                continue  # the calendar lost this lesson; its records are served elsewhere
            out = _extras(item, "event", event_id)
            if item.get("source") == "PLAN":
                if "homework" in out:
                    out["homework"] = self._event_homework(out["homework"])
                if isinstance(out.get("marks"), list):
                    out["marks"] = _shuffled(
                        [self.mark(m, unmatch=False) for m in out["marks"]], "event-marks"
                    )
                if event_id in missed and h % 2 == 0:
                    out["is_missed_lesson"] = False
                    out.pop("absence_reason_id", None)
                if h % 5 == 1:
                    out["teacher"] = None
                    out.pop("room_number", None)
                if h % 4 == 3 and isinstance(event_id, int):
                    out["id"] = str(event_id)
            found.append(out)
            if h % 7 == 0:
                found.append(copy.deepcopy(out))
            if h % 11 == 0 and item.get("source") == "PLAN":
                found.append(
                    {
                        **out,
                        "id": f"ae-{event_id}",
                        "source": "AE",
                        "title": "Кружок",
                        "homework": None,
                        "marks": [],
                    }
                )
        return {
            **document,
            "total_count": len(found),
            "response": _shuffled(found, "events"),
            "x_generated_by": "messy",
        }

    def _droppable(self, event: JsonObject) -> bool:
        """An event can go missing if its homework is also in ``homeworks/short``."""
        block = event.get("homework")
        entries = (block.get("entries") or []) if isinstance(block, dict) else []
        return all(self.homework_fate(e.get("homework_entry_id")) >= 2 for e in entries)

    # -- attendance --------------------------------------------------------------------

    def attendance(self, document: JsonObject) -> JsonObject:
        """Call 6: unmatched, ``null`` and missing ``schedule_item_id``, duplicates."""
        days: list[JsonObject] = []
        for day in document.get("attendance") or []:
            lessons: list[JsonObject] = []
            for lesson in day.get("lessons") or []:
                item_id = lesson.get("schedule_item_id")
                h = chance("attendance", item_id)
                out = _extras(lesson, "attendance", item_id)
                if h % 3 == 0:
                    out["schedule_item_id"] = _BOGUS_SCHEDULE_ITEM + h
                elif h % 3 == 1 and h % 2 == 0:
                    out["schedule_item_id"] = None
                elif h % 3 == 1:
                    del out["schedule_item_id"]
                if h % 5 == 0:
                    out.pop("reason_id", None)  # the day's reason applies
                lessons.append(out)
                if h % 4 == 2:
                    lessons.append(copy.deepcopy(out))
            out_day = {**_extras(day, "attendance-day", day.get("date")), "lessons": lessons}
            days.append(out_day)
            if chance("attendance-day-dup", day.get("date")) % 3 == 0:
                days.append(copy.deepcopy(out_day))
        return {**document, "attendance": _shuffled(days, "attendance")}

    # -- summaries, notifications ------------------------------------------------------

    def subject_marks_short(self, payload: list[JsonObject]) -> list[JsonObject]:
        """Call 8: unknown fields, another order."""
        return _shuffled(
            [_extras(item, "summary", item.get("subject_id")) for item in payload], "summaries"
        )

    def notifications(
        self, own: list[JsonObject], others: list[list[JsonObject]]
    ) -> list[JsonObject]:
        """Call 9, ignoring its ``student_id`` filter: ``others`` are other students' feeds."""
        found: list[JsonObject] = []
        for feed in (own, *others):
            for item in feed:
                out = _extras(item, "notification", item.get("datetime"), item.get("event_type"))
                found.append(out)
                if chance("notification-dup", item.get("datetime")) % 5 == 0:
                    found.append(copy.deepcopy(out))
        return _shuffled(found, "notifications")

    def family_profile(self, document: JsonObject) -> JsonObject:
        """Call 1: unknown fields in the profile and each child."""
        return {
            **_extras(document, "family"),
            "profile": _extras(document.get("profile") or {}, "profile"),
            "children": [_extras(c, "child", c.get("id")) for c in document.get("children") or []],
        }
