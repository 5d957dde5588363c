"""An HTTP emulator of ЭлЖур's API (``/apiv3/<method>``), serving region 11's demo world.

``create_emulator()`` returns the Starlette app; ``diary-gateway emulate`` serves it with uvicorn
(``diary-gateway emulate eljur``).
"""

from __future__ import annotations

from .app import create_emulator

__all__ = ["create_emulator"]
