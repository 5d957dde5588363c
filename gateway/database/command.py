"""``diary-gateway migrate``: move the gateway's database to a revision (up or down)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from .engine import DEFAULT_DATABASE_URL, Database, head_revision, migrate

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    """Add ``migrate`` to the CLI's subcommands."""
    parser = sub.add_parser(
        "migrate",
        help="run the database migrations ([database] url): up to the newest, or --to REVISION",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", help="a `serve` config: its [database] url")
    source.add_argument("--url", help=f"a database URL (default: {DEFAULT_DATABASE_URL})")
    parser.add_argument(
        "--to",
        default="head",
        metavar="REVISION",
        help='"head" (default), a revision id such as 0001 (down or up to it), or "base" '
        "(undo every migration: drops the gateway's tables)",
    )
    parser.set_defaults(func=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    url = args.url or DEFAULT_DATABASE_URL
    if args.config is not None:
        from ..settings import SettingsError, load_settings_file

        try:
            url = load_settings_file(Path(args.config)).database.url
        except SettingsError as exc:
            print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
            return 2
    try:
        database = Database(url, migrate_on_start=False)
    except ValueError as exc:
        print(f"diary-gateway: bad database URL: expected {exc}", file=sys.stderr)
        return 2
    shown = database.url.render_as_string(hide_password=True)
    try:
        revision = asyncio.run(_run(database, args.to))
    except Exception as exc:  # noqa: BLE001 - unreachable database, unknown revision: one line
        print(f"diary-gateway: cannot migrate {shown}: {exc}", file=sys.stderr)
        return 1
    head = " (the newest)" if revision == head_revision() else ""
    print(f"{shown}: at revision {revision or 'none (empty)'}{head}")
    return 0


async def _run(database: Database, revision: str) -> str | None:
    try:
        return await migrate(database.engine, revision)
    finally:
        await database.aclose()
