"""The capability matrix of the built-in adapters, generated into README.md.

``diary-gateway capabilities --markdown`` prints it from each adapter's declared
``capabilities``, ``login_methods`` and ``diary_system`` (:data:`adapters.registry.ADAPTERS`);
``--write README.md`` puts it between the README's marker comments and ``--check README.md``
exits 1 when the README's table is not what the generator prints
(``tests/gateway/test_capability_matrix.py`` runs the check).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adapters.capabilities import Capability
from adapters.models import LoginMethod
from adapters.registry import ADAPTERS, get_adapter_class

__all__ = ["END", "START", "matrix_markdown", "replace_matrix"]

START = "<!-- capabilities:start (generated: diary-gateway capabilities --write README.md) -->"
END = "<!-- capabilities:end -->"
_YES = "✓"
_LOGINS = {LoginMethod.NATIONAL_SSO: "national SSO", LoginMethod.SCHOOL_LOGIN: "school login"}


def matrix_markdown() -> str:
    """The table: one column per built-in adapter, one row per capability and sign-in."""
    classes = [get_adapter_class(slug) for slug in sorted(ADAPTERS)]
    lines = [
        "| | " + " | ".join(f"`{cls.slug}`" for cls in classes) + " |",
        "| --- |" + " :-: |" * len(classes),
        "| system | " + " | ".join(cls.diary_system for cls in classes) + " |",
    ]
    for capability in Capability:
        marks = (_YES if capability in cls.capabilities else "" for cls in classes)
        lines.append(f"| `{capability.value}` | " + " | ".join(marks) + " |")
    for method, name in _LOGINS.items():
        marks = (_YES if method in cls.login_methods else "" for cls in classes)
        lines.append(f"| sign-in: {name} | " + " | ".join(marks) + " |")
    return "\n".join(line.replace("|  |", "| |") for line in lines) + "\n"


def replace_matrix(text: str, matrix: str) -> str:
    """``text`` with ``matrix`` between the marker lines (``ValueError`` without them)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START!r} … {END!r} markers")
    return text[: start + len(START)] + "\n" + matrix + text[end:]


def add_parser(sub: Any) -> None:
    """The ``capabilities`` subcommand."""
    parser = sub.add_parser("capabilities", help="print the adapters' capability matrix")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--markdown", action="store_true", help="print the Markdown table (the default)"
    )
    action.add_argument("--write", metavar="FILE", help="put the table between FILE's markers")
    action.add_argument(
        "--check", metavar="FILE", help="exit 1 if FILE's table is not the generated one"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    matrix = matrix_markdown()
    target = args.write or args.check
    if target is None:
        print(matrix, end="")
        return 0
    path = Path(target)
    text = path.read_text(encoding="utf-8")
    try:
        wanted = replace_matrix(text, matrix)
    except ValueError as exc:
        print(f"diary-gateway: {path}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if wanted != text:
            print(
                f"diary-gateway: {path}: the capability matrix is stale; run "
                f"`diary-gateway capabilities --write {path}`",
                file=sys.stderr,
            )
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    return 0
