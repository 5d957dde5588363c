"""Settings of an ЭлЖур region (the ``[regions.CODE]`` keys other than the gateway's own)."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.settings import SettingsError

__all__ = ["ElJurConfig"]


@dataclass(frozen=True, slots=True)
class ElJurConfig:
    """How the adapter reaches the region's ЭлЖур installation."""

    base_url: str
    """Where the API lives (real: ``https://<vendor>.eljur.ru`` or a regional brand's host,
    e.g. ``https://edu.gounn.ru``); ``/apiv3/<method>`` is appended. The demo points it at
    the emulator (``diary-gateway emulate eljur``)."""
    vendor: str = "demo"
    """The regional installation's ``vendor`` (its subdomain, as in ``<vendor>.eljur.ru``).

    Used for the calls that are not about one school: the ЕСИА token exchange, the school
    directory and school logins made without naming a school. Each school also has its
    own vendor, which the provider reports and the adapter then uses.
    """
    devkey: str = "demo-devkey"
    """The developer key ЭлЖур support issues to an integrator; sent with every call."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError("base_url", "an http(s) URL", self.base_url)
