"""The Moscow-style provider: МЭШ (school.mos.ru) and systems speaking its family API."""

from __future__ import annotations

from .adapter import MoscowAdapter

__all__ = ["MoscowAdapter"]
