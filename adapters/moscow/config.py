"""Settings of the Moscow-style (МЭШ) adapter: the ``[regions.CODE]`` keys it reads."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.settings import SettingsError

__all__ = ["MoscowConfig"]


@dataclass(frozen=True, slots=True)
class MoscowConfig:
    """How to reach one МЭШ-family installation."""

    base_url: str
    """Where the API lives (real: ``https://school.mos.ru``); every protocol path is appended."""
    client_type: str = "diary-mobile"
    """Sent as ``client-type`` (the mobile app's value)."""
    subsystem: str = "familymp"
    """Sent as ``X-Mes-Subsystem`` (``familymp``: the family mobile app)."""
    profile_ttl_seconds: float = 300.0
    """How long a caller's family or staff profile (children, groups) is kept per session:
    how late a relation's end (a child no longer on a parent's profile) is seen at most."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError("base_url", "an http(s) URL", self.base_url)
        ttl = self.profile_ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
            raise SettingsError("profile_ttl_seconds", "a number of seconds (0 or more)", ttl)
