"""ЭлЖур (eljur.ru): the adapter for regions whose schools keep their diaries in ЭлЖур."""

from __future__ import annotations

from .adapter import ElJurAdapter

__all__ = ["ElJurAdapter"]
