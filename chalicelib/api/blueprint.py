"""A Blueprint with the gate and the error mapping built into every route.

- ``auth=None`` (public), ``"any"``, ``"citizen"`` or ``"staff"``: the bearer token is verified before the view
  runs (signature, algorithm, audience, expiry, revocation, disabled account, staff idle time) and the caller's
  ``Principal`` is available to the view through ``principal()``. A route for the other kind of caller answers
  404, as if it did not exist.
- ``auth="optional"``: public, but a bearer token sent along is verified the same way (a bad one is 401) and its
  caller is ``signed_in()``; without one ``signed_in()`` is None (one-tap links: the link is the proof for
  low-assurance services, an eID sign-in must come with it for the others).
- A session a one-tap "join" link opened (``Principal.scope``) is accepted only by routes declared ``scoped=True``
  (the call page's: its appointment, joining its call); every other route answers it 404, except an
  ``auth="optional"`` one, which takes it for nobody signed in. The policy also keeps it to its one appointment.
- Views may simply raise: every exception becomes problem+json in ``errors.from_exception`` (Chalice turns
  exceptions into its own 500 body before middleware sees them, so the mapping has to wrap the view).

Why the gate runs inside the function rather than as an API Gateway (Chalice) authorizer: an authorizer is a
second Lambda with its own cold start, API Gateway caches its answers (a disabled account would keep working
until the cache expires), its refusals bypass our problem+json, and it cannot decide on the resource (ownership)
anyway, which the policy module does with the loaded object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

from chalice.app import Blueprint, Response

from chalicelib.api import errors
from chalicelib.api.request import language_of
from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import NotFound

Auth = Literal["any", "citizen", "staff", "optional"] | None

_principal: ContextVar[Principal | None] = ContextVar("principal", default=None)


def principal() -> Principal:
    """The signed-in caller of the current request (only inside a route declared with ``auth``)."""
    current = _principal.get()
    if current is None:
        raise RuntimeError("principal() called in a public route")
    return current


def signed_in() -> Principal | None:
    """The caller of an ``auth="optional"`` route if a bearer token came with the request, else None."""
    return _principal.get()


class ApiBlueprint(Blueprint):
    def route(
        self, path: str, auth: Auth = None, scoped: bool = False, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Any:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                token = None
                try:
                    if auth == "optional":
                        if self.current_request.headers.get("authorization"):
                            caller = self._authenticate("any", True)
                            # A join link's session proves nothing about who is asking: as if nobody signed in.
                            if caller.scope is None or scoped:
                                token = _principal.set(caller)
                    elif auth is not None:
                        token = _principal.set(self._authenticate(auth, scoped))
                    return view(*args, **kw)
                except Exception as exc:
                    return errors.from_exception(exc, language_of(self.current_request))
                finally:
                    if token is not None:
                        _principal.reset(token)

            return register(guarded)

        return decorator

    def _authenticate(self, auth: str, scoped: bool) -> Principal:
        from chalicelib.bootstrap import get_container

        caller = get_container().sessions.authenticate(self.current_request.headers.get("authorization"))
        if (auth == "citizen" and not caller.is_citizen) or (auth == "staff" and not caller.is_staff):
            raise NotFound("There is no such resource.")
        if caller.scope is not None and not scoped:
            raise NotFound("There is no such resource.")
        return caller


NO_STORE = {"Cache-Control": "no-store"}  # answers that are personal or change with every write


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})
