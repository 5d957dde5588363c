"""The module the plugin collects when a project opts in: the contract and the replays."""

from __future__ import annotations

from .checks import ContractChecks
from .replay import ReplayChecks

__all__ = ["TestContract", "TestReplay"]


class TestContract(ContractChecks):
    """The contract's checks, once per harness."""


class TestReplay(ReplayChecks):
    """The live checks over each recorded cassette (``--replay DIR``)."""
