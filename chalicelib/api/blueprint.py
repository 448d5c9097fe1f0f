"""A Blueprint whose views may simply raise: every exception becomes problem+json in ``errors.from_exception``.

Chalice turns exceptions into its own 500 body before middleware sees them, so the mapping has to wrap the view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import errors


class ApiBlueprint(Blueprint):
    def route(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Any:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                try:
                    return view(*args, **kw)
                except Exception as exc:
                    return errors.from_exception(exc)

            return register(guarded)

        return decorator


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})
