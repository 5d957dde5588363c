"""The diary-gateway ASGI service: app factory, settings, CLI, identity and wiring."""

from __future__ import annotations

from .absences import AbsenceNoticeBook
from .app import create_app
from .audit import AuditLog
from .dev_issuer import DevIssuer
from .idempotency import WriteLedger
from .identity import AuthenticationFailed, Identity, IssuerConfig, TokenVerifier
from .settings import Settings, SettingsError, load_settings_file, parse_settings

__all__ = [
    "AbsenceNoticeBook",
    "AuditLog",
    "AuthenticationFailed",
    "DevIssuer",
    "Identity",
    "IssuerConfig",
    "Settings",
    "SettingsError",
    "TokenVerifier",
    "WriteLedger",
    "create_app",
    "load_settings_file",
    "parse_settings",
]

__version__ = "0.1.0"
