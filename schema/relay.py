"""Relay conventions: the ``Node`` interface, page info and cursor connections."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry

from .errors import ErrorCode, coded_error

__all__ = ["Node", "PageInfo", "connection", "decode_cursor", "encode_cursor", "page"]

T = TypeVar("T")


@strawberry.interface(description="An object with an opaque global id, fetchable by `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global id; it carries the region. Do not parse it."
    )


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


def encode_cursor(offset: int) -> str:
    """An opaque cursor for a position in a list."""
    return base64.urlsafe_b64encode(f"cursor:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """The position a cursor stands for; ``BAD_USER_INPUT`` if it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        prefix, _, number = text.partition(":")
        if prefix != "cursor":
            raise ValueError(text)
        return int(number)
    except (ValueError, UnicodeError):
        raise coded_error(ErrorCode.BAD_USER_INPUT, "invalid cursor") from None


def page(
    items: Sequence[T], *, first: int, after: str | None, max_page: int
) -> tuple[list[tuple[str, T]], PageInfo]:
    """Slice ``items`` for a ``first``/``after`` connection: (cursor, item) pairs and info."""
    if first < 0 or first > max_page:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, f"first must be between 0 and {max_page}", argument="first"
        )
    start = decode_cursor(after) + 1 if after else 0
    chosen = items[start : start + first]
    edges = [(encode_cursor(start + i), item) for i, item in enumerate(chosen)]
    info = PageInfo(
        has_next_page=start + first < len(items),
        has_previous_page=start > 0,
        start_cursor=edges[0][0] if edges else None,
        end_cursor=edges[-1][0] if edges else None,
    )
    return edges, info


def connection(
    edge: Callable[..., Any],
    items: Sequence[T],
    *,
    first: int,
    after: str | None,
    max_page: int,
    total: int | None = -1,
) -> dict[str, Any]:
    """A connection's fields for a page of ``items``: ``edges``, ``nodes``, ``page_info`` and
    ``total_count`` (``len(items)``; pass ``total`` where the list is not whole, ``None``
    to leave it out). ``edge(cursor=, node=)`` builds an edge."""
    edges, page_info = page(items, first=first, after=after, max_page=max_page)
    fields: dict[str, Any] = {
        "edges": [edge(cursor=c, node=n) for c, n in edges],
        "nodes": [n for _, n in edges],
        "page_info": page_info,
    }
    if total is not None:
        fields["total_count"] = len(items) if total == -1 else total
    return fields
