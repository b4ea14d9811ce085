"""The root of every fedgate error, and the configuration errors."""

from __future__ import annotations


class FedgateError(Exception):
    """Base of every error fedgate raises on purpose; `code` is stable for clients."""

    code = "internal_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(FedgateError):
    """The configuration file is missing, unreadable or invalid.

    Args:
        message: what was expected.
        file: the file being loaded.
        path: dotted key path inside the file (e.g. ``sources[1].url``).
    """

    code = "config_invalid"

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None) -> None:
        where = ": ".join(part for part in (file, path) if part)
        super().__init__(f"{where}: {message}" if where else message, file=file, path=path)
        self.file = file
        self.path = path
