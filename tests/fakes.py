"""In-memory implementations of the ports, for use-case tests. The contract tests in tests/api run the same
assertions against these and the DynamoDB adapters, so a fake cannot drift from the real thing."""

from __future__ import annotations

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.catalogue import Office, OfficeId, Service
from chalicelib.domain.errors import Conflict


class InMemoryCatalogue:
    """The catalogue repository in a dict, counting how often the service list is read."""

    def __init__(self, services: list[Service] | None = None) -> None:
        self.services = {s.id: s for s in services or []}
        self.offices: dict[OfficeId, Office] = {}
        self.reads = 0

    def list_services(self) -> list[Service]:
        self.reads += 1
        return list(self.services.values())

    def get_service(self, service_id: str) -> Service | None:
        return self.services.get(service_id)

    def list_offices(self) -> list[Office]:
        return list(self.offices.values())

    def put_service(self, service: Service) -> None:
        self.services[service.id] = service

    def put_office(self, office: Office) -> None:
        self.offices[office.id] = office


class InMemoryAuditLog:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        if any(e.id == event.id for e in self.events):
            raise Conflict("audit_event_exists", "An audit event is never overwritten.")
        self.events.append(event)

    def events_of_day(self, day: str) -> list[AuditEvent]:
        return sorted((e for e in self.events if e.day == day), key=lambda e: (e.at, e.id))


class FakeEidProvider:
    """The eID provider's client: the authorisation URL carries the state; any code identifies one person."""

    def __init__(self, id_number: str = "12345678Z") -> None:
        from chalicelib.auth.eid import EidIdentity
        from chalicelib.domain.catalogue import Assurance

        self.identity = EidIdentity(id_number, "Laia Puig", "idcat_mobil", Assurance.SUBSTANTIAL)

    def authorize_url(self, state: str, pkce: object) -> str:
        return f"https://eid.example/o/oauth2/auth?state={state}"

    def identify(self, code: str, verifier: str) -> object:
        return self.identity
