"""The diary-gateway demo's simulators (distribution ``diary-gateway-demo``; never in production).

- :mod:`.seed` — the demo world: schools, classes, timetables, marks, the school calendar,
  the canonical week the adapter contract checks;
- :mod:`.emulation` — the emulator base: routes, the ``/__admin`` fault switch and stats,
  persona tokens, the national SSO check;
- :mod:`.moscow`, :mod:`.netcity`, :mod:`.eljur` — HTTP emulators of МЭШ, «Сетевой город»
  and ЭлЖур over the seed world (``diary-gateway emulate SLUG``);
- :mod:`.personas` — the demo personas; :mod:`.demo` — the demo app (``diary-gateway demo``).

The gateway's packages never import this one, except ``gateway.cli`` inside the commands that
need it (``tests/test_architecture.py``).
"""

from __future__ import annotations

__all__: list[str] = []

__version__ = "0.1.0"
