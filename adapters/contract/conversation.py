"""Contract checks of messages, class notices and parent meetings (``MESSAGES``,
``CLASS_NOTICES``, ``MEETINGS``): what a region's system that declares them must do, and
``NotSupportedError`` from one that does not."""

from __future__ import annotations

__all__ = ["ConversationChecks"]


class ConversationChecks:
    """Mixed into :class:`~adapters.contract.checks.ContractChecks`."""
