"""Cassettes: a region's HTTP exchanges, recorded redacted, replayed to its adapter.

:class:`RecordingTransport` wraps the httpx transport of the client an adapter is given
(``AdapterDeps.http``) and keeps every exchange in memory; :meth:`Cassette.redacted` then
rewrites them **before anything is written**: names, birth dates, comments, contacts,
logins, tokens and national ids become stable placeholders (the same value, the same
placeholder everywhere: ``Name-3``, ``1900-01-04``, ``comment-2``, ``token-1``,
``national-id-1``), found by JSON key and then by value wherever else the same value
appears (a full name in a ``name`` field, a token in a URL); keys that end in a name key
(``hometeacher_firstname``) or a comment key (``markComment``, whose object's strings all
go), keys holding ``phone`` or ``email``, and the other words of a full name one word of
which is known (a teacher's «Фамилия Имя Отчество» in a lesson) count too. Shapes stay: a
string stays a string, a date a date, and keys keep the order they were answered in. Of
request headers only the credential ones are kept, redacted (``authorization=Bearer
token-1``: they tell two personas' requests apart); of response headers only
``Content-Type`` and ``Retry-After``.

:class:`ReplayTransport` answers an adapter from a cassette: by method, path and query
and credential headers (scheme and host ignored; without the credentials when no request of
that caller was recorded), the n-th identical request getting the n-th recorded answer
(then the last again); a request the cassette lacks is answered 599 and listed in
``misses``.

File format (JSON, UTF-8)::

    {"version": 1, "region": {"code", "name", "timezone", "diary_url"}, "adapter": "moscow",
     "config": {...the adapter's settings, secrets and URLs replaced...},
     "personas": {"parent": {"person_id": "national-id-1", "sso_token": "token-1"}, ...},
     "student_id": "...", "week": "2025-10-13",
     "results": {"profile": "passed", "journal": "skipped", ...}, "recorded_at": "…",
     "interactions": [{"request": {"method", "path", "query", "body"},
                       "response": {"status", "headers", "body"}}]}
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "CASSETTE_VERSION",
    "Cassette",
    "Interaction",
    "RecordingTransport",
    "Redactor",
    "ReplayTransport",
]

CASSETTE_VERSION = 1

_NAME_KEYS = {
    "last_name",
    "first_name",
    "middle_name",
    "lastname",
    "firstname",
    "middlename",
    "surname",
    "patronymic",
    "full_name",
    "fullname",
    "fio",
    "user_name",
    "username",
    "teacher_name",
    "student_name",
    "parent_name",
}
_NAME_ENDINGS = (
    *("firstname", "lastname", "middlename", "first_name", "last_name", "middle_name"),
    *("surname", "patronymic", "full_name", "fullname"),
)
"""Any key ending in one of these holds a name too (``hometeacher_firstname``)."""
_DATE_KEYS = {"birth_date", "date_of_birth", "birthdate", "birthday", "dob", "born"}
_COMMENT_KEYS = {"comment", "comments", "remark", "note", "notes", "teacher_comment"}
_CONTACT_KEYS = {"phone", "phones", "mobile", "email", "emails", "login", "address_home"}
_CONTACT_PARTS = ("phone", "email")
"""Any key holding one of these is a contact too (``mobilePhone``, ``parent_email``)."""
_SECRET_PARTS = (
    *("token", "password", "secret", "snils", "national_id", "passport", "inn"),
    *("devkey", "api_key", "apikey"),  # an integrator's key (ЭлЖур's devkey)
)
_NAME_WORD = re.compile(r"[А-ЯЁA-Z][а-яёa-z]+(?:-[А-ЯЁA-Z][а-яёa-z]+)?")
"""One part of a person's name (``Анна``, ``Петрова-Водкина``)."""
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEEP_HEADERS = ("content-type", "retry-after")
_AUTH_HEADERS = ("authorization", "auth-token", "x-auth-token", "x-api-key", "cookie", "at")
"""Credential headers (``at``: «Сетевой город»'s session token)."""


def _is_comment(key: str) -> bool:
    return key in _COMMENT_KEYS or key.endswith(("comment", "comments"))


def _is_name(key: str) -> bool:
    return key in _NAME_KEYS or key.endswith(_NAME_ENDINGS)


def _is_contact(key: str) -> bool:
    return key in _CONTACT_KEYS or any(part in key for part in _CONTACT_PARTS)


@dataclass
class Interaction:
    """One exchange; bodies are decoded JSON where they parse, else text (or ``None``)."""

    method: str
    path: str
    query: str
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any
    auth: str = ""
    """The request's credential headers, ``name=value; …`` (redacted: ``Bearer token-1``):
    which caller asked, so that two personas' identical requests get their own answers."""

    def key(self) -> tuple[str, str, str, str]:
        return (self.method, self.path, self.query, self.auth)

    def to_json(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "body": self.request_body,
                "auth": self.auth,
            },
            "response": {"status": self.status, "headers": self.headers, "body": self.body},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interaction:
        request, response = data["request"], data["response"]
        return cls(
            method=request["method"],
            path=request["path"],
            query=request.get("query", ""),
            request_body=request.get("body"),
            status=int(response["status"]),
            headers=dict(response.get("headers", {})),
            body=response.get("body"),
            auth=request.get("auth", ""),
        )


