"""Contract checks of a teacher's marks and a parent's advance absence notices
(``MARK_ENTRY``, ``ABSENCE_NOTICES``): what a region's system that declares them must do,
and ``NotSupportedError`` from one that does not."""

from __future__ import annotations

__all__ = ["WriteChecks"]


class WriteChecks:
    """Mixed into :class:`~adapters.contract.checks.ContractChecks`."""
