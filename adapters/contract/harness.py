"""What a contract harness offers, and how the plugin finds harnesses.

A *harness* starts one provider (its emulator, an in-memory stand-in or a replay of a
recording) on the **canonical scenario** and builds the adapter under test over it. Subclass
:class:`Harness`, or write any class with the same members (the in-tree harnesses of this
repository predate the base class and are plain classes of the same shape).

Required
    ``slug`` and ``region`` (class attributes: the adapter's slug, the region code);
    ``async start(clock) -> DiaryAdapter`` (serve the provider with every "now" taken from
    ``clock``, build the adapter with ``AdapterDeps(clock=clock, …)``, return it);
    ``async stop()``; ``caller(persona) -> Caller`` (the credentials the adapter gets for a
    persona: see :data:`PERSONAS`); ``canonical_student_id() -> str`` (the ``parent``'s child
    whose diary holds the canonical week, :mod:`diary_gateway_demo.seed.canonical`).

The seed world
    The provider must show the canonical week (13–17 October 2025 at the contract clock) in
    the diary of the canonical student, whom ``parent`` represents legally and
    ``parent-not-representative`` is linked to without representing. Staff personas see
    25 students in the teacher's group (``teacher_group_id()``); a harness whose provider is
    built from :class:`diary_gateway_demo.seed.World` exposes it as ``world`` and the roster
    and term checks compare against it (without ``world`` they are skipped).

Optional (a check that needs a missing one is skipped, saying which)
    ``personas`` (the personas the provider models; default :data:`PERSONAS`, all six
    roles: a parent-only region declares ``frozenset({"parent", …})``);
    ``canonical_child_name()`` (the canonical student's full name, «Фамилия Имя Отчество»;
    default: the demo regions' names, else from ``world``); ``teacher_group_id()``;
    ``set_fault(fault | None)`` (make every provider call fail as :class:`adapters.Fault`
    says, until cleared; declare ``supports_faults = False`` if you cannot);
    ``upstream_calls() -> int`` (requests the provider has served, token exchanges
    included); ``student_login() -> (school, login, password)`` for
    :attr:`Capability.SCHOOL_LOGIN`.

Which checks apply is decided by the adapter's declared ``capabilities`` and the harness's
``personas``: a check of the journal runs only for :attr:`Capability.JOURNAL`, one of staff
roles only for the staff personas the harness offers.
"""

from __future__ import annotations

import abc
import importlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar

from adapters.base import DiaryAdapter
from adapters.clock import Clock
from adapters.faults import Fault
from adapters.models import Caller
from adapters.registry import ADAPTERS, available_adapters

__all__ = [
    "HARNESS_ENTRY_POINT_GROUP",
    "PARENTS_CHILD",
    "PERSONAS",
    "Harness",
    "HarnessSpec",
    "find_harnesses",
    "harness_personas",
    "supports_faults",
]

HARNESS_ENTRY_POINT_GROUP = "diary_gateway.contract_harnesses"
"""Entry-point group of harnesses: ``slug = "package.module:Harness"`` (an out-of-tree
adapter registers its harness here beside its ``diary_gateway.adapters`` entry)."""

PERSONAS: frozenset[str] = frozenset(
    {
        "parent",
        "other-parent",
        "parent-not-representative",
        "student",
        "teacher",
        "class-teacher",
        "school-admin",
    }
)
"""Every persona the checks may ask for (a harness offers the ones its provider models)."""

PARENTS_CHILD = {
    "74": "Соколова Мария Андреевна",
    "11": "Соколов Илья Андреевич",
    "77": "Соколова Анна Андреевна",
}
"""The ``parent`` persona's child in each demo region's first class: siblings, not one name."""