def _decode(content: bytes) -> Any:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return {"text": text}


def _auth(request: httpx.Request) -> str:
    return "; ".join(
        f"{k.lower()}={v}" for k, v in sorted(request.headers.items()) if k.lower() in _AUTH_HEADERS
    )


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False).encode()
    return str(body["text"]).encode()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner`` and keeps every exchange (raw, in memory only)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.interactions: list[Interaction] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        headers = {k: v for k, v in response.headers.items() if k.lower() in _KEEP_HEADERS}
        self.interactions.append(
            Interaction(
                method=request.method,
                path=request.url.path,
                query=request.url.query.decode(),
                request_body=_decode(content),
                status=response.status_code,
                headers=headers,
                body=_decode(body),
                auth=_auth(request),
            )
        )
        return httpx.Response(response.status_code, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers requests from recorded interactions (see the module docstring)."""

    def __init__(self, interactions: Iterable[Interaction]) -> None:
        self._answers: dict[tuple[str, str, str, str], list[Interaction]] = defaultdict(list)
        for interaction in interactions:
            self._answers[interaction.key()].append(interaction)
            self._answers[(*interaction.key()[:3], "*")].append(interaction)
        self._served: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.misses: list[str] = []
        self.answered = 0
        """How many requests were answered from the recording."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path, request.url.query.decode(), _auth(request))
        answers = self._answers.get(key)
        if not answers:  # asked by another caller when recorded (e.g. a cached school's info)
            key = (*key[:3], "*")
            answers = self._answers.get(key)
        if not answers:
            self.misses.append(" ".join(x for x in key if x))
            return httpx.Response(599, text="not in the cassette")
        index = min(self._served[key], len(answers) - 1)
        self._served[key] += 1
        self.answered += 1
        found = answers[index]
        return httpx.Response(found.status, headers=found.headers, content=_encode(found.body))


class Redactor:
    """Stable placeholders for personal data (see the module docstring)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._counts: dict[str, int] = defaultdict(int)
        self._pattern: re.Pattern[str] | None = None

    def _placeholder(self, kind: str, value: str, make: Callable[[int], str]) -> str:
        if value in self._values:
            return self._values[value]
        self._counts[kind] += 1
        placeholder = make(self._counts[kind])
        self._values[value] = placeholder
        self._pattern = None
        return placeholder

    def known(self, value: str, kind: str) -> str:
        """Register ``value`` (a national id, a token) and return its placeholder."""
        if not value:
            return value
        return self._placeholder(kind, value, lambda n: f"{kind}-{n}")

    def _name(self, value: str) -> str:
        parts = re.split(r"(\s+)", value)
        return "".join(
            p if not p.strip() else self._placeholder("name", p, lambda n: f"Name-{n}")
            for p in parts
        )

    def _date(self, value: str) -> str:
        head = value[:10]
        if not _ISO_DATE.fullmatch(head):
            return self._placeholder("comment", value, lambda n: f"comment-{n}")
        new = self._placeholder(
            "date", head, lambda n: (date(1900, 1, 1) + timedelta(days=n - 1)).isoformat()
        )
        return new + value[10:]

    def _by_key(self, key: str, value: Any) -> Any:
        """The placeholder of a value under a personal ``key`` (``None``: not personal)."""
        k = key.lower()
        if isinstance(value, str) and value:
            if _is_name(k):
                return self._name(value)
            if k in _DATE_KEYS:
                return self._date(value)
            if _is_comment(k):
                return self._placeholder("comment", value, lambda n: f"comment-{n}")
            if _is_contact(k):
                return self._placeholder("contact", value, lambda n: f"contact-{n}")
            if any(part in k for part in _SECRET_PARTS):
                kind = "token" if "token" in k else "national-id"
                return self._placeholder(kind, value, lambda n: f"{kind}-{n}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if _is_contact(k) or any(p in k for p in _SECRET_PARTS if p != "token"):
                return 0
        elif isinstance(value, list) and (_is_contact(k) or _is_name(k)):
            return [self._by_key(key, v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, dict) and _is_comment(k):  # {"id": …, "name": "<the comment>"}
            return {
                name: self._placeholder("comment", v, lambda n: f"comment-{n}")
                if isinstance(v, str) and v
                else v
                for name, v in value.items()
            }
        return None

    def collect_full_names(self, tree: Any) -> bool:
        """Learn the other parts of full names one part of which is known (``«Фамилия Имя
        Отчество»`` under a key that says nothing, a teacher's name in a lesson); whether
        anything new was learned (run again until not)."""
        learned = False
        if isinstance(tree, dict):
            for value in tree.values():
                learned = self.collect_full_names(value) or learned
        elif isinstance(tree, list):
            for item in tree:
                learned = self.collect_full_names(item) or learned
        elif isinstance(tree, str):
            words = tree.split()
            if (
                2 <= len(words) <= 4
                and all(_NAME_WORD.fullmatch(w) for w in words)
                and any(self._values.get(w, "").startswith("Name-") for w in words)
            ):
                for word in words:
                    if word not in self._values:
                        self._name(word)
                        learned = True
        return learned

    def collect(self, tree: Any) -> None:
        """First pass: learn every personal value in ``tree``."""
        if isinstance(tree, dict):
            for key, value in tree.items():
                if self._by_key(str(key), value) is None:
                    self.collect(value)
        elif isinstance(tree, list):
            for item in tree:
                self.collect(item)
        elif isinstance(tree, str):
            for token in _JWT.findall(tree):
                self.known(token, "token")
            for email in _EMAIL.findall(tree):
                self._placeholder("contact", email, lambda n: f"contact-{n}")

    def text(self, value: str) -> str:
        """``value`` with every known personal value in it replaced."""
        if not self._values:
            return value
        if self._pattern is None:
            words = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile(
                "|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words if len(w) >= 2)
            )
        return self._pattern.sub(lambda m: self._values[m.group(0)], value)

    def rewrite(self, tree: Any) -> Any:
        """Second pass: ``tree`` with personal values replaced, its shape kept."""
        if isinstance(tree, dict):
            out: dict[str, Any] = {}
            for key, value in tree.items():
                replaced = self._by_key(str(key), value)
                out[key] = self.rewrite(value) if replaced is None else replaced
            return out
        if isinstance(tree, list):
            return [self.rewrite(item) for item in tree]
        if isinstance(tree, str):
            return self.text(tree)
        return tree


@dataclass
class Cassette:
    """A region's recorded, redacted conversation (see the module docstring)."""

    region: dict[str, str]
    adapter: str
    config: dict[str, Any]
    personas: dict[str, dict[str, str | None]]
    student_id: str | None
    week: date
    interactions: list[Interaction]
    results: dict[str, str] = field(default_factory=dict)
    recorded_at: datetime | None = None
    """The adapter's "now" while recording (a replay runs at the same instant)."""

    @classmethod
    def redacted(
        cls,
        *,
        region: dict[str, str],
        adapter: str,
        config: dict[str, Any],
        personas: dict[str, dict[str, str | None]],
        student_id: str | None,
        week: date,
        interactions: list[Interaction],
        results: dict[str, str],
        recorded_at: datetime | None = None,
    ) -> Cassette:
        """A cassette of raw ``interactions`` with every personal value replaced."""
        redactor = Redactor()
        for persona in personas.values():
            if persona.get("person_id"):
                redactor.known(str(persona["person_id"]), "national-id")
            if persona.get("sso_token"):
                redactor.known(str(persona["sso_token"]), "token")
        for item in interactions:
            redactor.collect(item.request_body)
            redactor.collect(item.body)
            redactor.collect(item.query)
            for header in filter(None, item.auth.split("; ")):
                value = header.partition("=")[2]
                redactor.known(value.split(" ", 1)[-1], "token")
        while any([redactor.collect_full_names(item.body) for item in interactions]):
            pass
        for key, value in config.items():
            if isinstance(value, str) and any(p in key.lower() for p in _SECRET_PARTS):
                redactor.known(value, "secret")
        clean_config = {
            k: ("https://provider.invalid" if k.endswith("url") else redactor.rewrite(v))
            for k, v in config.items()
        }
        return cls(
            region=dict(region),
            adapter=adapter,
            config=clean_config,
            personas={
                name: {k: redactor.text(v) if v else v for k, v in creds.items()}
                for name, creds in personas.items()
            },
            student_id=redactor.text(student_id) if student_id else student_id,
            week=week,
            interactions=[
                Interaction(
                    method=item.method,
                    path=redactor.text(item.path),
                    query=redactor.text(item.query),
                    request_body=redactor.rewrite(item.request_body),
                    status=item.status,
                    headers=item.headers,
                    body=redactor.rewrite(item.body),
                    auth=redactor.text(item.auth),
                )
                for item in interactions
            ],
            results=dict(results),
            recorded_at=recorded_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CASSETTE_VERSION,
            "region": self.region,
            "adapter": self.adapter,
            "config": self.config,
            "personas": self.personas,
            "student_id": self.student_id,
            "week": self.week.isoformat(),
            "results": self.results,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "interactions": [i.to_json() for i in self.interactions],
        }

    def save(self, directory: Path) -> Path:
        """Write ``<region>-<adapter>.json`` in ``directory``; return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.region['code']}-{self.adapter}.json"
        # keys in the order recorded: an answer's order can carry meaning (ЭлЖур's groups)
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Cassette:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CASSETTE_VERSION:
            raise ValueError(f"{path}: cassette version {data.get('version')!r} is not supported")
        return cls(
            region=data["region"],
            adapter=data["adapter"],
            config=data["config"],
            personas=data["personas"],
            student_id=data.get("student_id"),
            week=date.fromisoformat(data["week"]),
            interactions=[Interaction.from_json(i) for i in data["interactions"]],
            results=dict(data.get("results", {})),
            recorded_at=datetime.fromisoformat(data["recorded_at"])
            if data.get("recorded_at")
            else None,
        )
