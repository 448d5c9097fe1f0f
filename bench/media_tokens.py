"""The API's side of a call, as far as the node needs it: join tokens and the JWKS that verifies them.

The benchmark runs a tiny aiohttp server as ``MEDIA_API_URL``: ``GET /.well-known/jwks.json`` with its own ES256
key, and ``POST /media/events`` answering 204 (the node's webhooks; the benchmark does not check them). Tokens carry
the claims of the calls contract (notes/calls-contract.md, "Join token").
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ISSUER = "videoatencion"
AUDIENCE = "videoatencion-media"
LIFETIME = 120
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway local node's


class TokenIssuer:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = f"bench-{secrets.token_hex(4)}"

    def jwks(self) -> dict[str, Any]:
        public = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def mint(self, *, room: str, role: str, sub: str, name: str, appointment: str, office: str = "omac") -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": sub,
            "room": room,
            "role": role,
            "apt": appointment,
            "office": office,
            "name": name,
            "iat": now,
            "nbf": now,
            "exp": now + LIFETIME,
            "jti": uuid.uuid4().hex,
            "sid": f"bench-session-{sub}",
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def call_tokens(self, call: int, tag: str) -> dict[str, tuple[str, str]]:
        """Role → (room, token) for the citizen and the agent of one call."""
        room = f"bench-{tag}-{call}"
        appointment = f"apt-{tag}-{call}"
        return {
            "citizen": (room, self.mint(room=room, role="citizen", sub=f"c-{call:04x}{tag}", name="Bench Citizen",
                                        appointment=appointment)),
            "agent": (room, self.mint(room=room, role="agent", sub=f"a-bench{call}", name="Bench Agent",
                                      appointment=appointment)),
        }  # fmt: skip


def api_app(issuer: TokenIssuer) -> web.Application:
    async def jwks(_request: web.Request) -> web.Response:
        return web.json_response(issuer.jwks())

    async def events(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    async def sessions(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"revoked": []})

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_post("/media/events", events)
    app.router.add_post("/media/sessions", sessions)
    return app


@contextlib.asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve ``app`` on a free port of ``host`` in this loop; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
