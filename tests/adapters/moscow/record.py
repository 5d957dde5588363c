"""Re-record ``fixtures/`` from the emulator: ``python -m tests.adapters.moscow.record``.

Each file is one exchange, ``<resource>_<METHOD>[_<status>].json``::

    {"request": {"method", "path", "query"}, "status", "headers", "body"}

``body`` is the decoded JSON, or the text of a non-JSON answer. The world is the contract's
(today 2025-10-18, the canonical week 13–17 October); tokens in the bodies are throwaway.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from tests.adapters.harnesses.moscow import Harness
from tests.clock import pinned

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2025, 10, 18)
Params = dict[str, str | int]
WEEK = {"from": "2025-10-13", "to": "2025-10-19"}


def _save(name: str, response: httpx.Response) -> None:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    kept = {k: v for k, v in response.headers.items() if k in ("content-type", "retry-after")}
    record = {
        "request": {
            "method": response.request.method,
            "path": response.request.url.path,
            "query": dict(response.request.url.params),
        },
        "status": response.status_code,
        "headers": kept,
        "body": body,
    }
    text = json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    (FIXTURES / f"{name}.json").write_text(text, encoding="utf-8")


async def record() -> None:
    harness = Harness()
    await harness.start(pinned(TODAY))
    try:
        _record(harness)
    finally:
        await harness.stop()


def _record(harness: Harness) -> None:
    world = harness.world
    http = harness.admin
    FIXTURES.mkdir(exist_ok=True)

    def exchange(persona: str) -> dict[str, Any]:
        token = harness.caller(persona).sso_token
        response = http.post("/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {token}"})
        grant: dict[str, Any] = response.json()
        return {
            "Auth-Token": grant["token"],
            "X-Mes-Subsystem": "familymp",
            "client-type": "diary-mobile",
            "Profile-Id": str(grant["profile_id"]),
            "X-Mes-Role": grant["profile_type"],
        }

    parent_token = harness.caller("parent").sso_token
    _save(
        "sudir_auth_POST",
        http.post("/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {parent_token}"}),
    )
    stranger = harness.issuer.mint("esia-nobody-77")
    _save(
        "sudir_auth_POST_401",
        http.post("/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {stranger}"}),
    )
    _save("schools_GET", http.get("/core/api/schools"))
    _, login, password = harness.student_login()
    _save(
        "sessions_POST",
        http.post("/lms/api/sessions", json={"login": login, "password_plain": password}),
    )
    _save(
        "sessions_POST_401",
        http.post("/lms/api/sessions", json={"login": login, "password_plain": "wrong"}),
    )

    parent = exchange("parent")
    teacher = exchange("teacher")
    class_teacher = exchange("class-teacher")
    student = exchange("student")
    canonical = world.students[world.canonical_student_id]
    other = world.persona_student("student")
    family = "/api/family/mobile/v1"
    teacher_api = "/api/ej/core/teacher/v1"
    group = harness.teacher_group_id()

    _save("profile_GET", http.get(f"{family}/profile", headers=parent))
    _save("profile_info_GET", http.get("/acl/api/users/profile_info", headers=class_teacher))
    _save(
        "marks_GET",
        http.get(
            f"{family}/marks",
            headers=student,
            params={"student_id": other.id, "from": "2025-09-01", "to": "2025-10-18"},
        ),
    )
    _save(
        "homeworks_short_GET",
        http.get(
            f"{family}/homeworks/short",
            headers=parent,
            params={"student_id": canonical.id, "from": "2025-10-13", "to": "2025-11-02"},
        ),
    )
    _save(
        "attendance_GET",
        http.get(
            f"{family}/attendance", headers=parent, params={"student_id": canonical.id, **WEEK}
        ),
    )
    _save(
        "nonattendance_reasons_GET",
        http.get("/api/ej/core/family/v1/nonattendance_reasons", headers=parent),
    )
    _save(
        "subject_marks_short_GET",
        http.get(
            f"{family}/subject_marks/short", headers=parent, params={"student_id": canonical.id}
        ),
    )
    _save(
        "notifications_GET",
        http.get(
            f"{family}/notifications/search", headers=parent, params={"student_id": canonical.id}
        ),
    )
    _save(
        "school_info_GET",
        http.get(
            f"{family}/school_info",
            headers=parent,
            params={"school_id": canonical.school_id, "class_unit_id": canonical.class_id},
        ),
    )
    _save(
        "profiles_GET",
        http.get(
            "/core/api/profiles",
            headers=teacher,
            params={"class_unit_id": canonical.class_id, "types": "student", "per_page": 5},
        ),
    )
    _save("groups_GET", http.get(f"{teacher_api}/groups", headers=teacher))
    _save(
        "teacher_marks_GET",
        http.get(f"{teacher_api}/marks", headers=teacher, params={"group_id": group, **WEEK}),
    )
    _save(
        "schedule_items_GET",
        http.get(
            f"{teacher_api}/schedule_items",
            headers=teacher,
            params={"group_id": group, "from": "2025-09-01", "to": "2025-10-18"},
        ),
    )
    entry = http.get(
        f"{family}/homeworks/short",
        headers=parent,
        params={"student_id": canonical.id, **WEEK},
    ).json()["payload"][0]["homework_entry_student_id"]
    _save("homework_done_POST", http.post(f"{family}/homeworks/{entry}/done", headers=parent))
    http.delete(f"{family}/homeworks/{entry}/done", headers=parent)

    events = {
        "person_ids": canonical.guid,
        "begin_date": "2025-10-13",
        "end_date": "2025-10-19",
        "expand": "marks,homework,absence_reason_id",
    }
    _save("events_GET", http.get("/api/eventcalendar/v1/api/events", headers=parent, params=events))

    # error answers
    expired = {**parent, "Auth-Token": "an-expired-token"}
    params: Params = {"student_id": canonical.id, **WEEK}
    _save("marks_GET_401", http.get(f"{family}/marks", headers=expired, params=params))
    foreign: Params = {"student_id": other.id, **WEEK}
    _save("marks_GET_403", http.get(f"{family}/marks", headers=parent, params=foreign))
    for name, faults, path, query in (
        ("marks_GET_429", {"rate_limit_rate": 1.0}, f"{family}/marks", params),
        ("marks_GET_500", {"error_rate": 1.0, "seed": 1}, f"{family}/marks", params),
        ("events_GET_403", {"html_rate": 1.0}, "/api/eventcalendar/v1/api/events", events),
    ):
        http.post("/__admin/faults", json=faults)
        _save(name, http.get(path, headers=parent, params=query))
    http.post("/__admin/faults", json={})


if __name__ == "__main__":
    asyncio.run(record())
