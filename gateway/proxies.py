"""The client address, and the reverse proxies whose forwarded headers are believed.

``X-Forwarded-For`` and ``Forwarded`` are written by whoever sends the request: believed from
anyone, they let a client pick the address every per-address limit (requests, query cost,
sign-in attempts) counts against. ``[server] trusted_proxies`` lists the reverse proxies
(addresses or networks) that set them; the default is none, and then the address is always
the peer of the TCP connection.

When the peer is a trusted proxy, the client is the right-most address of the forwarded chain
that is not itself a trusted proxy (the left-most one when all are): everything to its left
was written by the client and is ignored. ``X-Forwarded-For`` wins over ``Forwarded`` when a
request carries both, as in uvicorn.

:class:`ClientAddressMiddleware` applies this to ``scope["client"]`` in front of everything
else; :func:`uvicorn_proxy_options` gives uvicorn the same list, so that its own proxy-header
handling (on by default for loopback peers) is off unless proxies are configured.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ClientAddressMiddleware", "TrustedProxies", "uvicorn_proxy_options"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_IPV4_WITH_PORT: Final = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$")
_BRACKETED: Final = re.compile(r"^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$")


def _address(text: str) -> str | None:
    """The IP address in a forwarded entry (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``…)."""
    value = text.strip().strip('"').strip()
    match = _IPV4_WITH_PORT.match(value) or _BRACKETED.match(value)
    if match:
        value = match.group(1)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


class TrustedProxies:
    """A set of addresses and networks (``"10.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"``)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries = [entry.strip() for entry in entries]
        self._networks: list[_Network] = [
            ipaddress.ip_network(entry, strict=False) for entry in self.entries
        ]

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str) or not self._networks:
            return False
        address = _address(host)
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self._networks)

    def client(self, peer: str, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The client address of a request whose TCP peer is ``peer``."""
        if peer not in self:
            return peer
        forwarded_for: list[str] = []
        forwarded: list[str] = []
        for name, value in headers:
            if name == b"x-forwarded-for":
                forwarded_for.extend(value.decode("latin-1").split(","))
            elif name == b"forwarded":
                forwarded.extend(_forwarded_for(value.decode("latin-1")))
        chain = forwarded_for or forwarded
        if not chain:
            return peer
        for entry in reversed(chain):
            address = _address(entry)
            if address is None:  # "unknown", an obfuscated name: the proxy does not know
                return peer
            if address not in self:
                return address
        return _address(chain[0]) or peer


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` values of an RFC 7239 ``Forwarded`` header, in order."""
    found: list[str] = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, item = pair.partition("=")
            if name.strip().lower() == "for":
                found.append(item)
    return found


class ClientAddressMiddleware:
    """Sets ``scope["client"]`` to the client address behind ``trusted_proxies``.

    Without trusted proxies it does nothing: the address is the connection's peer.
    """

    def __init__(self, app: ASGIApp, *, trusted_proxies: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = TrustedProxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if client:
                address = self.trusted.client(str(client[0]), scope.get("headers") or ())
                if address != client[0]:
                    scope["client"] = (address, 0)
        await self.app(scope, receive, send)


def uvicorn_proxy_options(trusted_proxies: Iterable[str]) -> dict[str, Any]:
    """uvicorn's ``proxy_headers``/``forwarded_allow_ips`` for ``[server] trusted_proxies``.

    uvicorn believes ``X-Forwarded-For`` from loopback peers unless told otherwise; these
    options make it believe exactly the configured proxies (nobody by default).
    """
    entries = [entry.strip() for entry in trusted_proxies]
    if not entries:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": entries}
