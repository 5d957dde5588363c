"""An HTTP emulator of «Сетевой город. Образование» (NetSchool ``webapi``).

``create_emulator()`` returns a Starlette app serving the demo world of region 74 in
NetSchool's native shapes; ``diary-gateway emulate`` serves it with uvicorn
(``diary-gateway emulate netcity``).
"""

from __future__ import annotations

from .app import create_emulator, password_hashes

__all__ = ["create_emulator", "password_hashes"]
