"""The cache codec: plain, type-tagged JSON, sealed with an HMAC bound to the Redis key.

Nothing read from Redis is ever unpickled or used to import a name. A value is written as
JSON of plain data, with a small set of tags for what JSON lacks, and the registered
dataclasses and enums named by a tag looked up in the codec's own registry:

==========================  =========================================================
value                       JSON
==========================  =========================================================
``None``, bool, int, float  as is (``NaN``/``Infinity`` as Python's ``json`` writes them)
str, list                   as is
tuple                       ``{"$T": [...]}``
dict (str keys)             ``{"$m": [[key, value], ...]}``
bytes                       ``{"$b": "<base64>"}``
date / time                 ``{"$d": "2025-03-03"}`` / ``{"$tm": "08:30:00"}``
datetime                    ``{"$dt": ["<ISO 8601>", "<IANA zone key>" or null, fold]}``
registered enum             ``{"$e": ["Role", "parent"]}``
registered dataclass        ``{"$t": "Mark", "<field>": value, ...}``
==========================  =========================================================

Anything else (an unregistered class, a dict with non-string keys) cannot be encoded: the
caller does not cache it. Decoding builds registered classes through their constructors
(so ``__post_init__`` checks run) and refuses unknown tags, classes and fields.

:meth:`Codec.seal` prefixes the JSON with ``dg1`` and an HMAC-SHA256 over the format,
the Redis key and the JSON, under a key derived from the gateway secret
(``keyring.derive("cache-hmac")``). :meth:`Codec.open` checks it in constant time before
parsing anything: a value written by anyone without the secret — a pickle, a copy of
another key's entry, a flipped byte — raises :class:`ForgedEntryError`.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from adapters import models

__all__ = [
    "ENTITY_TYPES",
    "Codec",
    "CodecError",
    "ForgedEntryError",
    "entity_codec",
]

MAGIC = b"dg1"
"""Format marker at the start of every sealed value (a new format gets a new marker)."""
_MAC_BYTES = 32

ENTITY_TYPES: tuple[type, ...] = (
    models.Absence,
    models.AbsenceNotice,
    models.AbsenceReason,
    models.Attachment,
    models.Bell,
    models.BellSchedule,
    models.Change,
    models.ChangeKind,
    models.Child,
    models.ClassNotice,
    models.ClassUnit,
    models.Correspondent,
    models.DateRange,
    models.Grade,
    models.Group,
    models.Homework,
    models.Journal,
    models.JournalLesson,
    models.Lesson,
    models.LoginMethod,
    models.Mark,
    models.MarkInput,
    models.MarkScale,
    models.Meeting,
    models.Message,
    models.MessageThread,
    models.OfficialAverage,
    models.Person,
    models.ProgressPoint,
    models.RegionProfile,
    models.Remark,
    models.RemarkKind,
    models.Role,
    models.RoleGrant,
    models.Roster,
    models.Rsvp,
    models.School,
    models.Student,
    models.Subject,
    models.SubjectProgress,
    models.Teacher,
    models.Term,
    models.Trend,
)
"""What the entity cache may hold: the adapter models. ``Caller`` and ``ProviderSession``
are left out on purpose — they carry tokens, which never go to a shared cache."""


class CodecError(ValueError):
    """A value cannot be encoded, or an authentic payload cannot be decoded."""


class ForgedEntryError(CodecError):
    """A cached value that this gateway's secret did not seal (forged, tampered, foreign)."""


