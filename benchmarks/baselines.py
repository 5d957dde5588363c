"""The baselines: a plain Starlette endpoint and an unmodified Strawberry schema.

Both serve the same diary week the gateway serves, so the ratios compare like with like:
the Starlette endpoint returns the gateway's response bytes as they are; the Strawberry
schema has the same shape, default resolvers, no permissions, no loaders, no cache, and
resolves the data parsed from the gateway's response.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

__all__ = ["plain_starlette_app", "plain_strawberry_app"]


def plain_starlette_app(body: bytes) -> Starlette:
    """Answers every POST /graphql with ``body``."""

    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])


@strawberry.type
class Scale:
    kind: str


@strawberry.type
class Mark:
    value: str
    scale: Scale
    five_point: float | None
    weight: float
    comment: str | None


@strawberry.type
class Homework:
    text: str


@strawberry.type
class Named:
    name: str


@strawberry.type
class Lesson:
    number: int
    subject: Named
    marks: list[Mark]
    homework: list[Homework]


@strawberry.type
class Day:
    date: date
    lessons: list[Lesson]


@strawberry.type
class Diary:
    days: list[Day]


@strawberry.type
class RegionRef:
    code: str


@strawberry.type
class School:
    name: str
    region: RegionRef


@strawberry.type
class Child:
    full_name: str
    school: School
    diary_value: strawberry.Private[Diary]

    @strawberry.field
    def diary(
        self,
        start: Annotated[date, strawberry.argument(name="from")],
        end: Annotated[date, strawberry.argument(name="to")],
    ) -> Diary:
        return self.diary_value


@strawberry.type
class Viewer:
    children: list[Child]


def _children(data: dict[str, Any]) -> list[Child]:
    children = []
    for child in data["me"]["children"]:
        days = [
            Day(
                date=date.fromisoformat(day["date"]),
                lessons=[
                    Lesson(
                        number=le["number"],
                        subject=Named(name=le["subject"]["name"]),
                        marks=[
                            Mark(
                                value=m["value"],
                                scale=Scale(kind=m["scale"]["kind"]),
                                five_point=m["fivePoint"],
                                weight=m["weight"],
                                comment=m["comment"],
                            )
                            for m in le["marks"]
                        ],
                        homework=[Homework(text=h["text"]) for h in le["homework"]],
                    )
                    for le in day["lessons"]
                ],
            )
            for day in child["diary"]["days"]
        ]
        children.append(
            Child(
                full_name=child["fullName"],
                school=School(
                    name=child["school"]["name"],
                    region=RegionRef(code=child["school"]["region"]["code"]),
                ),
                diary_value=Diary(days=days),
            )
        )
    return children


def plain_strawberry_app(data: dict[str, Any]) -> GraphQL[Any, Any]:
    """An unmodified Strawberry schema of the same shape resolving the same data."""
    children = _children(data)

    @strawberry.type
    class Query:
        @strawberry.field
        def me(self) -> Viewer:
            return Viewer(children=children)

    return GraphQL(strawberry.Schema(query=Query), graphql_ide=None)
