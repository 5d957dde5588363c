"""Writes to a region's system: the idempotency key, the ledger, the capability check.

Every mutation that writes to a provider takes an ``idempotencyKey`` and goes through
:func:`write_once`: a replay with the same key and arguments answers what the first
request answered and writes nothing again (the gateway's ledger, shared by instances), and
the provider gets the key too where it takes one. A failed write is a coded error whose
``extensions.writeOutcome`` says whether it may have been applied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry

from adapters import AdapterError, Capability, DiaryAdapter

from .context import Info
from .errors import ErrorCode, coded_error
from .ids import GlobalId, decode_id

__all__ = ["IdempotencyKey", "capable_adapter", "capable_id", "write_once"]

T = TypeVar("T")

IdempotencyKey = Annotated[
    str,
    strawberry.argument(
        description="A key of the client's choosing, new for each write (1–128 printable "
        "ASCII characters; a UUID will do). Sending the same write again with the same key "
        "(after a timeout, say) answers what the first answered and writes nothing twice; "
        "the same key with other arguments is BAD_USER_INPUT."
    ),
]

_KEY_CHARACTERS = frozenset(chr(c) for c in range(0x21, 0x7F))


def capable_adapter(info: Info, region: str, capability: Capability, what: str) -> DiaryAdapter:
    """The region's adapter, or ``NOT_FOUND`` (no such region) / ``NOT_SUPPORTED`` (its
    system cannot do ``what``)."""
    registry = info.context.registry
    if region not in registry:
        raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {region}")
    adapter = registry[region]
    if not adapter.supports(capability):
        raise coded_error(
            ErrorCode.NOT_SUPPORTED,
            f"the {adapter.diary_system} system of region {region} does not support {what}",
            provider=adapter.slug,
            region=region,
        )
    return adapter


def capable_id(
    info: Info, value: str, *, expected: str, capability: Capability, what: str
) -> tuple[GlobalId, DiaryAdapter]:
    """A client's id of ``expected`` type and its region's adapter: ``NOT_SUPPORTED`` first
    where the region cannot do ``what`` (its system has no such ids to check), then the id
    checked against the region's shapes (``BAD_USER_INPUT``)."""
    from .api import decode_client_id

    region = decode_id(value, expected=expected).region
    adapter = capable_adapter(info, region, capability, what)
    return decode_client_id(info, value, expected=expected), adapter


async def write_once(
    info: Info,
    *,
    region: str,
    operation: str,
    key: str,
    arguments: dict[str, Any],
    write: Callable[[], Awaitable[T]],
) -> T:
    """``await write()`` once per (caller, ``operation``, ``key``); a replay with the same
    ``arguments`` gets the first answer. Adapter errors become coded errors of ``region``.
    """
    if not 1 <= len(key) <= 128 or not set(key) <= _KEY_CHARACTERS:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            "idempotencyKey: 1 to 128 printable ASCII characters",
            argument="idempotencyKey",
        )
    caller = info.context.require_caller()
    ledger = info.context.ledger
    try:
        if ledger is None:
            return await write()
        return await ledger.once(
            scope=caller.scope, operation=operation, key=key, arguments=arguments, write=write
        )
    except AdapterError as exc:
        raise await info.context.adapter_error(exc, region=region) from exc