class Codec:
    """Encodes registered dataclasses and enums (and plain data) as sealed JSON.

    ``key`` authenticates values (at least 32 bytes); ``types`` is the registry, keyed by
    class name — two registered classes may not share a name.
    """

    def __init__(self, key: bytes, types: Iterable[type]) -> None:
        if len(key) < 32:
            raise ValueError("the cache HMAC key must be at least 32 bytes")
        self._key = key
        self._classes: dict[str, type] = {}
        self._enums: dict[str, type[enum.Enum]] = {}
        self._fields: dict[type, tuple[str, ...]] = {}
        for cls in types:
            name = cls.__name__
            if name in self._classes or name in self._enums:
                raise ValueError(f"two registered types are named {name!r}")
            if isinstance(cls, type) and issubclass(cls, enum.Enum):
                self._enums[name] = cls
            elif dataclasses.is_dataclass(cls):
                self._classes[name] = cls
                self._fields[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
            else:
                raise TypeError(f"{cls!r} is neither a dataclass nor an enum")
        self._encoders: dict[type, Callable[[Any], Any]] = {
            tuple: lambda v: {"$T": [self._encode(x) for x in v]},
            list: lambda v: [self._encode(x) for x in v],
            dict: self._encode_dict,
            bytes: lambda v: {"$b": base64.b64encode(v).decode("ascii")},
            date: lambda v: {"$d": v.isoformat()},
            time: lambda v: {"$tm": v.isoformat()},
            datetime: _encode_datetime,
        }

    @property
    def types(self) -> tuple[type, ...]:
        """The registered classes."""
        return (*self._classes.values(), *self._enums.values())

    # -- sealing ---------------------------------------------------------------------------

    def seal(self, key: str, value: Any) -> bytes:
        """``value`` as authenticated bytes for the Redis key ``key``."""
        payload = self.dumps(value)
        return MAGIC + self._mac(key, payload) + payload

    def open(self, key: str, sealed: bytes) -> Any:
        """The value sealed for ``key``; :class:`ForgedEntryError` unless authentic."""
        head = len(MAGIC) + _MAC_BYTES
        if len(sealed) < head or not sealed.startswith(MAGIC):
            raise ForgedEntryError("not a sealed cache value")
        payload = sealed[head:]
        if not hmac.compare_digest(sealed[len(MAGIC) : head], self._mac(key, payload)):
            raise ForgedEntryError("cache value failed authentication")
        return self.loads(payload)

    def _mac(self, key: str, payload: bytes) -> bytes:
        mac = hmac.new(self._key, MAGIC + b"\0", hashlib.sha256)
        mac.update(key.encode("utf-8", "surrogatepass"))
        mac.update(b"\0")
        mac.update(payload)
        return mac.digest()

    # -- plain encoding (no authentication) ------------------------------------------------

    def dumps(self, value: Any) -> bytes:
        """``value`` as JSON bytes (:class:`CodecError` when it holds unregistered types)."""
        tree = self._encode(value)
        try:
            return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (providers' JSON may carry one)
            return json.dumps(tree, separators=(",", ":")).encode("ascii")

    def loads(self, payload: bytes) -> Any:
        """The value of JSON written by :meth:`dumps` (:class:`CodecError` otherwise)."""
        try:
            return json.loads(payload, object_hook=self._decode_object)
        except CodecError:
            raise
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise CodecError(f"undecodable cache value ({type(exc).__name__})") from None

    def _encode(self, value: Any) -> Any:
        if value is None or value.__class__ in _SCALARS:
            return value
        encoder = self._encoders.get(value.__class__)
        if encoder is not None:
            return encoder(value)
        cls: type = value.__class__
        names = self._fields.get(cls)
        if names is not None:
            out: dict[str, Any] = {"$t": cls.__name__}
            for name in names:
                out[name] = self._encode(getattr(value, name))
            return out
        if isinstance(value, enum.Enum) and self._enums.get(cls.__name__) is cls:
            return {"$e": [cls.__name__, value.value]}
        raise CodecError(f"cannot cache a {cls.__module__}.{cls.__qualname__}")

    def _encode_dict(self, value: dict[Any, Any]) -> Any:
        pairs = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise CodecError("cannot cache a dict with non-string keys")
            pairs.append([k, self._encode(v)])
        return {"$m": pairs}

    def _decode_object(self, obj: dict[str, Any]) -> Any:
        name = obj.pop("$t", None)
        if name is not None:
            cls = self._classes.get(name) if isinstance(name, str) else None
            if cls is None:
                raise CodecError("unknown class tag in cache value")
            return cls(**obj)
        if len(obj) != 1:
            raise CodecError("untagged object in cache value")
        ((tag, raw),) = obj.items()
        if tag == "$T":
            return tuple(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$dt":
            return _decode_datetime(raw)
        if tag == "$e":
            enum_name, enum_value = raw
            enum_cls = self._enums.get(enum_name)
            if enum_cls is None:
                raise CodecError("unknown enum tag in cache value")
            return enum_cls(enum_value)
        if tag == "$tm":
            return time.fromisoformat(raw)
        if tag == "$b":
            return base64.b64decode(raw, validate=True)
        if tag == "$m":
            return {str(k): v for k, v in raw}
        raise CodecError("unknown tag in cache value")


_SCALARS = frozenset({str, int, float, bool})


def _encode_datetime(value: datetime) -> Any:
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key is not None:
        # wall time, zone and fold: exactly the datetime that was stored
        return {"$dt": [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]}
    return {"$dt": [value.isoformat(), None, value.fold]}


def _decode_datetime(raw: Any) -> datetime:
    text, zone, fold = raw
    value = datetime.fromisoformat(text)
    if zone is not None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.replace(fold=fold) if fold else value


def entity_codec(key: bytes) -> Codec:
    """The entity cache's codec: the adapter models."""
    return Codec(key, ENTITY_TYPES)
