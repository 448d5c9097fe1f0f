"""Composition root: builds adapters and services once per process, on first use."""

from __future__ import annotations

import functools
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from chalicelib.services.catalogue import CatalogueService
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from pynamodb.models import Model

    from chalicelib.adapters.dynamo.audit import DynamoAuditLog
    from chalicelib.adapters.dynamo.auth_store import DynamoAuthStore
    from chalicelib.adapters.dynamo.capacity import DynamoCapacityState
    from chalicelib.adapters.dynamo.models import NotificationItem
    from chalicelib.adapters.dynamo.procedures import DynamoProcedureStore
    from chalicelib.adapters.dynamo.records import DynamoRecordStore
    from chalicelib.adapters.dynamo.registers import DynamoRegisters
    from chalicelib.adapters.dynamo.staff import DynamoStaffDirectory
    from chalicelib.adapters.dynamo.trail import DynamoTrailState
    from chalicelib.adapters.origin import OriginSecret
    from chalicelib.auth.eid import EidClient
    from chalicelib.auth.tokens import TokenService
    from chalicelib.domain.retention import RetentionRules
    from chalicelib.services.booking import BookingService
    from chalicelib.services.calls import CallService
    from chalicelib.services.capacity import CapacityService, HolidayBook
    from chalicelib.services.catalogue_admin import CatalogueAdmin
    from chalicelib.services.documents import DocumentService
    from chalicelib.services.identity import CitizenSignIn, Limits, Sessions, StaffSignIn
    from chalicelib.services.links import LinkService
    from chalicelib.services.ports import (
        AuditLog,
        BookingStore,
        CallStore,
        CatalogueStore,
        Notifier,
        Outbox,
        Secrets,
    )
    from chalicelib.services.preflight import PreflightService
    from chalicelib.services.procedures import ProcedureService
    from chalicelib.services.queue import QueueService
    from chalicelib.services.records import RecordsService
    from chalicelib.services.staff import StaffAdminService
    from chalicelib.services.stats import StatsService
    from chalicelib.services.trail import TrailService
    from chalicelib.services.waitlist import WaitlistService


