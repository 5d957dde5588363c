"""Acknowledgement receipts: signed by the gateway, verifiable by anyone holding one.

A receipt is a compact JWS (ES256) over the claims of one acknowledgement: the student's
canonical id and region, the week (its Monday), the week's content hash, the region's own id
of the parent (never the national id), when, and a receipt id. The signing keys live in the
gateway's database (:class:`gateway.database.ReceiptKeys`), shared by every instance: the
public halves are published at ``/.well-known/jwks.json``, the private halves are sealed
(AES-GCM) under the ``receipt-keys`` key derived from the gateway secret. The newest key that
is not retired signs; :meth:`ReceiptIssuer.rotate` adds a new one and retires the others,
which stay published so that the receipts they signed keep verifying.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from adapters import SYSTEM_CLOCK, Clock
from schema.receipts import IssuedReceipt, ReceiptCheck

from .database import Database, ReceiptKeys, ReceiptRecord, Receipts, StoredKey
from .keyring import Keyring

__all__ = ["RECEIPT_ISSUER", "RECEIPT_JWKS_PATH", "RECEIPT_TYPE", "ReceiptIssuer", "add_parser"]

RECEIPT_ISSUER: Final = "diary-gateway"
"""The receipts' ``iss`` claim."""
RECEIPT_JWKS_PATH: Final = "/.well-known/jwks.json"
"""Where the gateway publishes its receipt keys."""
RECEIPT_TYPE: Final = "diary-receipt+jwt"
"""The receipts' ``typ`` header."""
KEYS_TTL_SECONDS: Final = 60.0
"""How long an instance trusts its copy of the key set (a rotation elsewhere shows up)."""


@dataclass(frozen=True, slots=True)
class _Keys:
    signing: ECKey
    public: KeySet
    document: dict[str, Any]
    loaded_at: float


