"""Creating a secret file (a signing key) once, privately, even when instances race."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["create_secret_file"]


def create_secret_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` with mode 0600 unless the file already exists.

    The content goes to a private temporary file first and is then hard-linked into place:
    a link never replaces an existing file, so when two processes race, the first key wins
    and both load it. The parent folder is created with mode 0700.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
