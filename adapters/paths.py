"""Provider URL paths: the one place a path is built from its segments.

Every path an adapter sends to a provider is ``provider_path(*segments)``: each segment is
percent-quoted on its own (``/``, ``?``, ``#``, ``%`` and everything else outside the
unreserved set), and a segment that is empty, ``.`` or ``..`` is refused, because quoting
does not neutralise dot segments (HTTP clients normalise them). No adapter builds a path
with an f-string, ``+``, ``%`` or ``str.format`` (``tests/test_architecture.py`` checks).

Quoting is the second line: ids are validated against the provider's shapes
(:mod:`adapters.native_ids`) before they get here.
"""

from __future__ import annotations

from typing import NewType
from urllib.parse import quote

__all__ = ["ProviderPath", "UnsafePathSegmentError", "provider_path"]

ProviderPath = NewType("ProviderPath", str)
"""An absolute provider path built by :func:`provider_path` (``/a/b``)."""

_DOT_SEGMENTS = frozenset({"", ".", ".."})


class UnsafePathSegmentError(ValueError):
    """A path segment that cannot be sent safely (empty, ``.``, ``..`` or not text)."""


def provider_path(*segments: str | int) -> ProviderPath:
    """``/`` + the quoted segments joined by ``/``.

    Raises:
        UnsafePathSegmentError: no segments, or a segment that is empty, ``.`` or ``..``
            (after decoding nothing: ``%2e%2e`` is quoted to ``%252e%252e``, not a dot
            segment), or neither ``str`` nor ``int``.
    """
    if not segments:
        raise UnsafePathSegmentError("a provider path needs at least one segment")
    quoted: list[str] = []
    for segment in segments:
        if isinstance(segment, bool) or not isinstance(segment, str | int):
            raise UnsafePathSegmentError(f"path segment of type {type(segment).__name__}")
        text = str(segment)
        if text in _DOT_SEGMENTS:
            raise UnsafePathSegmentError(f"path segment {text!r} is not allowed")
        quoted.append(quote(text, safe=""))
    return ProviderPath("/" + "/".join(quoted))
