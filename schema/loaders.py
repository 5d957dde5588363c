"""Per-request DataLoaders: every provider read goes through one, batched per region.

Resolvers never call an adapter per lesson or per mark: a diary of many students over one
range is one adapter call per region, and the viewer's profile is read once per region.
A failed adapter call fails only the keys it served, as coded GraphQL errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError
from strawberry.dataloader import DataLoader

from adapters import (
    AbsenceNotice,
    AdapterError,
    Change,
    ClassNotice,
    DateRange,
    Lesson,
    Mark,
    Meeting,
    RegionProfile,
    Remark,
    Roster,
    School,
    Student,
    SubjectProgress,
    Term,
)

from .errors import from_adapter_error

if TYPE_CHECKING:
    from .context import GatewayContext

__all__ = ["Loaders"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
G = TypeVar("G", bound=Hashable)

StudentKey = tuple[str, str]
"""(region, student id)."""
RangeKey = tuple[str, str, date, date]
"""(region, student id, first day, last day)."""


async def _grouped(
    keys: Sequence[K],
    group_of: Callable[[K], G],
    fetch: Callable[[G, list[K]], Awaitable[Sequence[Any]]],
    region_of: Callable[[G], str],
    translate: Callable[[AdapterError, str], Awaitable[GraphQLError]] | None = None,
    *,
    name: str,
    tracer: Any = None,
) -> list[Any]:
    """Split keys into groups, make one adapter call per group, reassemble in order.

    With a ``tracer``, each group's call is a span ``loader <name>`` (region code and key
    count only: a resolver group, not a span per field).
    """
    groups: dict[G, list[K]] = defaultdict(list)
    for key in keys:
        groups[group_of(key)].append(key)
    results: dict[K, Any] = {}

    async def coded(error: AdapterError, region: str) -> GraphQLError:
        if translate is not None:
            return await translate(error, region)
        return from_adapter_error(error, region=region)

    for group, members in groups.items():
        region = region_of(group)
        try:
            if tracer is None:
                values = await fetch(group, members)
            else:
                values = await _traced(tracer, name, region, len(members), fetch(group, members))
        except AdapterError as exc:
            error = await coded(exc, region)
            values = [error] * len(members)
        for key, value in zip(members, values, strict=True):
            if isinstance(value, AdapterError):
                value = await coded(value, region)
            results[key] = value
    return [results[key] for key in keys]


async def _traced(
    tracer: Any, name: str, region: str, keys: int, call: Awaitable[Sequence[Any]]
) -> Sequence[Any]:
    attributes = {"gateway.loader": name, "gateway.region": region, "gateway.keys": keys}
    with tracer.start_as_current_span(
        f"loader {name}",
        attributes=attributes,
        record_exception=False,  # messages are the provider's: never in a span
        set_status_on_exception=False,
    ) as span:
        try:
            values = await call
        except AdapterError as exc:
            span.set_attribute("error.type", type(exc).__name__)
            raise
        failed = sum(1 for value in values if isinstance(value, AdapterError))
        if failed:
            span.set_attribute("gateway.failed_keys", failed)
        return values


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self, context: GatewayContext) -> None:
        self._context = context
        self.profile: DataLoader[str, RegionProfile | None] = DataLoader(self._load_profiles)
        self.schools: DataLoader[str, list[School]] = DataLoader(self._load_schools)
        self.students: DataLoader[StudentKey, Student] = DataLoader(self._load_students)
        self.diary: DataLoader[RangeKey, list[Lesson]] = DataLoader(self._load_diaries)
        self.marks: DataLoader[RangeKey, list[Mark]] = DataLoader(self._load_marks)
        self.progress: DataLoader[RangeKey, list[SubjectProgress]] = DataLoader(self._load_progress)
        self.remarks: DataLoader[RangeKey, list[Remark]] = DataLoader(self._load_remarks)
        self.changes: DataLoader[tuple[str, str, datetime], list[Change]] = DataLoader(
            self._load_changes
        )
        self.class_notices: DataLoader[StudentKey, list[ClassNotice]] = DataLoader(
            self._load_class_notices
        )
        self.meetings: DataLoader[StudentKey, list[Meeting]] = DataLoader(self._load_meetings)
        self.absence_notices: DataLoader[StudentKey, list[AbsenceNotice]] = DataLoader(
            self._load_absence_notices
        )
        self.roster: DataLoader[str, Roster] = DataLoader(self._load_rosters)
        self.terms: DataLoader[tuple[str, str], list[Term]] = DataLoader(self._load_terms)

    def _span(self, name: str) -> dict[str, Any]:
        return {"name": name, "tracer": self._context.tracer}

    async def _translate(self, error: AdapterError, region: str) -> GraphQLError:
        return await self._context.adapter_error(error, region=region)

    def _caller(self) -> Any:
        return self._context.require_caller()

    async def _load_profiles(self, regions: list[str]) -> list[Any]:
        caller = self._caller()

        async def fetch(region: str, members: list[str]) -> list[Any]:
            adapter = self._context.registry[region]
            return [await adapter.get_profile(caller)]

        return await _grouped(
            regions, lambda r: r, fetch, lambda r: r, self._translate, **self._span("profile")
        )

    async def _load_rosters(self, regions: list[str]) -> list[Any]:
        caller = self._caller()

        async def fetch(region: str, members: list[str]) -> list[Any]:
            return [await self._context.registry[region].get_roster(caller)]

        return await _grouped(
            regions, lambda r: r, fetch, lambda r: r, self._translate, **self._span("roster")
        )

    async def _load_terms(self, keys: list[tuple[str, str]]) -> list[Any]:
        caller = self._context.caller

        async def fetch(key: tuple[str, str], members: list[tuple[str, str]]) -> list[Any]:
            return [await self._context.registry[key[0]].get_terms(caller, key[1])]

        return await _grouped(
            keys, lambda k: k, fetch, lambda k: k[0], self._translate, **self._span("terms")
        )

    async def _load_schools(self, regions: list[str]) -> list[Any]:
        async def fetch(region: str, members: list[str]) -> list[Any]:
            return [await self._context.registry[region].list_schools()]

        # public data, no caller: a refusal here says nothing about the caller's session
        return await _grouped(regions, lambda r: r, fetch, lambda r: r, **self._span("schools"))

    async def _load_per_student(
        self,
        keys: list[StudentKey],
        call: Callable[[str, list[str]], Awaitable[Sequence[Any]]],
        name: str,
    ) -> list[Any]:
        """One adapter call per region for the students of ``keys``."""

        async def fetch(region: str, members: list[StudentKey]) -> Sequence[Any]:
            return await call(region, [sid for _, sid in members])

        return await _grouped(
            keys, lambda k: k[0], fetch, lambda r: r, self._translate, **self._span(name)
        )

    async def _load_students(self, keys: list[StudentKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_per_student(
            keys, lambda r, ids: self._context.registry[r].get_students(caller, ids), "students"
        )

    async def _load_class_notices(self, keys: list[StudentKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_per_student(
            keys,
            lambda r, ids: self._context.registry[r].get_class_notices(caller, ids),
            "class_notices",
        )

    async def _load_meetings(self, keys: list[StudentKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_per_student(
            keys, lambda r, ids: self._context.registry[r].get_meetings(caller, ids), "meetings"
        )

    async def _load_absence_notices(self, keys: list[StudentKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_per_student(
            keys,
            lambda r, ids: self._context.registry[r].get_absence_notices(caller, ids),
            "absence_notices",
        )

    async def _load_ranges(
        self,
        keys: list[RangeKey],
        call: Callable[[str, list[str], DateRange], Awaitable[Sequence[Any]]],
        name: str,
    ) -> list[Any]:
        async def fetch(group: tuple[str, date, date], members: list[RangeKey]) -> Sequence[Any]:
            region, start, end = group
            return await call(region, [k[1] for k in members], DateRange(start, end))

        return await _grouped(
            keys,
            lambda k: (k[0], k[2], k[3]),
            fetch,
            lambda g: g[0],
            self._translate,
            **self._span(name),
        )

    async def _load_diaries(self, keys: list[RangeKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_ranges(
            keys,
            lambda r, ids, days: self._context.registry[r].get_diaries(caller, ids, days),
            "diary",
        )

    async def _load_marks(self, keys: list[RangeKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_ranges(
            keys,
            lambda r, ids, days: self._context.registry[r].get_marks(caller, ids, days),
            "marks",
        )

    async def _load_remarks(self, keys: list[RangeKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_ranges(
            keys,
            lambda r, ids, days: self._context.registry[r].get_remarks(caller, ids, days),
            "remarks",
        )

    async def _load_progress(self, keys: list[RangeKey]) -> list[Any]:
        caller = self._caller()
        return await self._load_ranges(
            keys,
            lambda r, ids, days: self._context.registry[r].get_progress(caller, ids, days),
            "progress",
        )

    async def _load_changes(self, keys: list[tuple[str, str, datetime]]) -> list[Any]:
        caller = self._caller()

        async def fetch(
            group: tuple[str, datetime], members: list[tuple[str, str, datetime]]
        ) -> Sequence[Any]:
            region, since = group
            adapter = self._context.registry[region]
            return await adapter.get_changes(caller, [k[1] for k in members], since)

        return await _grouped(
            keys,
            lambda k: (k[0], k[2]),
            fetch,
            lambda g: g[0],
            self._translate,
            **self._span("changes"),
        )
