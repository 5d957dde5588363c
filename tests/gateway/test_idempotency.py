"""The write ledger: a write runs once per (person, operation, key); replays, on the same
instance or on another sharing Redis, answer what the first answered."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import pytest
from graphql import GraphQLError

from adapters import AbsenceNotice, AbsenceReason, DateRange, ProviderUnavailableError
from gateway.idempotency import WriteLedger
from gateway.infrastructure import Infrastructure
from gateway.upstream.codec import entity_codec
from tests.redis import REDIS_URL, delete_keys, require_redis, sub_prefix

NOTICE = AbsenceNotice(
    id="n-1",
    student_id="770001001",
    days=DateRange(date(2026, 12, 1), date(2026, 12, 2)),
    reason=AbsenceReason("1", "Болезнь"),
    comment=None,
)


def _code(error: BaseException) -> str | None:
    assert isinstance(error, GraphQLError)
    return (error.extensions or {}).get("code")


class Counted:
    """A write that counts its runs and answers a fresh notice each time."""

    def __init__(self, delay: float = 0.0, fail: BaseException | None = None) -> None:
        self.runs = 0
        self.delay = delay
        self.fail = fail

    async def __call__(self) -> AbsenceNotice:
        self.runs += 1
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        return dataclasses.replace(NOTICE, id=f"n-{self.runs}")


LedgerPair = tuple[WriteLedger, WriteLedger]


@pytest.fixture(params=["memory", "redis"])
async def ledgers(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[LedgerPair]:
    """Two ledgers as two instances would hold them (memory: one process, one ledger)."""
    if request.param == "memory":
        one = WriteLedger()
        yield one, one
        return
    require_redis()
    prefix = sub_prefix(redis_prefix, "idem")
    codec = entity_codec(os.urandom(32))
    first = Infrastructure(REDIS_URL, key_prefix=prefix)
    second = Infrastructure(REDIS_URL, key_prefix=prefix)
    try:
        yield (
            WriteLedger(redis_client=first.redis, codec=codec, key_prefix=prefix),
            WriteLedger(redis_client=second.redis, codec=codec, key_prefix=prefix),
        )
    finally:
        await first.aclose()
        await second.aclose()
        delete_keys(prefix)


def _once(
    ledger: WriteLedger,
    write: Callable[[], Awaitable[AbsenceNotice]],
    *,
    key: str = "k-1",
    scope: str = "p:parent",
    arguments: dict[str, object] | None = None,
) -> Awaitable[AbsenceNotice]:
    return ledger.once(
        scope=scope,
        operation="notifyAbsence",
        key=key,
        arguments=arguments if arguments is not None else {"from": "2026-12-01"},
        write=write,
    )


async def test_a_replay_answers_the_first_answer_and_writes_nothing(ledgers: LedgerPair) -> None:
    a, b = ledgers
    write = Counted()
    first = await _once(a, write)
    again = await _once(b, write)  # another instance, when the ledger is shared
    assert write.runs == 1
    assert again == first
    assert again.id == "n-1"


async def test_concurrent_replays_run_the_write_once(ledgers: LedgerPair) -> None:
    a, b = ledgers
    write = Counted(delay=0.2)
    answers = await asyncio.gather(*(_once(a if i % 2 else b, write) for i in range(6)))
    assert write.runs == 1
    assert {n.id for n in answers} == {"n-1"}


async def test_the_same_key_with_other_arguments_is_refused(ledgers: LedgerPair) -> None:
    a, b = ledgers
    write = Counted()
    await _once(a, write)
    with pytest.raises(GraphQLError) as refused:
        await _once(b, write, arguments={"from": "2026-12-02"})
    assert _code(refused.value) == "BAD_USER_INPUT"
    assert write.runs == 1


async def test_keys_are_per_person_and_per_key(ledgers: LedgerPair) -> None:
    a, b = ledgers
    write = Counted()
    await _once(a, write)
    await _once(b, write, scope="p:other-parent")
    await _once(a, write, key="k-2")
    assert write.runs == 3


async def test_a_failed_write_lets_its_key_go(ledgers: LedgerPair) -> None:
    a, b = ledgers
    failing = Counted(fail=ProviderUnavailableError("down", provider="moscow"))
    with pytest.raises(ProviderUnavailableError):
        await _once(a, failing)
    write = Counted()
    answer = await _once(b, write)  # the client sends it again with the same key
    assert write.runs == 1
    assert answer.id == "n-1"


async def test_a_replay_waits_for_the_running_write(ledgers: LedgerPair) -> None:
    a, b = ledgers
    slow = Counted(delay=0.5)
    running = asyncio.ensure_future(_once(a, slow))
    await asyncio.sleep(0.05)
    replay = await _once(b, Counted())  # the second write function is never called
    assert replay == await running
    assert slow.runs == 1


@pytest.mark.redis
async def test_a_forged_entry_in_redis_is_not_taken_for_an_answer(redis_prefix: str) -> None:
    require_redis()
    prefix = sub_prefix(redis_prefix, "idem-forged")
    infrastructure = Infrastructure(REDIS_URL, key_prefix=prefix)
    try:
        ledger = WriteLedger(
            redis_client=infrastructure.redis, codec=entity_codec(os.urandom(32)), key_prefix=prefix
        )
        await _once(ledger, Counted())
        assert infrastructure.redis is not None
        (name,) = [k async for k in infrastructure.redis.scan_iter(match=f"{prefix}idem:*")]
        await infrastructure.redis.set(name, b'{"fp": "x", "state": "done", "answer": 1}')
        write = Counted()
        answer = await _once(ledger, write)  # dropped, never replayed: the write runs
        assert write.runs == 1
        assert answer.id == "n-1"
    finally:
        await infrastructure.aclose()
        delete_keys(prefix)
