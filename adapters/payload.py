"""JSON payloads as the adapters and the emulators handle them: one name per meaning."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["JsonObject", "ReadOnlyJson"]

JsonObject = dict[str, Any]
"""A JSON object: decoded from a provider's body, or built to be sent as one."""

ReadOnlyJson = Mapping[str, Any]
"""A JSON object a parser only reads (any mapping will do)."""
