"""What harnesses of HTTP emulators share: faults and counts through the ``/__admin`` API.

Every emulator built on :mod:`adapters.emulation` answers ``POST /__admin/faults`` and
``GET /__admin/stats``; :class:`EmulatorAdmin` drives them for a harness.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters import Fault

__all__ = ["EMULATOR_FAULTS", "EmulatorAdmin"]

EMULATOR_FAULTS: dict[Fault, dict[str, Any]] = {
    Fault.UNAUTHORIZED: {"unauthorized_rate": 1.0},
    Fault.NOT_FOUND: {"not_found_rate": 1.0},
    Fault.RATE_LIMITED: {"rate_limit_rate": 1.0},
    Fault.SERVER_ERROR: {"error_rate": 1.0},
    Fault.TIMEOUT: {"timeout_rate": 1.0},
    Fault.MALFORMED: {"malformed_rate": 1.0},
}
"""The contract's faults as emulator fault settings (every request fails that way)."""


class EmulatorAdmin:
    """An emulator's ``/__admin`` API over a client whose base URL is the emulator."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def set_fault(self, fault: Fault | None) -> None:
        body = {} if fault is None else EMULATOR_FAULTS[fault]
        self.client.post("/__admin/faults", json=body).raise_for_status()

    def stats(self) -> dict[str, int]:
        """Requests served per path."""
        response = self.client.get("/__admin/stats")
        response.raise_for_status()
        paths: dict[str, int] = response.json()["paths"]
        return paths

    def upstream_calls(self) -> int:
        return sum(self.stats().values())