class Harness(abc.ABC):
    """The standard harness (see the module docstring for every member's meaning)."""

    slug: ClassVar[str]
    region: ClassVar[str]
    personas: ClassVar[frozenset[str]] = PERSONAS
    supports_faults: ClassVar[bool] = True

    adapter: DiaryAdapter
    """The adapter under test (set by :meth:`start`)."""

    @abc.abstractmethod
    async def start(self, clock: Clock) -> DiaryAdapter:
        """Serve the provider on the canonical scenario at ``clock``; build the adapter."""

    async def stop(self) -> None:
        """Stop the provider; close the adapter."""
        adapter: DiaryAdapter | None = getattr(self, "adapter", None)
        if adapter is not None:
            await adapter.aclose()

    @abc.abstractmethod
    def caller(self, persona: str) -> Caller:
        """The caller the adapter sees for ``persona`` (national id, SSO token, …)."""

    @abc.abstractmethod
    def canonical_student_id(self) -> str:
        """The provider's id of the ``parent``'s child with the canonical week."""

    def canonical_child_name(self) -> str | None:
        """The canonical student's full name (``None``: not checked)."""
        return default_child_name(self)

    def teacher_group_id(self) -> str:
        """A group the ``teacher`` persona teaches (25 students)."""
        raise NotImplementedError

    def set_fault(self, fault: Fault | None) -> None:
        """Make every provider call fail as ``fault`` says (``None``: healthy again)."""
        raise NotImplementedError

    def upstream_calls(self) -> int:
        """Requests the provider has served so far."""
        raise NotImplementedError

    def student_login(self) -> tuple[str | None, str, str]:
        """A school login of the ``student`` persona: ``(school code, login, password)``."""
        raise NotImplementedError


def harness_personas(harness: Any) -> frozenset[str]:
    """The personas ``harness`` offers (every one unless it says otherwise)."""
    personas = getattr(harness, "personas", PERSONAS)
    return frozenset(personas)


def supports_faults(harness: Any) -> bool:
    return bool(getattr(harness, "supports_faults", True)) and callable(
        getattr(harness, "set_fault", None)
    )


def default_child_name(harness: Any) -> str | None:
    """The demo regions' canonical children, else the name the harness's world gives."""
    if harness.region in PARENTS_CHILD:
        return PARENTS_CHILD[harness.region]
    world = getattr(harness, "world", None)
    if world is None:
        return None
    person = world.students[world.canonical_student_id].person
    return " ".join(x for x in (person.last_name, person.first_name, person.middle_name) if x)


def child_name(harness: Any) -> str | None:
    method = getattr(harness, "canonical_child_name", None)
    if callable(method):
        name: str | None = method()
        return name
    return default_child_name(harness)


@dataclass(frozen=True, slots=True)
class HarnessSpec:
    """One harness to run the checks with: ``target`` is ``module:Class``."""

    slug: str
    target: str | None
    problem: str | None = None
    """Why there is no harness (the checks fail with it): an entry-point adapter without one."""

    @property
    def id(self) -> str:
        return self.slug

    def load(self) -> type[Any]:
        """The harness class."""
        if self.target is None:
            raise LookupError(self.problem or f"no contract harness for {self.slug!r}")
        module_name, _, attr = self.target.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module_name), attr or "Harness")
        return cls


def _module_exists(target: str) -> bool:
    """Whether the harness module exists (found, not imported: its errors show in its tests)."""
    try:
        return importlib.util.find_spec(target.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def find_harnesses(lines: Iterable[str], *, entry_point_adapters: bool = True) -> list[HarnessSpec]:
    """The harnesses to test, one per adapter slug, sorted by slug.

    ``lines`` are ``module:Class`` targets (the ini option ``contract_harnesses``); a line
    holding ``{slug}`` is tried for every available adapter (built-in and entry-point) and
    kept where that module exists, e.g. ``tests.adapters.harnesses.{slug}:Harness``. Then
    every harness registered in :data:`HARNESS_ENTRY_POINT_GROUP`. With
    ``entry_point_adapters``, an adapter registered by entry point that has no harness
    still gets a spec, which fails: an installed adapter is never silently untested.
    """
    found: dict[str, HarnessSpec] = {}
    slugs = sorted(available_adapters())
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if "{slug}" in line:
            for slug in slugs:
                target = line.replace("{slug}", slug)
                if slug not in found and _module_exists(target):
                    found[slug] = HarnessSpec(slug, target)
        else:
            slug = str(getattr(HarnessSpec("", line).load(), "slug", "")) or line
            found.setdefault(slug, HarnessSpec(slug, line))
    for ep in entry_points(group=HARNESS_ENTRY_POINT_GROUP):
        found.setdefault(ep.name, HarnessSpec(ep.name, ep.value))
    if entry_point_adapters:
        for slug in slugs:
            if slug not in ADAPTERS and slug not in found:
                found[slug] = HarnessSpec(
                    slug,
                    None,
                    f"adapter {slug!r} is installed by entry point but has no contract harness:"
                    f" register one in the {HARNESS_ENTRY_POINT_GROUP!r} entry-point group",
                )
    return [found[slug] for slug in sorted(found)]
