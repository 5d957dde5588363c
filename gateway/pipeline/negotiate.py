"""Content negotiation: the response media type an ``Accept`` header asks for."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

__all__ = ["GRAPHQL_RESPONSE_JSON", "JSON", "negotiate"]

GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
"""The GraphQL over HTTP response media type (its status codes follow the outcome)."""
JSON: Final = "application/json"
"""The legacy response media type (200 for every well-formed request)."""


@lru_cache(maxsize=256)
def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or ``None`` (answer ``406``).

    The highest ``q`` wins; at equal ``q``, ``application/graphql-response+json`` before
    ``application/json`` before a wildcard (which means ``application/json``). No header, or
    an empty one, means ``application/json``. (Memoised: clients send the same few headers.)
    """
    if accept is None or not accept.strip():
        return JSON
    best: str | None = None
    best_key: tuple[float, int] = (0.0, 0)
    for part in accept.split(","):
        media, _, raw_params = part.partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in raw_params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            candidate, rank = GRAPHQL_RESPONSE_JSON, 3
        elif media == JSON:
            candidate, rank = JSON, 2
        elif media in ("application/*", "*/*"):
            candidate, rank = JSON, 1
        else:
            continue
        if (quality, rank) > best_key:
            best, best_key = candidate, (quality, rank)
    return best
