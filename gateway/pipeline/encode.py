"""Encoding answers: GraphQL results and refusals as JSON bytes with their HTTP status.

Every error gets ``extensions.code``: parse, validation and other request errors without
one get ``BAD_USER_INPUT``; an error about one variable (a value that cannot be coerced to
its type, a missing required variable) also names it in ``extensions.variable``. Masked
unexpected errors (``INTERNAL_SERVER_ERROR``) get ``extensions.requestId``, the id under
which the real error was logged. With introspection off, graphql-core's "Did you mean …?"
suggestions are cut from messages, so they cannot be used to rebuild the schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from schema import ErrorCode

from .errors import Refusal
from .negotiate import GRAPHQL_RESPONSE_JSON

__all__ = [
    "Answer",
    "dumps",
    "error_body",
    "is_request_error",
    "refusal_answer",
    "result_answer",
    "strip_suggestions",
]

_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)
_VARIABLE = re.compile(r"""^Variable ['"]\$([_A-Za-z][_0-9A-Za-z]*)['"]""")
"""A request error about one variable (coercion: wrong type, missing, bad date)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What a transport sends back: status, media type, body and extra headers."""

    status: int
    media: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    has_data: bool = True
    """The body holds ``data`` (for the metrics' outcome)."""
    has_errors: bool = False
    """The body holds ``errors``."""


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (a lone surrogate, which orjson refuses, is kept)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def strip_suggestions(message: str) -> str:
    """``message`` without graphql-core's trailing "Did you mean …?" suggestion."""
    return _SUGGESTION.sub("", message)


def error_body(message: str, code: ErrorCode, **extensions: object) -> bytes:
    """A GraphQL response body with one request error (no ``data`` entry), as UTF-8 JSON."""
    return dumps(
        {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
    )


def refusal_answer(refusal: Refusal, media: str) -> Answer:
    body = error_body(refusal.message, refusal.code, **refusal.extensions)
    return Answer(refusal.status, media, body, refusal.headers, has_data=False, has_errors=True)


def is_request_error(result: ExecutionResult) -> bool:
    """Errors raised before execution (parse, validation, variables): no ``data`` at all."""
    errors = result.errors or ()
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _format_error(error: GraphQLError, request_id: str, hide_suggestions: bool) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    if hide_suggestions:
        formatted["message"] = strip_suggestions(str(formatted.get("message", "")))
    if "code" not in extensions:
        code = ErrorCode.BAD_USER_INPUT if error.path is None else ErrorCode.INTERNAL_SERVER_ERROR
        extensions["code"] = code.value
    if error.path is None and "variable" not in extensions:
        named = _VARIABLE.match(error.message)
        if named is not None:  # the client sees which variable to fix
            extensions["variable"] = named.group(1)
    if extensions["code"] == ErrorCode.INTERNAL_SERVER_ERROR.value:
        extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted


def result_answer(
    result: ExecutionResult, media: str, *, request_id: str, hide_suggestions: bool
) -> Answer:
    """An execution result as an answer: ``400`` (``500``) for a request error under
    ``application/graphql-response+json``, ``200`` otherwise."""
    errors = [_format_error(e, request_id, hide_suggestions) for e in result.errors or ()]
    request_error = is_request_error(result)
    body: dict[str, Any] = {} if request_error else {"data": result.data}
    if errors:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    status = 200
    if request_error and media == GRAPHQL_RESPONSE_JSON:
        internal = any(
            e["extensions"]["code"] == ErrorCode.INTERNAL_SERVER_ERROR.value for e in errors
        )
        status = 500 if internal else 400
    return Answer(
        status,
        media,
        dumps(body),
        has_data=result.data is not None and not request_error,
        has_errors=bool(errors),
    )
