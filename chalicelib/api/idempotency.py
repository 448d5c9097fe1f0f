"""Requests that create something, made safe to retry: the ``Idempotency-Key`` header (Powertools idempotency).

One helper for every create route (booking, carrying out a procedure, adding an attachment): the same caller, key
and request answer the first result; the same key for another request is refused (409 ``idempotency_key_reused``);
a second request with the key while the first is still being served (a double click) is refused (409
``request_in_progress``) and issues nothing. Without the header the request is simply made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Request

from chalicelib.auth.principal import Principal
from chalicelib.bootstrap import get_container
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed

HEADER = "Idempotency-Key"
KEY_LENGTH = (8, 128)
REMEMBERED_SECONDS = 24 * 3600


def once(
    request: Request,
    caller: Principal,
    operation: str,
    body: dict[str, Any],
    create: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    target: str = "",
    busy: str = "This request is already being served; reload the page in a moment.",
) -> dict[str, Any]:
    """``create(body)``, once per (caller, operation, key); ``target`` (e.g. the appointment id) is part of the
    request: the same key for another target is another request."""
    key = request.headers.get(HEADER.lower())
    if key is None:
        return create(body)
    if not KEY_LENGTH[0] <= len(key) <= KEY_LENGTH[1]:
        raise ValidationFailed([FieldError(HEADER, "length", low=KEY_LENGTH[0], high=KEY_LENGTH[1])])

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[caller, operation, key]",
        payload_validation_jmespath="[target, body]",
        expires_after_seconds=REMEMBERED_SECONDS,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=get_container().idempotency_store, config=config
    )
    def first(request: dict[str, Any]) -> dict[str, Any]:
        return create(request["body"])

    try:
        result: dict[str, Any] = first(
            request={
                # A code sign-in's verified contact is part of whose keys these are: two people using one ID number
                # from their own addresses (or the owner with eID) never answer each other's requests.
                "caller": f"{caller.kind}:{caller.subject}:{caller.contact or '-'}",
                "operation": operation,
                "key": key,
                "target": target,
                "body": body,
            }
        )
    except IdempotencyValidationError:
        raise Conflict("idempotency_key_reused", "This Idempotency-Key was used for a different request.") from None
    except IdempotencyAlreadyInProgressError:
        # A double click: the first request is still being served; its answer will be this one's too.
        raise Conflict("request_in_progress", busy) from None
    return result
