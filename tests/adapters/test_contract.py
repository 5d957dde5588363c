"""The shared adapter contract for this repository's adapters, through the contract plugin.

The checks live in :mod:`adapters.contract.checks` (shipped with the gateway, so an adapter's
own repository runs the same ones); ``conftest.py`` gives them one harness per adapter —
built-in and installed by entry point — and the recorded cassettes.
"""

from __future__ import annotations

from adapters.contract.checks import ContractChecks
from adapters.contract.replay import ReplayChecks


class TestContract(ContractChecks):
    """Every adapter against the canonical world."""


class TestReplay(ReplayChecks):
    """Every recorded cassette (``tests/adapters/cassettes/``, ``--replay DIR``) replayed."""
