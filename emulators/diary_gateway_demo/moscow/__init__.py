"""An HTTP emulator of the МЭШ family and teacher API (``moscow-protocol.md``).

``create_emulator()`` returns a Starlette app serving the demo world of region 77 in МЭШ's
native shapes, with header checks, token expiry and fault injection; ``diary-gateway emulate``
serves it with uvicorn (``diary-gateway emulate moscow``).
"""

from __future__ import annotations

from .app import create_emulator
from .faults import EmulatorFaults

__all__ = ["EmulatorFaults", "create_emulator"]
