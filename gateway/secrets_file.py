"""Creating a secret file (a signing key) once, privately, even when instances race."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
from pathlib import Path

__all__ = ["create_secret_file", "read_or_create_secret"]


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


logger = logging.getLogger("gateway.secrets")


def read_or_create_secret(path: Path, *, min_bytes: int, what: str) -> bytes:
    """The secret kept in ``path`` as one line of unpadded base64url, created if missing.

    Creation writes ``min_bytes`` random bytes with mode 0600 (:func:`create_secret_file`);
    a file readable by others is used but logged. ``what`` names the secret in messages.
    """
    if not path.exists():
        content = base64.urlsafe_b64encode(secrets.token_bytes(min_bytes)).rstrip(b"=")
        create_secret_file(path, content + b"\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("%s %s is readable by others (mode %o)", what, path, mode)
    text = path.read_text(encoding="ascii").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{path}: expected a base64url {what}") from error
    if len(raw) < min_bytes:
        raise ValueError(f"{path}: expected at least {min_bytes} bytes of {what}")
    return raw
