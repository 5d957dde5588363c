"""The request pipeline does each step once: counted through the real code, over HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import GraphQLSchema

import schema.documents as documents
from gateway.pipeline import Identity, Pipeline
from schema import build_schema
from schema.documents import graphql_schema

from .conftest import DemoGateway

REGIONS = "{ regions { code name } }"
ME = "query Me { me { children { fullName } } }"


class _Counts:
    """Wraps the pipeline's identity step and the parse/validate functions with counters."""

    def __init__(self, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
        self.resolved = 0
        self.verified = 0
        self.compiled: Counter[str] = Counter()
        self.validated = 0
        self.strawberry_parsed = 0
        self.strawberry_validated = 0
        resolve = pipeline.identify.resolve
        verify = pipeline.identify.verifier.verify
        compile_document = documents.compile_document
        validate_document = documents.validate_document  # type: ignore[attr-defined]  # patched

        async def counting_resolve(authorization: str | None) -> Identity:
            self.resolved += 1
            return await resolve(authorization)

        async def counting_verify(token: str) -> Any:
            self.verified += 1
            return await verify(token)

        def counting_compile(*args: Any) -> documents.CompiledDocument:
            self.compiled[args[1]] += 1
            return compile_document(*args)

        def counting_validate(*args: Any) -> Any:
            self.validated += 1
            return validate_document(*args)

        def strawberry_parse(*args: Any, **kwargs: Any) -> Any:
            self.strawberry_parsed += 1
            raise AssertionError("Strawberry parsed a document itself")

        def strawberry_validate(*args: Any, **kwargs: Any) -> Any:
            self.strawberry_validated += 1
            raise AssertionError("Strawberry validated a document itself")

        monkeypatch.setattr(pipeline.identify, "resolve", counting_resolve)
        monkeypatch.setattr(pipeline.identify.verifier, "verify", counting_verify)
        monkeypatch.setattr(documents, "compile_document", counting_compile)
        monkeypatch.setattr(documents, "validate_document", counting_validate)
        monkeypatch.setattr(strawberry_schema, "parse", strawberry_parse)
        monkeypatch.setattr(strawberry_schema, "validate_document", strawberry_validate)


def _post(gateway: DemoGateway, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"{gateway.url}/graphql", json={"query": query}, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.json()
    return response


def test_identity_once_per_request_and_parse_validate_once_per_document(
    fresh_demo: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _Counts(fresh_demo.app.state.pipeline, monkeypatch)
    token = fresh_demo.token("parent")

    first = _post(fresh_demo, ME, token)  # executed: parsed and validated once, here
    assert first.headers["x-cache"] == "miss"
    assert (counts.resolved, counts.verified) == (1, 1)
    assert counts.compiled == Counter({ME: 1})
    assert counts.validated == 1

    warm = _post(fresh_demo, ME, token)  # a response-cache hit: no parse, no validation
    assert warm.headers["x-cache"] == "hit"
    assert warm.content == first.content
    assert (counts.resolved, counts.verified) == (2, 1)  # the token is remembered
    assert counts.compiled == Counter({ME: 1})
    assert counts.validated == 1

    for _ in range(3):  # another document, executed and then served from cache
        _post(fresh_demo, REGIONS, token)
    assert counts.resolved == 5
    assert counts.verified == 1
    assert counts.compiled == Counter({ME: 1, REGIONS: 1})
    assert counts.validated == 2

    anonymous = _post(fresh_demo, REGIONS)  # another scope: executed, not parsed again
    assert anonymous.headers["x-cache"] == "miss"
    assert counts.resolved == 6
    assert counts.verified == 1
    assert counts.compiled == Counter({ME: 1, REGIONS: 1})
    assert counts.validated == 2
    assert (counts.strawberry_parsed, counts.strawberry_validated) == (0, 0)


def test_a_refused_document_is_compiled_once_whoever_sends_it(
    fresh_demo: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _Counts(fresh_demo.app.state.pipeline, monkeypatch)
    bad = "{ regions { nope } }"
    for persona in ("parent", "other-parent", None):
        headers = {"Content-Type": "application/json"}
        if persona is not None:
            headers["Authorization"] = f"Bearer {fresh_demo.token(persona)}"
        response = httpx.post(
            f"{fresh_demo.url}/graphql", json={"query": bad}, headers=headers, timeout=60
        )
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert counts.resolved == 3
    assert counts.compiled == Counter({bad: 1})
    assert counts.validated == 1


def test_graphql_schema_is_the_schema_strawberry_validates_against() -> None:
    """Pins the one private Strawberry attribute the gateway reads (``Schema._schema``)."""
    built = build_schema()
    found = graphql_schema(built)
    assert isinstance(found, GraphQLSchema)
    assert found.query_type is not None
    assert found.query_type.name == "Query"
    assert set(found.query_type.fields) >= {"me", "regions", "node", "diary"}
    assert built.get_type_by_name("Student") is not None
    assert "Student" in found.type_map
    # the document cache validates with it: an unknown field is refused, a known one passes
    assert built.documents.get("{ regions { code } }").valid
    assert not built.documents.get("{ regions { nope } }").valid
