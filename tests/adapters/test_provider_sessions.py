"""ProviderSessions: per-caller tokens, renewal ahead of expiry, single flight, bounded retries.

A fake provider issues numbered tokens that die after a few calls (or after a time), and
refuses what it is told to refuse.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from adapters.errors import (
    AuthenticationError,
    CredentialsRefusedError,
    ProviderUnavailableError,
    Reauthentication,
)
from adapters.models import Caller, ProviderSession
from adapters.sessions import Grant, ProviderSessions

PARENT = Caller(person_id="esia-1", sso_token="sso-1")
OTHER = Caller(person_id="esia-2", sso_token="sso-2")
STUDENT = Caller(person_id=None, session=ProviderSession(student_id="7", token="school-1"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Provider:
    """Tokens ``t1``, ``t2``…; each lives ``ttl_calls`` calls (``None``: for ever)."""

    ttl_calls: int | None = None
    expires_in: float | None = None
    refuse_exchange: bool = False
    refuse_fresh: bool = False
    """Every token is refused on its first use (a provider that refuses what it issues)."""
    exchanges: int = 0
    calls: int = 0
    writes: int = 0
    left: dict[str, int | None] = field(default_factory=dict)
    latency: float = 0.0

    async def obtain(self, caller: Caller) -> Grant[str]:
        if caller.session is not None and not caller.sso_token:
            self.left.setdefault(caller.session.token, self.ttl_calls)
            return Grant(caller.session.token)
        await asyncio.sleep(self.latency)
        self.exchanges += 1
        if self.refuse_exchange:
            raise AuthenticationError("Пользователь не найден", provider="fake")
        token = f"t{self.exchanges}"
        self.left[token] = 0 if self.refuse_fresh else self.ttl_calls
        return Grant(token, self.expires_in)

    async def read(self, token: str) -> str:
        await asyncio.sleep(self.latency)
        self.calls += 1
        left = self.left.get(token, 0)
        if left == 0:
            raise AuthenticationError("Предыдущая сессия работы в ЭЖД завершена", provider="fake")
        if left is not None:
            self.left[token] = left - 1
        return token

    async def write(self, token: str) -> str:
        self.writes += 1
        return await self.read(token)


def sessions(provider: Provider, **options: object) -> ProviderSessions[str]:
    return ProviderSessions(provider="fake", obtain=provider.obtain, **options)  # type: ignore[arg-type]


async def test_one_exchange_per_caller_and_tokens_kept_per_caller() -> None:
    provider = Provider()
    manager = sessions(provider)
    assert await manager.call(PARENT, provider.read) == "t1"
    assert await manager.call(PARENT, provider.read) == "t1"
    assert await manager.call(OTHER, provider.read) == "t2"
    assert provider.exchanges == 2
    assert manager.known(PARENT)
    assert not manager.known(Caller(person_id="esia-3"))


async def test_fifty_concurrent_calls_share_one_renewal() -> None:
    provider = Provider(latency=0.001)
    manager = sessions(provider)
    results = await asyncio.gather(*(manager.call(PARENT, provider.read) for _ in range(50)))
    assert set(results) == {"t1"}
    assert provider.exchanges == 1
    # the token dies: fifty calls at once meet the 401, one renewal serves them all
    provider.left["t1"] = 0
    results = await asyncio.gather(*(manager.call(PARENT, provider.read) for _ in range(50)))
    assert set(results) == {"t2"}
    assert provider.exchanges == 2


async def test_tokens_dying_every_three_calls_under_fifty_concurrent_calls() -> None:
    """Each fresh token serves three calls; the others retry with the newer token."""
    provider = Provider(ttl_calls=3, latency=0.001)
    manager = sessions(provider)
    results = await asyncio.gather(
        *(manager.call(PARENT, provider.read) for _ in range(50)), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, BaseException)]
    assert provider.exchanges <= 50 // 3 + 2  # one renewal per used-up token, shared
    # after the first token died with 47 calls in flight, each token is handed three calls:
    # only the first round is wasted
    assert provider.calls <= 50 + 47


async def test_a_single_short_lived_token_does_not_shrink_later_tokens() -> None:
    provider = Provider(latency=0.001)
    manager = sessions(provider)
    await manager.call(PARENT, provider.read)
    provider.left["t1"] = 0  # died in use (by time, say) after one call, nothing in flight
    results = [await manager.call(PARENT, provider.read) for _ in range(20)]
    assert set(results) == {"t2"}
    assert provider.exchanges == 2
    # then twenty at once: still one token for all
    results = await asyncio.gather(*(manager.call(PARENT, provider.read) for _ in range(20)))
    assert set(results) == {"t2"}
    assert provider.exchanges == 2


async def test_renewal_ahead_of_the_stated_expiry() -> None:
    clock = Clock()
    provider = Provider(expires_in=300)
    manager = sessions(provider, clock=clock)
    await manager.call(PARENT, provider.read)
    clock.now += 260  # 40 s before expiry: still used
    assert await manager.call(PARENT, provider.read) == "t1"
    clock.now += 15  # 25 s before expiry: inside the 30 s margin, renewed before the call
    assert await manager.call(PARENT, provider.read) == "t2"
    assert provider.calls == 3  # no call was spent on a 401
    # a short-lived token is renewed at half its life, not at once
    short = Provider(expires_in=20)
    manager = sessions(short, clock=clock)
    await manager.call(PARENT, short.read)
    clock.now += 9
    assert await manager.call(PARENT, short.read) == "t1"
    clock.now += 2
    assert await manager.call(PARENT, short.read) == "t2"


async def test_a_401_after_another_call_renewed_retries_with_the_newer_token() -> None:
    provider = Provider(latency=0.01)
    manager = sessions(provider)
    await manager.call(PARENT, provider.read)
    provider.left["t1"] = 0
    slow_started = asyncio.Event()

    async def slow(token: str) -> str:
        slow_started.set()
        await asyncio.sleep(0.05)  # answered after the other call renewed
        return await provider.read(token)

    slow_call = asyncio.create_task(manager.call(PARENT, slow))
    await slow_started.wait()
    assert await manager.call(PARENT, provider.read) == "t2"  # renewed here
    assert await slow_call == "t2"  # its 401 for t1 came after: no second renewal
    assert provider.exchanges == 2


async def test_retries_are_bounded_when_the_provider_refuses_fresh_tokens() -> None:
    provider = Provider(refuse_fresh=True)
    manager = sessions(provider, max_renewals=2)
    with pytest.raises(CredentialsRefusedError) as refused:
        await manager.call(PARENT, provider.read)
    assert refused.value.action is Reauthentication.RETRY_LATER
    assert provider.exchanges == 3  # the first token and two renewals
    assert provider.calls == 3


async def test_attempts_are_bounded_in_all() -> None:
    provider = Provider()
    manager = sessions(provider, max_renewals=5, max_attempts=3)
    await manager.call(PARENT, provider.read)
    provider.left["t1"] = 0  # expired in use: retried without counting as a refusal
    tries = 0

    async def never(token: str) -> str:
        nonlocal tries
        tries += 1
        raise AuthenticationError("refused", provider="fake")

    with pytest.raises(CredentialsRefusedError) as refused:
        await manager.call(PARENT, never)
    assert refused.value.action is Reauthentication.RETRY_LATER
    assert tries == 3


async def test_writes_are_not_retried_unless_idempotent() -> None:
    provider = Provider()
    manager = sessions(provider)
    await manager.call(PARENT, provider.read)
    provider.left["t1"] = 0
    with pytest.raises(CredentialsRefusedError) as refused:
        await manager.call(PARENT, provider.write, idempotent=False)
    assert refused.value.action is Reauthentication.RETRY_LATER
    assert provider.writes == 1  # not repeated
    # the dead token is not used again: the next call renews first
    assert await manager.call(PARENT, provider.write, idempotent=False) == "t2"
    assert provider.writes == 2
    provider.left["t2"] = 0
    assert await manager.call(PARENT, provider.write, idempotent=True) == "t3"
    assert provider.writes == 4  # an idempotent write is repeated once with the new token


async def test_a_refused_exchange_is_retry_later() -> None:
    provider = Provider(refuse_exchange=True)
    manager = sessions(provider)
    with pytest.raises(CredentialsRefusedError) as refused:
        await manager.call(PARENT, provider.read)
    assert refused.value.action is Reauthentication.RETRY_LATER
    assert refused.value.provider == "fake"
    assert not manager.known(PARENT)


async def test_a_school_login_session_ends_at_its_first_401() -> None:
    provider = Provider(ttl_calls=2)
    manager = sessions(provider)
    assert await manager.call(STUDENT, provider.read) == "school-1"
    assert await manager.cached(STUDENT, "profile", 60, provider.read) == "school-1"
    with pytest.raises(CredentialsRefusedError) as ended:
        await manager.call(STUDENT, provider.read)
    assert ended.value.action is Reauthentication.SIGN_IN_AGAIN
    assert manager.ended(STUDENT)
    calls = provider.calls
    # every later call fails at once, cached values included, without asking the provider
    for attempt in (manager.call(STUDENT, provider.read), manager.credentials(STUDENT)):
        with pytest.raises(CredentialsRefusedError) as again:
            await attempt
        assert again.value.action is Reauthentication.SIGN_IN_AGAIN
    with pytest.raises(CredentialsRefusedError):
        await manager.cached(STUDENT, "profile", 60, provider.read)
    assert provider.calls == calls
    assert provider.exchanges == 0
    # signing in again is a new provider session
    again_signed_in = Caller(person_id=None, session=ProviderSession("7", token="school-2"))
    assert await manager.call(again_signed_in, provider.read) == "school-2"


async def test_other_errors_pass_through_untouched() -> None:
    provider = Provider()
    manager = sessions(provider)

    async def down(token: str) -> str:
        raise ProviderUnavailableError("down", provider="fake")

    with pytest.raises(ProviderUnavailableError):
        await manager.call(PARENT, down)
    assert provider.exchanges == 1


async def test_cached_values_single_flight_and_bounded() -> None:
    provider = Provider(latency=0.001)
    manager = sessions(provider, max_cached=2)
    fetched = 0

    async def fetch(token: str) -> str:
        nonlocal fetched
        fetched += 1
        await asyncio.sleep(0.01)
        return token

    await asyncio.gather(*(manager.cached(PARENT, "profile", 60, fetch) for _ in range(20)))
    assert fetched == 1
    await manager.cached(PARENT, "a", 60, fetch)
    await manager.cached(PARENT, "b", 60, fetch)  # "profile" dropped (least recently used)
    await manager.cached(PARENT, "profile", 60, fetch)
    assert fetched == 4


async def test_memory_is_bounded_to_the_most_recent_callers() -> None:
    provider = Provider()
    manager = sessions(provider, max_sessions=3)
    for n in range(10):
        await manager.call(Caller(person_id=f"p{n}", sso_token=f"s{n}"), provider.read)
    assert len(manager) == 3
