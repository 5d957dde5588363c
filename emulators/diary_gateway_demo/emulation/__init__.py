"""The emulator base: what every provider emulator shares, none of it provider-specific.

An emulator is a Starlette app serving a demo world in a diary system's native shapes.
This package gives it the rest: :func:`build_emulator_app` (its routes behind the fault
middleware, plus ``/__admin/faults``, ``/__admin/stats``, ``/__admin/reset``),
:class:`EmulatorFaults` (latency, errors, hangs, 429s, HTML pages, cut JSON, 401s, 404s,
seeded), :class:`PersonaTokens` (issued tokens standing for personas, with expiry and a
per-token call budget) and :class:`SsoVerifier` (national-SSO JWTs checked against a JWKS).

Simulator code: production adapters never import it (``tests/test_architecture.py``).
"""

from __future__ import annotations

from .app import admin_routes, build_emulator_app
from .faults import EmulatorFaults, FaultAnswers, FaultControls, FaultMiddleware, route_path
from .sso import SsoVerifier
from .tokens import PersonaTokens

__all__ = [
    "EmulatorFaults",
    "FaultAnswers",
    "FaultControls",
    "FaultMiddleware",
    "PersonaTokens",
    "SsoVerifier",
    "admin_routes",
    "build_emulator_app",
    "route_path",
]
