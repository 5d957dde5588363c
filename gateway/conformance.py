"""``diary-gateway conformance``: the contract's read-only checks against a live system.

    diary-gateway conformance --config FILE --region CODE [--record DIR]
                              [--week YYYY-MM-DD] [--student ID]

The region's adapter is built from ``[regions.CODE]`` of the config (the same file ``serve``
reads; only that table is needed) and runs the read-only live checks
(:mod:`adapters.contract.live`: profile, diary, marks, progress, an unknown student, the
changes feed, staff roles, a journal, terms) — nothing is written, no school login is tried.
Each check prints one line, ``NAME: passed|failed|skipped (why)``; the exit code is 0 when
none failed, 1 when one did, 2 for a bad config or missing credentials.

Credentials come from the environment, per persona (``parent`` is required; the others
turn on the checks that need them)::

    CONFORMANCE_PARENT_SUBJECT=<national id (SSO sub)>  CONFORMANCE_PARENT_SSO_TOKEN=<token>
    CONFORMANCE_TEACHER_SUBJECT=…  CONFORMANCE_TEACHER_SSO_TOKEN=…
    (also STUDENT, CLASS_TEACHER, SCHOOL_ADMIN: the persona's name in capitals, ``-`` → ``_``)

The week read is ``--week`` (its Monday; default the last full week in the region's time
zone) and the student the parent's first child unless ``--student``.

``--record DIR`` keeps every HTTP exchange the adapter makes (an httpx transport around the
shared client's) and writes ``DIR/<region>-<adapter>.json``, redacted of personal data before
it is written (:mod:`adapters.contract.cassette`): names, birth dates, comments, contacts,
logins, tokens and national ids become stable placeholders. ``pytest --replay DIR`` (the
contract plugin) replays it, so a region's recordings of its real system become tests.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters import (
    SYSTEM_CLOCK,
    AdapterDeps,
    Caller,
    Clock,
    DateRange,
    DirectRunner,
    get_adapter_class,
)
from adapters.contract.cassette import Cassette, RecordingTransport
from adapters.contract.harness import PERSONAS
from adapters.contract.live import LiveContext, LiveOutcome, last_full_week, run_live_checks

from .settings import RegionSettings, SettingsError, parse_settings
from .wiring import build_http_client, region_info

__all__ = ["ConformanceResult", "callers_from_env", "conformance_main", "run_conformance"]

ENV_PREFIX = "CONFORMANCE_"


def _env_name(persona: str, what: str) -> str:
    return f"{ENV_PREFIX}{persona.upper().replace('-', '_')}_{what}"


def callers_from_env(environ: Mapping[str, str]) -> dict[str, Caller]:
    """The personas whose credentials the environment names (see the module docstring)."""
    callers = {}
    for persona in sorted(PERSONAS):
        subject = environ.get(_env_name(persona, "SUBJECT"))
        token = environ.get(_env_name(persona, "SSO_TOKEN"))
        if subject or token:
            callers[persona] = Caller(person_id=subject or None, sso_token=token or None)
    return callers


@dataclasses.dataclass(frozen=True, slots=True)
class ConformanceResult:
    outcomes: list[LiveOutcome]
    cassette: Path | None

    @property
    def ok(self) -> bool:
        return all(o.status != "failed" for o in self.outcomes)


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


async def run_conformance(
    code: str,
    region: RegionSettings,
    callers: dict[str, Caller],
    *,
    week: DateRange,
    student_id: str | None = None,
    record: Path | None = None,
    clock: Clock = SYSTEM_CLOCK,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ConformanceResult:
    """Run the live checks on ``region``; with ``record``, write the redacted cassette."""
    cls = get_adapter_class(region.adapter)
    inner = transport or httpx.AsyncHTTPTransport()
    recorder = RecordingTransport(inner) if record is not None else None
    info = region_info(code, region)
    recorded_at = clock.now()
    async with build_http_client(transport=recorder or inner) as http:
        adapter = cls(
            region=info,
            config=region.adapter_config,
            deps=AdapterDeps(http=http, runner=DirectRunner(timeout=30.0), clock=clock),
        )
        ctx = LiveContext(adapter=adapter, callers=callers, week=week, student_id=student_id)
        try:
            outcomes = await run_live_checks(ctx)
        finally:
            await adapter.aclose()
    path = None
    if recorder is not None and record is not None:
        config = region.adapter_config
        cassette = Cassette.redacted(
            region={
                "code": code,
                "name": region.name,
                "timezone": str(region.timezone),
                "diary_url": region.diary_url,
            },
            adapter=region.adapter,
            config={k: _plain(v) for k, v in dataclasses.asdict(config).items()}
            if dataclasses.is_dataclass(config) and not isinstance(config, type)
            else {},
            personas={
                name: {"person_id": c.person_id, "sso_token": c.sso_token}
                for name, c in callers.items()
            },
            student_id=ctx.student_id,
            week=week.start,
            interactions=recorder.interactions,
            results={o.name: o.status for o in outcomes},
            recorded_at=recorded_at,
        )
        path = cassette.save(record)
    return ConformanceResult(outcomes, path)


def _monday(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date such as 2025-10-13, got {text!r}"
        ) from None
    return day - timedelta(days=day.weekday())


def add_parser(sub: Any) -> None:
    """The ``conformance`` subcommand."""
    parser = sub.add_parser(
        "conformance",
        help="run the adapter contract's read-only checks against a live region system",
        description="Credentials: CONFORMANCE_<PERSONA>_SUBJECT and CONFORMANCE_<PERSONA>"
        "_SSO_TOKEN in the environment (PARENT required; TEACHER, STUDENT, CLASS_TEACHER, "
        "SCHOOL_ADMIN optional).",
    )
    parser.add_argument("--config", required=True, help="a `serve` config (its [regions.CODE])")
    parser.add_argument("--region", required=True, help="the region code, e.g. 77")
    parser.add_argument(
        "--record", metavar="DIR", help="write the redacted exchanges as a cassette in DIR"
    )
    parser.add_argument(
        "--week", type=_monday, help="a day of the week to read (default: the last full week)"
    )
    parser.add_argument("--student", help="the student to read (default: the parent's first)")
    parser.set_defaults(func=conformance_main)


def conformance_main(args: argparse.Namespace) -> int:
    """Run ``diary-gateway conformance``."""
    try:
        data = tomllib.loads(Path(args.config).read_text(encoding="utf-8"))
        settings = parse_settings(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"diary-gateway: bad config: {args.config}: {exc}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
        return 2
    region = settings.regions.get(args.region)
    if region is None:
        known = ", ".join(sorted(settings.regions)) or "none"
        print(
            f"diary-gateway: no region {args.region!r} in {args.config} ({known})", file=sys.stderr
        )
        return 2
    callers = callers_from_env(os.environ)
    if "parent" not in callers:
        print(
            f"diary-gateway: conformance needs the parent's credentials: set "
            f"{_env_name('parent', 'SUBJECT')} and {_env_name('parent', 'SSO_TOKEN')}",
            file=sys.stderr,
        )
        return 2
    today = SYSTEM_CLOCK.today(region.timezone)
    week = (
        DateRange(args.week, args.week + timedelta(days=6)) if args.week else last_full_week(today)
    )
    result = asyncio.run(
        run_conformance(
            args.region,
            region,
            callers,
            week=week,
            student_id=args.student,
            record=Path(args.record) if args.record else None,
        )
    )
    for outcome in result.outcomes:
        print(outcome.line())
    if result.cassette is not None:
        print(f"recorded (redacted): {result.cassette}")
    return 0 if result.ok else 1