class ReceiptIssuer:
    """Signs receipts, verifies them, and keeps them (with their keys) in the database."""

    def __init__(self, database: Database, keyring: Keyring, *, clock: Clock = SYSTEM_CLOCK):
        self.keys = ReceiptKeys(database)
        self.receipts = Receipts(database)
        self._seal = AESGCM(keyring.derive("receipt-keys"))
        self.clock = clock
        self._cached: _Keys | None = None
        self._lock = asyncio.Lock()

    # -- keys ------------------------------------------------------------------------------

    def _sealed(self, key: ECKey) -> str:
        nonce = secrets.token_bytes(12)
        private = json.dumps(key.as_dict(private=True)).encode("utf-8")
        sealed = self._seal.encrypt(nonce, private, key.thumbprint().encode("ascii"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _unsealed(self, stored: StoredKey) -> ECKey:
        raw = base64.urlsafe_b64decode(stored.sealed_private_jwk)
        private = self._seal.decrypt(raw[:12], raw[12:], stored.kid.encode("ascii"))
        return ECKey.import_key(json.loads(private))

    def _new_key(self) -> StoredKey:
        key = ECKey.generate_key("P-256", private=True)
        kid = key.thumbprint()
        public = key.as_dict(private=False, kid=kid, alg="ES256", use="sig")
        return StoredKey(
            kid=kid,
            public_jwk=json.dumps(dict(public), sort_keys=True),
            sealed_private_jwk=self._sealed(key),
            created_at=self.clock.timestamp(),
            retired_at=None,
        )

    async def rotate(self) -> str:
        """Add a new signing key and retire the others (still published); the new ``kid``."""
        key = self._new_key()
        await self.keys.add(key, retire_others_at=key.created_at)
        self._cached = None
        return key.kid

    async def _load(self, *, fresh: bool = False) -> _Keys:
        cached = self._cached
        now = self.clock.timestamp()
        if cached is not None and not fresh and now - cached.loaded_at < KEYS_TTL_SECONDS:
            return cached
        async with self._lock:
            stored = await self.keys.all()
            if not any(k.retired_at is None for k in stored):
                first = self._new_key()  # the first start: a key of our own
                await self.keys.add(first)
                stored = await self.keys.all()
            active = [k for k in stored if k.retired_at is None]
            signer = max(active, key=lambda k: (k.created_at, k.kid))
            documents = [json.loads(k.public_jwk) for k in stored]
            self._cached = _Keys(
                signing=self._unsealed(signer),
                public=KeySet.import_key_set({"keys": documents}),
                document={"keys": documents},
                loaded_at=now,
            )
            return self._cached

    async def jwks(self) -> dict[str, Any]:
        """The public key set to publish at ``/.well-known/jwks.json`` (read afresh: a key
        another instance or ``rotate-receipt-key`` added is published at once)."""
        return (await self._load(fresh=True)).document

    # -- receipts --------------------------------------------------------------------------

    async def issue(
        self, *, region: str, student: str, week_of: date, content_hash: str, parent: str
    ) -> IssuedReceipt:
        """Sign and keep a receipt for one acknowledgement."""
        keys = await self._load()
        now = self.clock.timestamp()
        receipt_id = secrets.token_hex(16)
        claims = {
            "iss": RECEIPT_ISSUER,
            "jti": receipt_id,
            "iat": int(now),
            "region": region,
            "student": student,
            "weekOf": week_of.isoformat(),
            "contentHash": content_hash,
            "parent": parent,
        }
        kid = keys.signing.thumbprint()
        header = {"alg": "ES256", "kid": kid, "typ": RECEIPT_TYPE}
        payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8")
        compact = jws.serialize_compact(header, payload, keys.signing, algorithms=["ES256"])
        record = ReceiptRecord(
            id=receipt_id,
            region=region,
            student=student,
            week_of=week_of,
            content_hash=content_hash,
            parent=parent,
            issued_at=float(int(now)),
            kid=kid,
            jws=compact,
        )
        await self.receipts.add(record)
        return _issued(record)

    async def verify(self, compact: str) -> ReceiptCheck:
        """Whether ``compact`` is a receipt this gateway signed, and what it says."""
        try:
            header = json.loads(_b64decode(compact.split(".")[0]))
            kid = header.get("kid") if isinstance(header, dict) else None
        except (ValueError, IndexError):
            return ReceiptCheck(is_valid=False, reason="not a compact JWS")
        if not isinstance(kid, str) or header.get("typ") != RECEIPT_TYPE:
            return ReceiptCheck(is_valid=False, reason="not a receipt of this gateway")
        keys = await self._load()
        if not _has(keys.public, kid):
            keys = await self._load(fresh=True)  # rotated on another instance meanwhile?
            if not _has(keys.public, kid):
                return ReceiptCheck(is_valid=False, reason="signed by a key this gateway never had")
        try:
            verified = jws.deserialize_compact(compact, keys.public, algorithms=["ES256"])
            claims = json.loads(verified.payload)
            receipt = IssuedReceipt(
                id=str(claims["jti"]),
                region=str(claims["region"]),
                student=str(claims["student"]),
                week_of=date.fromisoformat(str(claims["weekOf"])),
                content_hash=str(claims["contentHash"]),
                parent=str(claims["parent"]),
                acknowledged_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
                key_id=kid,
                jws=compact,
            )
        except (JoseError, ValueError, KeyError, TypeError):
            return ReceiptCheck(is_valid=False, reason="the signature does not match")
        return ReceiptCheck(is_valid=True, reason=None, receipt=receipt)

    async def for_students(
        self, region: str, students: list[str], start: date, end: date
    ) -> list[IssuedReceipt]:
        """The receipts of ``students`` for weeks starting within ``start``–``end``."""
        rows = await self.receipts.for_students(region, students, start, end)
        return [_issued(r) for r in rows]


def _has(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _issued(record: ReceiptRecord) -> IssuedReceipt:
    return IssuedReceipt(
        id=record.id,
        region=record.region,
        student=record.student,
        week_of=record.week_of,
        content_hash=record.content_hash,
        parent=record.parent,
        acknowledged_at=datetime.fromtimestamp(record.issued_at, UTC),
        key_id=record.kid,
        jws=record.jws,
    )


def add_parser(sub: Any) -> None:
    """Add ``rotate-receipt-key`` to the CLI's subcommands."""
    parser = sub.add_parser(
        "rotate-receipt-key",
        help="add a new acknowledgement-receipt signing key; the old ones stop signing and "
        "stay published (every instance picks it up within a minute)",
    )
    parser.add_argument("--config", required=True, help="a `serve` config ([database] url)")
    parser.set_defaults(func=_rotate_command)


def _rotate_command(args: Any) -> int:
    import sys
    from pathlib import Path

    from .settings import SettingsError, load_settings_file

    try:
        settings = load_settings_file(Path(args.config))
        keyring = Keyring.load_or_create(Path(settings.server.secret_key_file))
    except SettingsError as exc:
        print(f"diary-gateway: bad config: {exc}", file=sys.stderr)
        return 2

    async def rotate() -> str:
        database = Database(settings.database.url, migrate_on_start=True)
        try:
            return await ReceiptIssuer(database, keyring).rotate()
        finally:
            await database.aclose()

    print(f"receipts are now signed with key {asyncio.run(rotate())}")
    return 0
