"""The one application error. Services raise it; views and the API turn it into a response."""

from __future__ import annotations


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code


class StaleVersionError(ApplicationError):
    """The record changed since the user loaded it; nothing was written."""

    status_code = 409
    code = "stale_version"
