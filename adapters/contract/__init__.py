"""The adapter contract as a product: checks, harness base, pytest plugin, cassettes.

- :mod:`.harness` — :class:`Harness`, the standard harness, and what one must offer;
- :mod:`.checks` — :class:`~.checks.ContractChecks`, the checks over the canonical world;
- :mod:`.live` — the read-only checks that run against a live system;
- :mod:`.cassette` — recording (redacted) and replaying a system's HTTP exchanges;
- :mod:`.replay` — :class:`~.replay.ReplayChecks`, the live checks over cassettes;
- :mod:`.plugin` — the pytest plugin (entry point ``diary_gateway_contract``), inert until
  a project opts in; :mod:`.fixtures` — its fixtures.

Only :mod:`.harness`, :mod:`.live` and :mod:`.cassette` are imported outside pytest (the
``conformance`` command); the others need pytest and pytest-asyncio.
"""

from __future__ import annotations

from .harness import PERSONAS, Harness

__all__ = ["PERSONAS", "Harness"]
