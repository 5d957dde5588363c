"""Settings of an ЭлЖур region (the ``[regions.CODE]`` keys other than the gateway's own)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ElJurConfig"]


@dataclass(frozen=True, slots=True)
class ElJurConfig:
    """How the adapter talks to the region's ЭлЖур installation.

    The demo region runs the in-memory :class:`~adapters.eljur.backend.ElJurBackend`;
    the keys are the query parameters every real ЭлЖур call carries.
    """

    vendor: str = "demo"
    """The regional installation's ``vendor`` (its subdomain, as in ``<vendor>.eljur.ru``).

    Used for the calls that are not about one school: the ЕСИА token exchange, the school
    directory and school logins made without naming a school. Each school also has its
    own vendor, which the provider reports and the adapter then uses.
    """
    devkey: str = "demo-devkey"
    """The developer key ЭлЖур support issues to an integrator; sent with every call."""
    latency_ms: int = 0
    """Milliseconds the in-memory provider waits before each answer (demo realism)."""
