"""Videoatención API: wiring only. Rules live in chalicelib/domain, use cases in chalicelib/services."""

import os

from chalice.app import Chalice

from chalicelib.api import middleware
from chalicelib.api.auth import auth
from chalicelib.api.health import health
from chalicelib.api.services import services

app = Chalice(app_name="videoatencion")
app.register_middleware(middleware.http, "http")
app.register_blueprint(health)
app.register_blueprint(services)
app.register_blueprint(auth)

# Routes are fixed when the app is imported (Lambda's init, `chalice package`), with the stage's environment set;
# the development outbox must not even exist as a route in any other stage.
if os.environ.get("STAGE") == "dev":
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)
