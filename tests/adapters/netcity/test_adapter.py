"""The «Сетевой город» adapter beyond the shared contract: tokens, batching, sessions, feeds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters import (
    AccessDeniedError,
    AdapterDeps,
    AuthenticationError,
    Caller,
    ChangeKind,
    DateRange,
    Fault,
    NotFoundError,
    ProviderResponseError,
    RegionInfo,
    Role,
    get_adapter_class,
    load_settings,
)
from adapters.netcity import NetCityAdapter
from adapters.netcity.config import NetCityConfig
from tests.adapters.harnesses.moscow import SSO_AUDIENCE
from tests.adapters.harnesses.netcity import Harness
from tests.clock import pinned

TZ = ZoneInfo("Asia/Yekaterinburg")
CANONICAL = "740001001"
CLASSMATE = "740001002"
WEEK = DateRange(date(2025, 10, 13), date(2025, 10, 19))


@pytest.fixture
async def served() -> AsyncIterator[Harness]:
    """The adapter over real HTTP to the emulator, on 18 October 2025."""
    harness = Harness()
    await harness.start(pinned(date(2025, 10, 18), zone=TZ))
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def adapter(served: Harness) -> NetCityAdapter:
    assert isinstance(served.adapter, NetCityAdapter)
    return served.adapter


@pytest.fixture
def who(served: Harness) -> Callable[[str], Caller]:
    return served.caller


EXCHANGE = "/webapi/sso/esia/exchange"


def test_registered_and_configured_from_toml_table() -> None:
    assert get_adapter_class("netcity") is NetCityAdapter
    config = load_settings(NetCityConfig, {"base_url": "http://x.test"}, where="regions.74")
    assert config == NetCityConfig(base_url="http://x.test")
    with pytest.raises(ValueError, match="seed_today"):
        load_settings(NetCityConfig, {"seed_today": "2025-10-18"}, where="regions.74")
    with pytest.raises(ValueError, match="base_url"):
        NetCityConfig(base_url="ftp://x")


def test_base_url_defaults_to_the_regions_diary_site() -> None:
    region = RegionInfo("74", "Челябинская область", TZ, "https://sgo.edu-74.ru/")
    adapter = NetCityAdapter(
        region=region, config=NetCityConfig(), deps=AdapterDeps(http=httpx.AsyncClient())
    )
    assert adapter._client._json.base_url == "https://sgo.edu-74.ru"
    with pytest.raises(ValueError, match=r"deps\.http"):
        NetCityAdapter(region=region, config=NetCityConfig(), deps=AdapterDeps())


def test_the_injected_clock_is_the_worlds_today(served: Harness) -> None:
    assert served.world.today == date(2025, 10, 18)
    assert served.world.year == 2025


async def test_one_token_exchange_per_person(
    adapter: NetCityAdapter, who: Callable[[str], Caller], served: Harness
) -> None:
    parent = who("parent")
    await adapter.get_profile(parent)
    await adapter.get_diaries(parent, [CANONICAL], WEEK)
    await adapter.get_students(parent, [CANONICAL])
    assert served.stats()[EXCHANGE] == 1
    assert served.stats()["/webapi/grade/assignment/types"] == 1


async def test_unauthorized_forgets_the_token(
    adapter: NetCityAdapter, who: Callable[[str], Caller], served: Harness
) -> None:
    parent = who("parent")
    await adapter.get_diaries(parent, [CANONICAL], WEEK)
    served.set_fault(Fault.UNAUTHORIZED)
    with pytest.raises(AuthenticationError):
        await adapter.get_diaries(parent, [CANONICAL], WEEK)
    served.set_fault(None)
    (slot,) = await adapter.get_diaries(parent, [CANONICAL], WEEK)
    assert isinstance(slot, list)
    assert len(slot) == 32
    assert served.stats()[EXCHANGE] == 2


async def test_unknown_person(adapter: NetCityAdapter, served: Harness) -> None:
    stranger = Caller(
        person_id="esia-stranger",
        sso_token=served.issuer.mint("esia-stranger", audience=SSO_AUDIENCE),
    )
    assert await adapter.get_profile(stranger) is None
    with pytest.raises(AuthenticationError):
        await adapter.get_diaries(stranger, [CANONICAL], WEEK)
    assert await adapter.get_profile(Caller(person_id=None)) is None


async def test_one_diary_request_per_student_for_any_range(
    adapter: NetCityAdapter, who: Callable[[str], Caller], served: Harness
) -> None:
    teacher = who("teacher")
    three_weeks = DateRange(date(2025, 9, 29), date(2025, 10, 19))
    result = await adapter.get_diaries(teacher, [CANONICAL, CLASSMATE, "x1"], three_weeks)
    assert served.stats()["/webapi/student/diary"] == 2
    first, second, bad = result
    assert isinstance(first, list)
    assert isinstance(second, list)
    assert len({le.date for le in first}) == 15
    assert isinstance(bad, NotFoundError)


async def test_school_login_session(adapter: NetCityAdapter, served: Harness) -> None:
    student = served.world.students[int(CLASSMATE)]
    session = await adapter.login(school=None, login=student.login, password=student.password)
    assert session.student_id == CLASSMATE
    caller = Caller(person_id=None, session=session)
    profile = await adapter.get_profile(caller)
    assert profile is not None
    person = served.world.students[int(CLASSMATE)].person
    assert profile.person.full_name == (
        f"{person.last_name} {person.first_name} {person.middle_name}"
    )
    assert [(g.role, g.student_id) for g in profile.roles] == [(Role.STUDENT, CLASSMATE)]
    own, other = await adapter.get_diaries(caller, [CLASSMATE, CANONICAL], WEEK)
    assert isinstance(own, list)
    assert own
    assert isinstance(other, AccessDeniedError)
    marks = await adapter.get_marks(caller, [CLASSMATE], WEEK)
    assert all(m.student_id == CLASSMATE for m in marks[0])  # type: ignore[union-attr]


async def test_students_batch(
    adapter: NetCityAdapter, who: Callable[[str], Caller], served: Harness
) -> None:
    mine, classmate, unknown, garbage = await adapter.get_students(
        who("parent"), [CANONICAL, CLASSMATE, "1", "abc"]
    )
    assert mine.class_name == "9-А"  # type: ignore[union-attr]
    assert isinstance(classmate, AccessDeniedError)
    assert isinstance(unknown, NotFoundError)
    assert isinstance(garbage, NotFoundError)
    assert served.stats()["/webapi/student/cards"] == 1


async def test_changes_feed(
    adapter: NetCityAdapter, who: Callable[[str], Caller], served: Harness
) -> None:
    since = datetime(2025, 10, 16, 0, 0, tzinfo=TZ)
    (changes,) = await adapter.get_changes(who("parent"), [CANONICAL], since)
    assert isinstance(changes, list)
    assert [(c.kind, c.subject_name) for c in changes] == [
        (ChangeKind.HOMEWORK_CREATED, "Русский язык"),
        (ChangeKind.MARK_CREATED, "Алгебра"),
        (ChangeKind.MARK_CREATED, "Алгебра"),
    ]
    assert all(c.at > since and c.at.tzinfo is not None for c in changes)
    calls = served.upstream_calls()
    (future,) = await adapter.get_changes(who("parent"), [CANONICAL], since + timedelta(days=30))
    assert future == []
    assert served.upstream_calls() == calls
    (naive,) = await adapter.get_changes(who("parent"), [CANONICAL], datetime(2025, 10, 16))
    assert naive == changes


async def test_changes_look_back_at_most_a_year(
    adapter: NetCityAdapter, who: Callable[[str], Caller]
) -> None:
    ancient = datetime(2020, 1, 1, tzinfo=TZ)
    (changes,) = await adapter.get_changes(who("parent"), [CANONICAL], ancient)
    assert isinstance(changes, list)
    assert changes
    assert changes == sorted(changes, key=lambda c: c.at, reverse=True)


async def test_homework_done_rules(adapter: NetCityAdapter, who: Callable[[str], Caller]) -> None:
    homework = "740001000953711"
    with pytest.raises(AccessDeniedError):
        await adapter.set_homework_done(who("parent-not-representative"), CANONICAL, homework, True)
    with pytest.raises(NotFoundError):
        await adapter.set_homework_done(who("parent"), CANONICAL, "hw-1", True)
    done = await adapter.set_homework_done(who("parent"), CANONICAL, homework, True)
    assert (done.id, done.done, done.subject.name, done.due_on) == (
        homework,
        True,
        "Алгебра",
        date(2025, 10, 14),  # the next Алгебра: Tuesday's 3rd lesson
    )


async def test_journal_bells_and_schools(
    adapter: NetCityAdapter, who: Callable[[str], Caller]
) -> None:
    # 9-А's Алгебра (group id = class id × 100 + the subject's position in SUBJECTS)
    journal = await adapter.get_journal(who("class-teacher"), "740001004", WEEK)
    assert [(le.date.weekday(), le.number) for le in journal.lessons] == [(0, 1), (1, 3), (3, 1)]
    with pytest.raises(NotFoundError):
        await adapter.get_journal(who("teacher"), "algebra", WEEK)
    with pytest.raises(AccessDeniedError):
        await adapter.get_journal(who("teacher"), "740001008", WEEK)  # 9-А's История
    bells = await adapter.get_bell_schedule(None, "7400001")
    assert len(bells.bells) == 8
    assert (bells.bells[7].starts.isoformat(), bells.bells[7].ends.isoformat()) == (
        "15:15:00",
        "16:00:00",
    )
    lyceum = await adapter.get_bell_schedule(None, "7400002")
    assert lyceum.bells[0].starts.isoformat() == "08:00:00"
    with pytest.raises(NotFoundError):
        await adapter.get_bell_schedule(None, "7400003")
    with pytest.raises(NotFoundError):
        await adapter.get_bell_schedule(None, "school34")
    assert [s.id for s in await adapter.list_schools()] == ["7400001", "7400002"]


async def test_unexpected_mark_is_a_response_error(
    adapter: NetCityAdapter,
    monkeypatch: pytest.MonkeyPatch,
    who: Callable[[str], Caller],
    served: Harness,
) -> None:
    parent = who("parent")
    data = served.emulator.data
    real = data.student_diary

    async def odd_mark(at: str, student_id: int, start: str, end: str) -> bytes:
        diary = json.loads(await real(at, student_id, start, end))
        diary["weekDays"][0]["lessons"][0]["assignments"][1]["mark"]["mark"] = 7
        return json.dumps(diary).encode()

    monkeypatch.setattr(data, "student_diary", odd_mark)
    with pytest.raises(ProviderResponseError):
        await adapter.get_diaries(parent, [CANONICAL], WEEK)


async def test_login_failures_share_one_message(adapter: NetCityAdapter, served: Harness) -> None:
    student = served.world.students[int(CLASSMATE)]
    with pytest.raises(AuthenticationError) as wrong_school:
        await adapter.login(school="school41", login=student.login, password=student.password)
    with pytest.raises(AuthenticationError) as wrong_password:
        await adapter.login(school="school34", login=student.login, password="пароль")
    assert (
        str(wrong_school.value) == str(wrong_password.value) == "[netcity] wrong login or password"
    )
