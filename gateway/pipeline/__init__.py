"""The GraphQL request pipeline, one small module per step (see :mod:`.flow` for the order).

negotiate → body → (admit: address limit, identity, person limit) → persisted query → parse
and validate → limits and cost → cost limit → response cache → execute → encode.
"""

from __future__ import annotations

from .body import GraphQLRequest, check_content_type, from_json_body, from_query_params
from .encode import Answer, error_body, refusal_answer, result_answer, strip_suggestions
from .errors import Refusal
from .execute import Executor
from .flow import Pipeline
from .identity import Identity, IdentityResolver, person_key
from .limits import OperationCheck, OperationLimits
from .negotiate import GRAPHQL_RESPONSE_JSON, JSON, negotiate

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "Answer",
    "Executor",
    "GraphQLRequest",
    "Identity",
    "IdentityResolver",
    "OperationCheck",
    "OperationLimits",
    "Pipeline",
    "Refusal",
    "check_content_type",
    "error_body",
    "from_json_body",
    "from_query_params",
    "negotiate",
    "person_key",
    "refusal_answer",
    "result_answer",
    "strip_suggestions",
]
