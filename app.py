"""Videoatención API: wiring only. Rules live in chalicelib/domain, use cases in chalicelib/services."""

import os

from chalice.app import Rate

from chalicelib.api import middleware
from chalicelib.api.admin import admin
from chalicelib.api.application import ThreadSafeChalice
from chalicelib.api.appointments import appointments
from chalicelib.api.audit import audit
from chalicelib.api.auth import auth
from chalicelib.api.calls import calls
from chalicelib.api.capacity import capacity
from chalicelib.api.health import health
from chalicelib.api.links import links
from chalicelib.api.preflight import preflight
from chalicelib.api.procedures import procedures
from chalicelib.api.queue import queue
from chalicelib.api.records import records
from chalicelib.api.services import services
from chalicelib.api.staff import staff
from chalicelib.api.stats import stats
from chalicelib.api.waitlist import waitlist

app = ThreadSafeChalice(app_name="videoatencion")
app.register_middleware(middleware.http, "http")
app.register_blueprint(health)
app.register_blueprint(services)
app.register_blueprint(auth)
app.register_blueprint(appointments)
app.register_blueprint(calls)
app.register_blueprint(procedures)
app.register_blueprint(records)
app.register_blueprint(audit)
app.register_blueprint(stats)
app.register_blueprint(staff)
app.register_blueprint(admin)
app.register_blueprint(capacity)
app.register_blueprint(links)
app.register_blueprint(preflight)
app.register_blueprint(waitlist)
app.register_blueprint(queue)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="reminders")
def send_reminders(event: object) -> dict[str, int]:
    """Every five minutes: the 24-hour and 1-hour reminders that are due (idempotent, late-proof), then the capacity
    jobs still running (more than 25 affected appointments), each to its end: a run that crashed is resumed (a job
    redoes only what is still uncovered). The dev stack's server runs this function on its own timer
    (``dev/api_server.py --schedule-every``)."""
    from chalicelib.bootstrap import get_container

    container = get_container()
    return {
        "sent": container.booking.send_reminders(),
        "jobs": container.capacity.run_jobs(),
        # Waitlist offers whose 15-minute hold passed move on to the next batch (also swept when an offer is read).
        "offers": container.waitlist.sweep(),
    }


@app.schedule(Rate(1, unit=Rate.MINUTES), name="trail")
def deliver_trail(event: object) -> dict[str, object]:
    """Every minute: settled audit events to log files; at the end of each digest period, the signed digest."""
    from chalicelib.bootstrap import get_container

    report = get_container().trail.run()
    return {"log_files": report.log_files, "digest": report.digest}


@app.schedule(Rate(1, unit=Rate.DAYS), name="retention")
def sweep_retention(event: object) -> dict[str, int]:
    """Daily: delete the recordings and documents whose retention ended (never one on legal hold)."""
    from chalicelib.bootstrap import get_container

    return get_container().records.sweep()


# Routes are fixed when the app is imported (Lambda's init, `chalice package`), with the stage's environment set;
# the development outbox must not even exist as a route in any other stage.
if os.environ.get("STAGE") == "dev":
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)