M = TypeVar("M", bound="Model")


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._models: dict[type[Model], type[Model]] = {}

    def _table(self, base: type[M], table_name: str) -> type[M]:
        """``base`` bound to this stage's table, made once per container: the class caches its connection."""
        if base not in self._models:
            from chalicelib.adapters.dynamo.models import bound

            s = self.settings
            self._models[base] = bound(base, table_name, region=s.region, host=s.aws_endpoint_url)
        return cast("type[M]", self._models[base])

    def _client(self, service: str) -> Any:
        from chalicelib.adapters import aws

        return aws.client(service, self.settings.region, self.settings.aws_endpoint_url)

    @cached_property
    def council_zone(self) -> ZoneInfo:
        """The council's time zone (an office's own hours are in the office's)."""
        return ZoneInfo(self.settings.timezone)

    @cached_property
    def catalogue_repository(self) -> CatalogueStore:
        from chalicelib.adapters.dynamo.catalogue import DynamoCatalogueRepository
        from chalicelib.adapters.dynamo.models import CatalogueItem

        return DynamoCatalogueRepository(self._table(CatalogueItem, self.settings.table_catalogue))

    @property
    def audit(self) -> AuditLog:
        return self.audit_events

    @cached_property
    def audit_events(self) -> DynamoAuditLog:
        """The audit log with its reading side (delivery, search): the trail reads what the services record."""
        from chalicelib.adapters.dynamo.audit import DynamoAuditLog
        from chalicelib.adapters.dynamo.models import AuditItem

        return DynamoAuditLog(self._table(AuditItem, self.settings.table_audit), self.pseudonym, self.council_zone)

    def pseudonym(self, id_number: str) -> str:
        """A citizen's ID number as the audit trail shows it (keyed hash; the key is a SecureString in SSM)."""
        from chalicelib.domain.audit import citizen_pseudonym
        from chalicelib.settings import ConfigurationError

        if not self.settings.pseudonym_key_parameter:
            raise ConfigurationError("missing environment variable: PARAM_PSEUDONYM_KEY")
        return citizen_pseudonym(self.secrets.get(self.settings.pseudonym_key_parameter).encode(), id_number)

    @cached_property
    def catalogue(self) -> CatalogueService:
        return CatalogueService(self.catalogue_repository, cache_seconds=self.settings.catalogue_cache_seconds)

    @cached_property
    def catalogue_admin(self) -> CatalogueAdmin:
        """The catalogue as administrators write it; each write is in force at once in this process."""
        from chalicelib.services.catalogue_admin import CatalogueAdmin

        def changed() -> None:
            # This process reads the catalogue afresh; every other process sees a new availability generation.
            self.catalogue.invalidate()
            self.capacity.changed()

        return CatalogueAdmin(self.catalogue_repository, self.audit, changed, capacity=self.capacity)

    # --- identity ----------------------------------------------------------------------------------------------
    @cached_property
    def secrets(self) -> Secrets:
        from chalicelib.adapters.ssm import SsmSecrets

        return SsmSecrets(self._client("ssm"))

    def pepper(self) -> bytes:
        return self.secrets.get(self.settings.otp_pepper_parameter).encode()

    @cached_property
    def auth_store(self) -> DynamoAuthStore:
        from chalicelib.adapters.dynamo.auth_store import DynamoAuthStore
        from chalicelib.adapters.dynamo.models import AuthItem

        return DynamoAuthStore(self._table(AuthItem, self.settings.table_auth))

    @cached_property
    def origin_secret(self) -> OriginSecret:
        from chalicelib.adapters.origin import OriginSecret

        return OriginSecret(self._client("secretsmanager"), self.settings.origin_secret_id)

    @cached_property
    def staff(self) -> DynamoStaffDirectory:
        from chalicelib.adapters.dynamo.models import StaffItem
        from chalicelib.adapters.dynamo.staff import DynamoStaffDirectory

        return DynamoStaffDirectory(self._table(StaffItem, self.settings.table_staff))

    @cached_property
    def staff_admin(self) -> StaffAdminService:
        from chalicelib.adapters.dynamo.models import AuthItem, StaffCounterItem, StaffItem
        from chalicelib.adapters.dynamo.staff import DynamoStaffAdmin
        from chalicelib.services.staff import StaffAdminService

        s = self.settings
        store = DynamoStaffAdmin(
            self._table(StaffItem, s.table_staff),
            self._table(StaffCounterItem, s.table_staff),
            self._table(AuthItem, s.table_auth),
        )
        return StaffAdminService(
            store,
            self.auth_store,
            self.notifier,
            self.audit,
            self.pepper,
            self.limits,
            s.public_base_url,
            capacity=self.capacity,
        )

    @property
    def _notification_log(self) -> type[NotificationItem]:
        from chalicelib.adapters.dynamo.models import NotificationItem

        return self._table(NotificationItem, self.settings.table_notifications)

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.adapters.notify import AwsNotifier
        from chalicelib.auth.codes import contact_digest

        return AwsNotifier(
            self._client("ses"),
            self._client("sns"),
            self.settings.sender_email,
            lambda to: contact_digest(self.pepper(), to),
            self._notification_log,
        )

    @cached_property
    def tokens(self) -> TokenService:
        from chalicelib.adapters.kms import KmsKeys
        from chalicelib.auth.tokens import TokenService

        keys = KmsKeys(self._client("kms"), self.settings.signing_key, self.settings.verify_keys)
        return TokenService(keys, self.settings.issuer)

    @cached_property
    def sessions(self) -> Sessions:
        from chalicelib.services.identity import Sessions

        s = self.settings
        return Sessions(
            self.tokens,
            self.auth_store,
            self.staff,
            citizen_lifetime=timedelta(minutes=s.citizen_token_minutes),
            staff_lifetime=timedelta(hours=s.staff_token_hours),
            staff_idle=timedelta(minutes=s.staff_idle_minutes),
        )

    def eid_client(self) -> EidClient | None:
        from chalicelib.auth.eid import EidClient

        eid = self.settings.eid
        if eid is None:
            return None
        redirect = f"{self.settings.public_base_url.rstrip('/')}/api/auth/eid/callback"
        return EidClient(eid, self.secrets.get(eid.client_secret_parameter), redirect)

    @cached_property
    def limits(self) -> Limits:
        from chalicelib.services.identity import Limits

        return Limits(min_request_seconds=self.settings.auth_min_response_ms / 1000)

    @cached_property
    def citizen_sign_in(self) -> CitizenSignIn:
        from chalicelib.services.identity import CitizenSignIn

        return CitizenSignIn(
            self.auth_store,
            self.sessions,
            self.notifier,
            self.audit,
            self.pepper,
            self.limits,
            self.eid_client,
            self.settings.public_base_url,
        )

    @cached_property
    def staff_sign_in(self) -> StaffSignIn:
        from chalicelib.services.identity import StaffSignIn

        return StaffSignIn(
            self.auth_store, self.sessions, self.staff, self.notifier, self.audit, self.pepper, self.limits
        )

    # --- booking ------------------------------------------------------------------------------------------------
    @cached_property
    def booking_store(self) -> BookingStore:
        from chalicelib.adapters.dynamo.booking import booking_store

        s = self.settings
        return booking_store(
            s.table_appointments, s.table_booking, region=s.region, host=s.aws_endpoint_url, zone=self.council_zone
        )

    @cached_property
    def booking(self) -> BookingService:
        from chalicelib.services.booking import BookingService, BookingSettings

        s = self.settings
        service = BookingService(
            self.catalogue,
            self.staff.agents_of,
            self.holiday_book.calendar,
            self.booking_store,
            self.notifier,
            self.audit,
            BookingSettings(s.max_active_appointments, s.public_base_url, s.sender_email, self.council_zone),
            generation=self.capacity_state.generation,
        )
        # Read when asked, so the call service (built on this one) is only made when needed.
        service.call_started = lambda appointment_id: self.calls.has_started(appointment_id)
        service.links = _LazyLinks(self)
        service.slot_freed = lambda appointment: self.waitlist.slot_freed(appointment)
        return service

    @cached_property
    def links(self) -> LinkService:
        """One-tap links (join, cancel, change; the pre-flight check registers "preflight" on this service)."""
        from chalicelib.adapters.dynamo.links import DynamoLinkStore
        from chalicelib.adapters.dynamo.models import AuthItem
        from chalicelib.services.identity import RateLimiter
        from chalicelib.services.links import LinkLimits, LinkService

        limits = self.limits
        service = LinkService(
            DynamoLinkStore(self._table(AuthItem, self.settings.table_auth)),
            self.booking,
            self.sessions,
            self.audit,
            self.pepper,
            RateLimiter(self.auth_store, limits, self.pepper),
            LinkLimits(limits.link_lookups_per_source_ip, limits.link_uses_per_source_ip),
            self.settings.public_base_url,
        )
        service.register("preflight", lambda appointment, body: self.preflight.perform_by_link(appointment, dict(body)))
        return service

    @cached_property
    def waitlist(self) -> WaitlistService:
        from chalicelib.adapters.dynamo.models import BookingItem, connection_of
        from chalicelib.adapters.dynamo.waitlist import DynamoWaitlistStore
        from chalicelib.services.waitlist import WaitlistService, WaitlistSettings

        s = self.settings
        model = self._table(BookingItem, s.table_booking)
        return WaitlistService(
            self.booking,
            DynamoWaitlistStore(model, connection_of(model), self.council_zone),
            self.notifier,
            self.audit,
            self.pepper,
            WaitlistSettings(s.public_base_url, batch_size=s.waitlist_batch_size),
        )

    # --- capacity: schedules, leave, holidays, needs rebooking ---------------------------------------------------
    @cached_property
    def capacity_state(self) -> DynamoCapacityState:
        from chalicelib.adapters.dynamo.capacity import DynamoCapacityState
        from chalicelib.adapters.dynamo.models import CatalogueItem

        return DynamoCapacityState(self._table(CatalogueItem, self.settings.table_catalogue))

    @cached_property
    def holiday_book(self) -> HolidayBook:
        from chalicelib.services.capacity import HolidayBook

        return HolidayBook(self.capacity_state)

    @cached_property
    def capacity(self) -> CapacityService:
        from chalicelib.services.capacity import CapacityService

        service = CapacityService(
            self.booking,
            self.booking_store,  # type: ignore[arg-type]
            self.staff,
            self.capacity_state,
            self.holiday_book,
            self.audit,
        )
        service.slots_added = lambda office: self.waitlist.slots_added(office)
        return service

    # --- calls --------------------------------------------------------------------------------------------------
    @cached_property
    def call_store(self) -> CallStore:
        from chalicelib.adapters.dynamo.calls import call_store

        s = self.settings
        return call_store(s.table_calls, s.table_media_nodes, region=s.region, host=s.aws_endpoint_url)

    @cached_property
    def calls(self) -> CallService:
        from chalicelib.services.calls import CallService, CallSettings

        s = self.settings
        return CallService(
            self.booking,
            self.call_store,
            self.tokens,
            self.audit,
            self.secrets,
            CallSettings(
                webhook_secret_parameter=s.media_webhook_secret_parameter,
                turn_secret_parameter=s.turn_secret_parameter,
                stun_urls=s.stun_urls,
                turn_urls=s.turn_urls,
                turn_credential_minutes=s.turn_credential_minutes,
            ),
            self.sessions,
            records=self.records,
        )

    @cached_property
    def queue(self) -> QueueService:
        from chalicelib.services.queue import QueueService

        return QueueService(self.booking, self.call_store, self.staff)

    @cached_property
    def preflight(self) -> PreflightService:
        from chalicelib.services.preflight import PreflightService

        return PreflightService(
            self.booking, turn_configured=bool(self.settings.turn_urls), probe=self.calls.probe_target
        )

    # --- procedures and documents -------------------------------------------------------------------------------
    @cached_property
    def procedures(self) -> ProcedureService:
        import json
        from pathlib import Path

        from chalicelib.services.procedures import ProcedureService, ProcedureSettings

        config = json.loads((Path(__file__).parent / "config" / "procedures.json").read_text(encoding="utf-8"))
        return ProcedureService(
            self.booking,
            self.registers,
            self.procedure_store,
            self.documents,
            self.audit,
            self.auth_store,
            self.pepper,
            ProcedureSettings(self.council, self.council_zone, config),
            notifier=self.notifier,
            records=self.records,
        )

    @cached_property
    def documents(self) -> DocumentService:
        from chalicelib.documents.issuer import SealedPdfIssuer
        from chalicelib.services.documents import DocumentService, DocumentSettings

        s = self.settings
        return DocumentService(
            self.booking,
            self.procedure_store,
            SealedPdfIssuer.from_settings(self._client("kms"), s, self.council),
            self.audit,
            self.auth_store,
            self.pepper,
            DocumentSettings(s.public_base_url, s.document_available_days),
            records=self.records,
        )

    @cached_property
    def council(self) -> str:
        """The council's name, as its documents and procedures show it."""
        s = self.settings
        return self.secrets.get(s.council_name_parameter) if s.council_name_parameter else "Ajuntament"

    @cached_property
    def registers(self) -> DynamoRegisters:
        from chalicelib.adapters.dynamo.models import LedgerItem, PersonItem
        from chalicelib.adapters.dynamo.registers import DynamoRegisters

        s = self.settings
        return DynamoRegisters(self._table(PersonItem, s.table_padron), self._table(LedgerItem, s.table_tax_ledger))

    @cached_property
    def procedure_store(self) -> DynamoProcedureStore:
        from chalicelib.adapters.dynamo.models import DocumentItem, ProcedureItem
        from chalicelib.adapters.dynamo.procedures import DynamoProcedureStore

        s = self.settings
        return DynamoProcedureStore(
            self._table(ProcedureItem, s.table_procedures),
            self._table(DocumentItem, s.table_documents),
            self._client("s3"),
            s.bucket_documents,
            s.data_key,
        )

    # --- records: the audit trail ---------------------------------------------------------------------------------
    @cached_property
    def trail(self) -> TrailService:
        from datetime import timedelta as span

        from chalicelib.adapters.kms import KmsKeys
        from chalicelib.adapters.s3_trail import S3TrailObjects
        from chalicelib.services.trail import TrailService, TrailSettings

        s = self.settings
        return TrailService(
            self.audit_events,
            self.trail_state,
            S3TrailObjects(self._client("s3"), s.data_key),
            KmsKeys(self._client("kms"), s.trail_key, (s.trail_key,)),
            self.audit,
            self.pseudonym,
            TrailSettings(
                bucket=s.bucket_audit,
                stage=s.stage,
                settle=span(seconds=s.trail_settle_seconds),
                period=span(seconds=s.digest_period_seconds),
                retention=span(days=s.trail_retention_days),
                zone=self.council_zone,
            ),
        )

    @cached_property
    def trail_state(self) -> DynamoTrailState:
        from chalicelib.adapters.dynamo.models import TrailItem
        from chalicelib.adapters.dynamo.trail import DynamoTrailState

        return DynamoTrailState(self._table(TrailItem, self.settings.table_trail))

    @cached_property
    def idempotency_store(self) -> Any:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from chalicelib.adapters import aws

        return DynamoDBPersistenceLayer(
            table_name=self.settings.table_idempotency, boto3_session=aws.session(self.settings.region)
        )

    @cached_property
    def outbox(self) -> Outbox:
        from chalicelib.adapters.outbox import MotoOutbox

        return MotoOutbox(self.settings.aws_endpoint_url, self._notification_log)

    # --- records: retention of recordings and documents, legal hold, playback -------------------------------------
    @cached_property
    def retention(self) -> RetentionRules:
        """retention.json: the one source of what the sweep deletes and of what citizens and documents are told."""
        from chalicelib.domain.retention import RetentionRules

        return RetentionRules.load()

    @cached_property
    def record_store(self) -> DynamoRecordStore:
        from chalicelib.adapters.dynamo.models import RecordItem
        from chalicelib.adapters.dynamo.records import DynamoRecordStore

        return DynamoRecordStore(self._table(RecordItem, self.settings.table_records))

    @cached_property
    def records(self) -> RecordsService:
        from chalicelib.adapters.s3_records import S3RecordObjects
        from chalicelib.services.records import RecordsService, RecordsSettings

        s = self.settings
        procedures = self.procedure_store
        return RecordsService(
            self.record_store,
            S3RecordObjects(self._client("s3")),
            self.retention,
            self.audit,
            self.booking.lookup,
            lambda appointment_id: [str(p["type"]) for p in procedures.procedures_of(appointment_id)],
            RecordsSettings(s.bucket_recordings, s.bucket_documents, self.council_zone),
        )

    # --- the supervisor's figures -------------------------------------------------------------------------------
    @cached_property
    def stats(self) -> StatsService:
        from chalicelib.services.stats import StatsService

        return StatsService(
            self.booking_store,
            self.call_store,
            self.procedure_store.documents_of_appointment,
            self.audit,
            self.council_zone,
            lambda: [o.id for o in self.catalogue.offices()],
        )


class _LazyLinks:
    """The link service as the booking service sees it, made when a message first needs a link (the link service
    is built on the booking service)."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def issue(self, appointment: Any, action: str) -> str:
        return self._container.links.issue(appointment, action)

    def supports(self, action: str) -> bool:
        return self._container.links.supports(action)


@functools.cache
def get_container() -> Container:
    return Container(get_settings())


def reset() -> None:
    """Forget settings and built services (tests that change the environment call this)."""
    get_settings.cache_clear()
    get_container.cache_clear()
