"""Videoatención API: wiring only. Rules live in chalicelib/domain, use cases in chalicelib/services."""

from chalice.app import Chalice

from chalicelib.api import middleware
from chalicelib.api.health import health
from chalicelib.api.services import services

app = Chalice(app_name="videoatencion")
app.register_middleware(middleware.http, "http")
app.register_blueprint(health)
app.register_blueprint(services)
