"""The HTTP adapter base: JsonClient's status mapping and decoding, per-student batches."""

from __future__ import annotations

import json

import httpx
import pytest

from adapters.batches import per_student
from adapters.errors import (
    AccessDeniedError,
    AuthenticationError,
    NotFoundError,
    ProviderResponseError,
    ProviderUnavailableError,
    WriteOutcome,
    map_httpx_errors,
    write_outcome_of,
)
from adapters.paths import provider_path
from adapters.transport import JsonClient
from tests.servers import free_port


def _client(status: int, body: bytes, headers: dict[str, str] | None = None) -> JsonClient:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers=headers)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = JsonClient(http, "http://provider.test/base/", provider="p", headers={"X-A": "1"})
    client.seen = seen  # type: ignore[attr-defined]
    return client


async def test_a_success_is_decoded_and_sent_to_the_base_url() -> None:
    client = _client(200, b'{"ok": [1]}')
    answer = await client.get(provider_path("a", "b"), params={"x": 1}, headers={"X-B": "2"})
    assert answer == {"ok": [1]}
    (request,) = client.seen  # type: ignore[attr-defined]
    assert str(request.url) == "http://provider.test/base/a/b?x=1"
    assert request.headers["X-A"] == "1"
    assert request.headers["X-B"] == "2"
    assert request.headers["Accept"] == "application/json"


async def test_form_fields_and_empty_bodies() -> None:
    client = _client(200, b"")
    assert await client.post(provider_path("login"), form={"un": "u", "pw": "p"}) is None
    (request,) = client.seen  # type: ignore[attr-defined]
    assert request.content == b"un=u&pw=p"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (403, AccessDeniedError),
        (404, NotFoundError),
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
        (409, ProviderResponseError),
    ],
)
async def test_error_statuses_map_to_the_tree_with_the_providers_words(
    status: int, error: type[Exception]
) -> None:
    body = json.dumps({"message": "Нельзя"}, ensure_ascii=False).encode()
    with pytest.raises(error) as raised:
        await _client(status, body).get(provider_path("x"))
    if status != 409:
        assert "Нельзя" in str(raised.value)


async def test_429_carries_retry_after() -> None:
    with pytest.raises(ProviderUnavailableError) as raised:
        await _client(429, b"{}", {"Retry-After": "7"}).get(provider_path("x"))
    assert raised.value.retry_after == 7.0


async def test_an_html_403_is_a_gateway_in_front_and_a_truncated_body_is_malformed() -> None:
    with pytest.raises(ProviderUnavailableError):
        await _client(403, b"<html>403</html>").get(provider_path("x"))
    with pytest.raises(json.JSONDecodeError):
        await _client(200, b'{"ok": ').get(provider_path("x"))


async def test_unwrap_may_raise_for_an_error_under_a_200() -> None:
    class Enveloped(JsonClient):
        def unwrap(self, document: object) -> object:
            assert isinstance(document, dict)
            if document["state"] != 200:
                raise NotFoundError(document["error"], provider=self.provider)
            return document["result"]

    ok = _client(200, b'{"state": 200, "result": 5}')
    bad = _client(200, b'{"state": 404, "error": "no"}')
    assert await Enveloped(ok.http, "http://p.test", provider="p").get(provider_path("x")) == 5
    with pytest.raises(NotFoundError):
        await Enveloped(bad.http, "http://p.test", provider="p").get(provider_path("x"))


async def test_per_student_fails_only_refused_slots_and_keeps_order() -> None:
    async def fetch(student_id: str) -> str:
        if student_id == "2":
            raise NotFoundError("no", provider="p")
        if student_id == "3":
            raise AccessDeniedError("no", provider="p")
        return student_id * 2

    slots = await per_student(["1", "2", "3", "4"], fetch)
    assert slots[0] == "11"
    assert slots[3] == "44"
    assert isinstance(slots[1], NotFoundError)
    assert isinstance(slots[2], AccessDeniedError)


async def test_per_student_fails_the_batch_when_the_provider_is_down() -> None:
    async def fetch(student_id: str) -> str:
        raise ProviderUnavailableError("down", provider="p")

    with pytest.raises(ProviderUnavailableError):
        await per_student(["1", "2"], fetch)


async def test_what_a_failed_write_left_behind() -> None:
    """Refusals and unsent calls changed nothing; a 5xx, a timeout or an unreadable answer
    may have applied the write (a connection refused on loopback: nothing was sent)."""
    with pytest.raises(ProviderUnavailableError) as refused:
        await _client(429, b"{}").get(provider_path("x"))
    assert write_outcome_of(refused.value) is WriteOutcome.NOT_APPLIED
    with pytest.raises(ProviderUnavailableError) as failed:
        await _client(502, b"{}").get(provider_path("x"))
    assert write_outcome_of(failed.value) is WriteOutcome.UNKNOWN
    with pytest.raises(ProviderResponseError) as unreadable, map_httpx_errors("p"):
        await _client(200, b"{not json").get(provider_path("x"))
    assert write_outcome_of(unreadable.value) is WriteOutcome.UNKNOWN
    with pytest.raises(NotFoundError) as missing:
        await _client(404, b"{}").get(provider_path("x"))
    assert write_outcome_of(missing.value) is WriteOutcome.NOT_APPLIED
    port = free_port()  # nobody listens there
    async with httpx.AsyncClient() as http:
        client = JsonClient(http, f"http://127.0.0.1:{port}/", provider="p")
        with pytest.raises(ProviderUnavailableError) as unreached, map_httpx_errors("p"):
            await client.get(provider_path("x"))
    assert unreached.value.write_outcome is WriteOutcome.NOT_APPLIED
