"""Opaque global ids (Relay): the type, the region and the provider's own id.

A global id is ``base64url("Type:region:native")`` without padding. Clients must treat it
as opaque; the gateway uses the region to pick the adapter.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from .errors import ErrorCode, coded_error

__all__ = ["GlobalId", "decode_id", "encode_id"]


@dataclass(frozen=True, slots=True)
class GlobalId:
    """A decoded global id."""

    type: str
    region: str
    native: str


def encode_id(type_name: str, region: str, native: str) -> str:
    """The opaque global id of a provider object."""
    raw = f"{type_name}:{region}:{native}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_id(value: str, *, expected: str | tuple[str, ...] | None = None) -> GlobalId:
    """Decode a global id, checking its type.

    Raises:
        GraphQLError: ``BAD_USER_INPUT`` when the id is not one of ours or of another type.
    """
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        type_name, region, native = text.split(":", 2)
    except (ValueError, binascii.Error, UnicodeError):
        raise coded_error(ErrorCode.BAD_USER_INPUT, f"malformed id {value[:40]!r}") from None
    if not (type_name and region and native):
        raise coded_error(ErrorCode.BAD_USER_INPUT, f"malformed id {value[:40]!r}")
    allowed = (expected,) if isinstance(expected, str) else expected
    if allowed is not None and type_name not in allowed:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            f"id is a {type_name}, expected {' or '.join(allowed)}",
        )
    return GlobalId(type_name, region, native)
