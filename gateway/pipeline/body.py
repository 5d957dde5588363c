"""The request's GraphQL parameters, from a POST's JSON body or a GET's query string.

``query`` a string, ``operationName`` a string, ``variables`` and ``extensions`` objects
(JSON-encoded in a GET's query string), each may be null. A POST body must be
``application/json`` in UTF-8 (anything else, or no ``Content-Type``: ``415`` — no form or
``text/plain`` posts a browser could send cross-site, no multipart). A JSON array (batching
is off), malformed JSON or a string that is not Unicode (an unpaired surrogate such as
``"\\ud800"``) gets ``400``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .errors import Refusal
from .negotiate import JSON

__all__ = ["GraphQLRequest", "check_content_type", "from_json_body", "from_query_params"]

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One operation's parameters, checked for type and Unicode."""

    query: str | None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


def check_content_type(content_type: str | None) -> None:
    """Refuse (``415``) a POST body that is not UTF-8 ``application/json``."""
    if content_type == JSON:
        return
    if content_type is None:
        raise Refusal(415, "send the operation as JSON: Content-Type: application/json")
    media, _, raw_params = content_type.partition(";")
    if media.strip().lower() != JSON:
        raise Refusal(415, "send the operation as JSON: Content-Type: application/json")
    for param in raw_params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise Refusal(415, "the request body must be UTF-8")


def from_json_body(body: bytes) -> GraphQLRequest:
    """The parameters of a POST body (its ``Content-Type`` checked already)."""
    try:
        data = orjson.loads(body)  # refuses lone surrogates and bad UTF-8 itself
        surrogates_possible = False
    except orjson.JSONDecodeError:
        if not body.strip():
            raise Refusal(400, "the request body is empty") from None
        try:  # the standard parser says what is wrong: lone surrogates are checked below
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refusal(400, "the request body is not valid JSON") from None
        surrogates_possible = True
    if isinstance(data, list):
        raise Refusal(400, "batched operations (a JSON array) are not supported")
    if not isinstance(data, dict):
        raise Refusal(400, "the request body must be a JSON object")
    return _checked(data, surrogates_possible=surrogates_possible)


def from_query_params(params: Mapping[str, str]) -> GraphQLRequest:
    """The parameters of a GET (``variables`` and ``extensions`` JSON-encoded)."""
    data: dict[str, Any] = dict(params)
    for name in ("variables", "extensions"):
        raw = data.get(name)
        if raw is None or raw == "":
            data[name] = None
            continue
        try:
            data[name] = json.loads(raw)
        except (ValueError, RecursionError):
            raise Refusal(400, f"`{name}` is not valid JSON") from None
    return _checked(data, surrogates_possible=True)


def _checked(params: Mapping[str, Any], *, surrogates_possible: bool) -> GraphQLRequest:
    query = params.get("query")
    if query is not None and not isinstance(query, str):
        raise Refusal(400, "`query` must be a string")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise Refusal(400, "`operationName` must be a string")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise Refusal(400, "`variables` must be an object")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise Refusal(400, "`extensions` must be an object")
    if surrogates_possible:
        for name, value in (
            ("query", query),
            ("operationName", operation_name),
            ("variables", variables),
            ("extensions", extensions),
        ):
            if _has_lone_surrogate(value):
                raise Refusal(400, f"`{name}` is not valid Unicode (it has an unpaired surrogate)")
    return GraphQLRequest(query, operation_name, variables, extensions)


def _has_lone_surrogate(value: object) -> bool:
    """Whether a string anywhere in a JSON value (keys included) has an unpaired surrogate.

    JSON's ``\\ud800`` escapes decode to such strings, which are not Unicode. Iterative, so
    however deep the value, no recursion limit is reached.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
