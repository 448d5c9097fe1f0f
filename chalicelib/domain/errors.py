"""Domain failures. The API maps each to one problem+json answer in ``chalicelib/api/errors.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.texts import say


@dataclass(frozen=True, init=False)
class FieldError:
    """What is wrong with one field: ``key`` names the text ``validation.<key>`` of the catalogues
    (``chalicelib/texts``), ``params`` fill its placeholders, so the API says it in the request's language."""

    field: str
    key: str
    params: tuple[tuple[str, Any], ...]

    def __init__(self, field: str, key: str, /, **params: Any) -> None:
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", tuple(sorted(params.items())))

    def message(self, lang: object) -> str:
        """The error in ``lang`` (the council's default for one we do not speak)."""
        return say(f"validation.{self.key}", lang, **dict(self.params))


class DomainError(Exception):
    """Base of every failure a caller can be told about; ``code`` is the stable machine-readable string."""

    code = "domain_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist, or the caller may not see it (never leak which)."""

    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_error"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("The request has invalid fields.")  # for logs; the API says it in the request's language
        self.errors = errors


class Conflict(DomainError):
    """The request conflicts with the current state (409); ``extra`` fields go into the problem body."""

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.code = code
        self.extra = extra


def version_conflict() -> Conflict:
    """A change sent with a version that is no longer the stored one: someone saved meanwhile (409
    ``version_conflict``), the one answer of every versioned write (offices, services, staff, schedules, holidays)."""
    return Conflict("version_conflict", "Someone else changed this meanwhile: read it again and redo your change.")


class Gone(DomainError):
    """What the request names existed once and is used up or expired for good (410): a single-use link."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class DependencyUnavailable(DomainError):
    """A service we depend on (database, storage, messaging) failed; nothing was changed."""

    code = "dependency_unavailable"

    def __init__(self, detail: str, code: str = "dependency_unavailable", retry_after: int = 5) -> None:
        super().__init__(detail)
        self.code = code
        self.retry_after = max(1, retry_after)


class Unauthenticated(DomainError):
    """No valid credentials: a missing, bad, expired or revoked token, or a wrong code or password."""

    def __init__(self, code: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.code = code
        self.extra = extra


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` seconds until the caller may try again."""

    def __init__(self, retry_after: int, code: str = "rate_limited", detail: str = "Too many attempts.") -> None:
        super().__init__(detail)
        self.code = code
        self.retry_after = max(1, retry_after)


class Forbidden(DomainError):
    """The caller may see the resource but not do this (403)."""

    def __init__(self, detail: str, code: str = "forbidden") -> None:
        super().__init__(detail)
        self.code = code
