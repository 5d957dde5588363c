"""The custom scalars, each with the specification a code generator maps it by.

``specifiedByURL`` tells GraphQL Code Generator, relay-compiler and the like what a scalar's
text is, so they can type it (see the README's codegen scalar mapping).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    TimeDefinition,
)

__all__ = ["RFC3339", "SCALAR_OVERRIDES"]

RFC3339 = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
"""RFC 3339's grammar: ``full-date``, ``date-time`` and ``partial-time``."""

SCALAR_OVERRIDES: dict[object, Any] = {
    dt.date: dataclasses.replace(
        DateDefinition,
        description="A calendar day, RFC 3339 `full-date`: `2026-09-01`.",
        specified_by_url=RFC3339,
    ),
    dt.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="An instant with its UTC offset, RFC 3339 `date-time`: "
        "`2026-09-01T08:30:00+03:00`.",
        specified_by_url=RFC3339,
    ),
    dt.time: dataclasses.replace(
        TimeDefinition,
        description="A local time of day without offset, RFC 3339 `partial-time`: `08:30:00`.",
        specified_by_url=RFC3339,
    ),
}
"""Strawberry's date/time scalars with descriptions and ``specifiedByURL``."""
