"""МЭШ's wording of injected faults; the machinery is :mod:`diary_gateway_demo.emulation.faults`."""

from __future__ import annotations

from typing import Any

from diary_gateway_demo.emulation import (
    EmulatorFaults,
    FaultAnswers,
    FaultControls,
    FaultMiddleware,
)

__all__ = [
    "EXPIRED_MESSAGE",
    "MES_FAULTS",
    "TOKEN_ISSUERS",
    "EmulatorFaults",
    "FaultControls",
    "FaultMiddleware",
    "mes_error",
]

EXPIRED_MESSAGE = "Предыдущая сессия работы в ЭЖД завершена. Войдите в ЭЖД заново"
"""What МЭШ says in a 401 when a token has expired."""
TOKEN_ISSUERS = frozenset({"/lms/api/sessions", "/v3/auth/sudir/auth"})
"""The calls that issue tokens: spared the injected 401."""


def mes_error(kind: str, description: str, details: Any = None) -> dict[str, Any]:
    """An МЭШ error document: ``{"type", "description", "details"}``."""
    return {"type": kind, "description": description, "details": details}


MES_FAULTS = FaultAnswers(body=mes_error, expired=EXPIRED_MESSAGE)
