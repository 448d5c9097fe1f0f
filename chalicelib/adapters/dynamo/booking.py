"""Bookings on DynamoDB: every change is ONE transaction with conditions, so two requests can never double-book.

Items of the ``booking`` table:
- ``CAP#<office>#<yyyy-mm>`` / ``<unit>#<agent>``: that agent's 5-minute unit is taken by ``appointment_id`` (a put
  that fails if the item exists: one appointment per agent and unit);
- ``CIT#<id number>`` / ``ACTIVE``: how many active appointments are held under the ID number, whoever booked them;
- ``CIT#<id number>`` / ``SVC#<service>``: the one active appointment for that service booked with the identity
  proved (eID) or by staff;
- ``CIT#<id number>`` / ``SVCN#<service>``: how many active appointments for that service were booked by code
  sign-ins (under any contact);
- ``CIT#<id number>`` / ``CONTACTS``: the set of verified contacts (keyed hashes) holding active bookings;
- ``CIT#<id number>#C#<contact>`` / ``SVC#<service>`` and ``ACTIVE``: the same per (ID number, verified contact).

Limits (why): a one-time code proves only control of an address, so a code sign-in's bookings are counted within
(ID number, that contact): whoever knows someone's ID number can never spend the owner's limits from their own
address, and a refusal never tells them about a booking they cannot see. At most ``max_contacts`` contacts per ID
number hold active bookings at once, so nobody hoards places with many addresses. A booking made with the identity
proved (eID) or by staff is limited by every booking under the ID number, all of which that caller can see.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.domain.appointments import Appointment, Contact, Status
from chalicelib.domain.audit import COUNCIL_ZONE
from chalicelib.domain.catalogue import Assurance, OfficeId
from chalicelib.domain.errors import Conflict, DependencyUnavailable
from chalicelib.domain.identity_check import IdentityCheck

TRANSACTION_ATTEMPTS = 3
MAX_CONTACTS = 2  # verified contacts per ID number that may hold active bookings at once
# Plain words that say nothing about anyone's bookings: the same answer whoever holds them.
ONLINE_LIMIT_REACHED = (
    "This appointment cannot be booked online with this contact. Book it by phone or in person, "
    "or sign in with your digital identity (idCAT Mòbil, Cl@ve or a digital certificate)."
)
_serialise = TypeSerializer().serialize
_deserialise = TypeDeserializer().deserialize


def _cap_key(office: str, unit: str, agent: str) -> dict[str, Any]:
    return {"pk": {"S": f"CAP#{office}#{unit[:7]}"}, "sk": {"S": f"{unit}#{agent}"}}


def _scope(citizen: str, contact: str) -> str:
    return f"CIT#{citizen}#C#{contact}"


def _decrement(table: str, pk: str, sk: str, attribute: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": f"ADD {attribute} :minus",
            "ConditionExpression": f"{attribute} > :zero",
            "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":zero": {"N": "0"}},
        }
    }


def _office_day(appointment: Appointment) -> str:
    return f"{appointment.office.value}#{appointment.start.date().isoformat()}"


def to_item(a: Appointment) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": a.id,
        "service_id": a.service_id,
        "office": a.office.value,
        "office_day": _office_day(a),
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "status": a.status.value,
        "citizen": a.citizen,
        "contact": {k: v for k, v in (("email", a.contact.email), ("phone", a.contact.phone)) if v},
        "language": a.language,
        "agent": a.agent,
        "units": list(a.units),
        "created_at": a.created_at.isoformat(),
        "created_by": a.created_by,
        "version": a.version,
        "reminders": dict(a.reminders),
        "citizen_assurance": a.citizen_assurance.value,
    }
    if a.identity_check is not None:
        item["identity_check"] = a.identity_check.to_item()
    if a.citizen_contact:
        item["citizen_contact"] = a.citizen_contact
    if a.citizen_name:
        item["citizen_name"] = a.citizen_name
    if a.outcome_notes:
        item["outcome_notes"] = a.outcome_notes
    return {k: _serialise(v) for k, v in item.items()}


def from_item(raw: Mapping[str, Any]) -> Appointment:
    d = {k: _deserialise(v) for k, v in raw.items()}
    contact = d.get("contact") or {}
    return Appointment(
        id=d["id"],
        service_id=d["service_id"],
        office=OfficeId(d["office"]),
        start=datetime.fromisoformat(d["start"]).astimezone(COUNCIL_ZONE),
        end=datetime.fromisoformat(d["end"]).astimezone(COUNCIL_ZONE),
        status=Status(d["status"]),
        citizen=d["citizen"],
        citizen_contact=d.get("citizen_contact"),
        contact=Contact(contact.get("email"), contact.get("phone")),
        language=d["language"],
        agent=d.get("agent", ""),
        units=tuple(d.get("units") or ()),
        created_at=datetime.fromisoformat(d["created_at"]),
        created_by=d["created_by"],
        citizen_name=d.get("citizen_name"),
        version=int(d.get("version", 1)),
        reminders={str(k): str(v) for k, v in (d.get("reminders") or {}).items()},
        outcome_notes=d.get("outcome_notes"),
        citizen_assurance=Assurance(d.get("citizen_assurance") or Assurance.LOW.value),
        identity_check=IdentityCheck.from_item(d["identity_check"]) if d.get("identity_check") else None,
    )


class DynamoBookingStore:
    def __init__(self, client: Any, appointments_table: str, booking_table: str) -> None:
        self._client = client
        self._appointments = appointments_table
        self._booking = booking_table

    # --- reads ----------------------------------------------------------------------------------------------------
    def taken(self, office: OfficeId, first_unit: str, last_unit: str) -> set[tuple[str, str]]:
        """(unit, agent) pairs taken between two unit keys (inclusive), one Query per month touched."""
        taken: set[tuple[str, str]] = set()
        month, last_month = first_unit[:7], last_unit[:7]
        while month <= last_month:
            kwargs: dict[str, Any] = {
                "TableName": self._booking,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"CAP#{office.value}#{month}"},
                    ":a": {"S": first_unit},
                    ":b": {"S": last_unit + "#\uffff"},
                },
                "ProjectionExpression": "sk",
            }
            while True:
                page = self._call("query", **kwargs)
                for item in page["Items"]:
                    unit, _, agent = item["sk"]["S"].partition("#")
                    taken.add((unit, agent))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            year, mon = int(month[:4]), int(month[5:7])
            month = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
        return taken

    def get(self, appointment_id: str) -> Appointment | None:
        item = self._call(
            "get_item", TableName=self._appointments, Key={"id": {"S": appointment_id}}, ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def of_citizen(self, citizen: str) -> list[Appointment]:
        return self._query_index("by_citizen", "citizen", citizen)

    def of_office_day(self, office: OfficeId, day: str) -> list[Appointment]:
        return self._query_index("by_office_day", "office_day", f"{office.value}#{day}")

    def _query_index(self, index: str, key: str, value: str) -> list[Appointment]:
        kwargs: dict[str, Any] = {
            "TableName": self._appointments,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
        found = []
        while True:
            page = self._call("query", **kwargs)
            found += [from_item(i) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda a: a.start)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- writes ---------------------------------------------------------------------------------------------------
    def book(self, appointment: Appointment, max_active: int, max_contacts: int = MAX_CONTACTS) -> None:
        a = appointment
        actions = [self._take(a, unit) for unit in a.units]
        actions.append(
            {
                "Put": {
                    "TableName": self._appointments,
                    "Item": to_item(a),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            }
        )
        reasons = [("slot_unavailable", "That time is no longer available.")] * len(a.units) + [
            ("conflict", "The appointment already exists."),
        ]
        limits, limit_reasons = (
            self._contact_limits(a, a.citizen_contact, max_active, max_contacts)
            if a.citizen_contact
            else self._identity_limits(a, max_active)
        )
        self._transact(actions + limits, reasons + limit_reasons)

    def _identity_limits(self, a: Appointment, max_active: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """Booked with the identity proved, or by staff: every booking under the ID number counts."""
        citizen = {"S": f"CIT#{a.citizen}"}
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._booking,
                    "Item": {"pk": citizen, "sk": {"S": f"SVC#{a.service_id}"}, "appointment_id": {"S": a.id}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self._booking,
                    "Key": {"pk": citizen, "sk": {"S": f"SVCN#{a.service_id}"}},
                    "ConditionExpression": "attribute_not_exists(n) OR n < :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {
                "Update": {
                    "TableName": self._booking,
                    "Key": {"pk": citizen, "sk": {"S": "ACTIVE"}},
                    "UpdateExpression": "ADD active :one",
                    "ConditionExpression": "attribute_not_exists(active) OR active < :max",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_active)}},
                }
            },
        ]
        already = ("already_booked", "You already have an appointment for this service.")
        too_many = ("too_many_appointments", "You have as many appointments as you can hold at once.")
        return actions, [already, already, too_many]

    def _contact_limits(
        self, a: Appointment, contact: str, max_active: int, max_contacts: int
    ) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        """Booked by a code sign-in: limits counted within (ID number, verified contact), and a cap on contacts."""
        citizen, scope = {"S": f"CIT#{a.citizen}"}, {"S": _scope(a.citizen, contact)}
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._booking,
                    "Item": {"pk": scope, "sk": {"S": f"SVC#{a.service_id}"}, "appointment_id": {"S": a.id}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._booking,
                    "Key": {"pk": scope, "sk": {"S": "ACTIVE"}},
                    "UpdateExpression": "ADD active :one",
                    "ConditionExpression": "attribute_not_exists(active) OR active < :max",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_active)}},
                }
            },
            {
                # A contact already in the set keeps its place; a new one joins only while there is room.
                "Update": {
                    "TableName": self._booking,
                    "Key": {"pk": citizen, "sk": {"S": "CONTACTS"}},
                    "UpdateExpression": "ADD contacts :me",
                    "ConditionExpression": (
                        "attribute_not_exists(contacts) OR contains(contacts, :contact) OR size(contacts) < :cap"
                    ),
                    "ExpressionAttributeValues": {
                        ":me": {"SS": [contact]},
                        ":contact": {"S": contact},
                        ":cap": {"N": str(max_contacts)},
                    },
                }
            },
            {
                "Update": {
                    "TableName": self._booking,
                    "Key": {"pk": citizen, "sk": {"S": "ACTIVE"}},
                    "UpdateExpression": "ADD active :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {
                "Update": {
                    "TableName": self._booking,
                    "Key": {"pk": citizen, "sk": {"S": f"SVCN#{a.service_id}"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
        reasons = [
            ("already_booked", "You already have an appointment for this service."),
            ("too_many_appointments", "You have as many appointments as you can hold at once."),
            ("online_limit_reached", ONLINE_LIMIT_REACHED),
            ("conflict", ""),
            ("conflict", ""),
        ]
        return actions, reasons

    def cancel(self, appointment: Appointment, new_status: Status = Status.CANCELLED) -> None:
        a = appointment
        actions = [self._status(a, new_status)]
        actions += [self._release(a, unit) for unit in a.units]
        self._release_citizen(a, actions, "not_booked", "The appointment is no longer active.")

    def close(self, appointment: Appointment, new_status: Status, notes: str | None) -> None:
        """Record an outcome: the places stay taken (the time was used), the citizen's booking is freed."""
        a = appointment
        status = self._status(a, new_status)
        if notes:
            status["Update"]["UpdateExpression"] += ", outcome_notes = :notes"
            status["Update"]["ExpressionAttributeValues"][":notes"] = {"S": notes}
        self._release_citizen(a, [status], "not_booked", "The appointment is no longer active.")

    def _release_citizen(self, a: Appointment, actions: list[dict[str, Any]], code: str, detail: str) -> None:
        """Write ``actions`` (the first one's condition failing means ``code``) with the citizen's limits freed.

        A code sign-in's contact leaves the set of contacts when its last active booking ends; whether this one is
        the last is read first and made a condition of the write, so a booking by the same contact at that moment
        makes the write fail and it is tried again with a fresh read.
        """
        reasons = [(code, detail)] + [("conflict", "")] * (len(actions) - 1)
        contact = a.citizen_contact
        for _ in range(TRANSACTION_ATTEMPTS):
            if not contact:
                self._transact(actions + self._identity_release(a), reasons + [("conflict", "")] * 2)
                return
            held = self._active_in(_scope(a.citizen, contact))
            release = self._contact_release(a, contact, last=held <= 1)
            try:
                self._transact(actions + release, reasons + [("legacy", ""), ("stale", "")] + [("conflict", "")] * 3)
            except Conflict as exc:
                if exc.code == "legacy":
                    # Booked before limits were kept per contact: it is counted under the ID number alone.
                    contact = None
                elif exc.code != "stale":
                    raise
                continue
            return
        raise DependencyUnavailable("The appointment could not be updated; nothing was changed.")

    def _active_in(self, pk: str) -> int:
        item = self._call(
            "get_item", TableName=self._booking, Key={"pk": {"S": pk}, "sk": {"S": "ACTIVE"}}, ConsistentRead=True
        ).get("Item")
        return int(item["active"]["N"]) if item and "active" in item else 0

    def _identity_release(self, a: Appointment) -> list[dict[str, Any]]:
        return [
            {
                "Delete": {
                    "TableName": self._booking,
                    "Key": {"pk": {"S": f"CIT#{a.citizen}"}, "sk": {"S": f"SVC#{a.service_id}"}},
                    "ConditionExpression": "appointment_id = :id",
                    "ExpressionAttributeValues": {":id": {"S": a.id}},
                }
            },
            _decrement(self._booking, f"CIT#{a.citizen}", "ACTIVE", "active"),
        ]

    def _contact_release(self, a: Appointment, contact: str, last: bool) -> list[dict[str, Any]]:
        scope = _scope(a.citizen, contact)
        in_scope = _decrement(self._booking, scope, "ACTIVE", "active")
        # The condition the read was made under: the last active booking of this contact, or one of several.
        in_scope["Update"]["ConditionExpression"] = "active = :one" if last else "active > :one"
        in_scope["Update"]["ExpressionAttributeValues"] = {":minus": {"N": "-1"}, ":one": {"N": "1"}}
        actions = [
            {
                "Delete": {
                    "TableName": self._booking,
                    "Key": {"pk": {"S": scope}, "sk": {"S": f"SVC#{a.service_id}"}},
                    "ConditionExpression": "appointment_id = :id",
                    "ExpressionAttributeValues": {":id": {"S": a.id}},
                }
            },
            in_scope,
            _decrement(self._booking, f"CIT#{a.citizen}", "ACTIVE", "active"),
            _decrement(self._booking, f"CIT#{a.citizen}", f"SVCN#{a.service_id}", "n"),
        ]
        if last:
            actions.append(
                {
                    "Update": {
                        "TableName": self._booking,
                        "Key": {"pk": {"S": f"CIT#{a.citizen}"}, "sk": {"S": "CONTACTS"}},
                        "UpdateExpression": "DELETE contacts :me",
                        "ExpressionAttributeValues": {":me": {"SS": [contact]}},
                    }
                }
            )
        return actions

    def reschedule(self, old: Appointment, new: Appointment) -> None:
        same_agent = old.agent == new.agent
        freed = [u for u in old.units if not (same_agent and u in set(new.units))]
        taken = [u for u in new.units if not (same_agent and u in set(old.units))]
        item = to_item(new)
        names = {f"#{k}": k for k in item if k != "id"}
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._appointments,
                    "Key": {"id": {"S": old.id}},
                    "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in item if k != "id"),
                    "ConditionExpression": "#status = :booked AND #version = :old_version",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {
                        **{f":{k}": v for k, v in item.items() if k != "id"},
                        ":booked": {"S": Status.BOOKED.value},
                        ":old_version": {"N": str(old.version)},
                    },
                }
            }
        ]
        actions += [self._take(new, unit) for unit in taken]
        actions += [self._release(old, unit) for unit in freed]
        reasons = [("not_booked", "The appointment changed meanwhile; reload it.")]
        reasons += [("slot_unavailable", "That time is no longer available; your appointment is unchanged.")] * len(
            taken
        )
        reasons += [("conflict", "")] * len(freed)
        self._transact(actions, reasons)

    def mark_reminder(self, appointment_id: str, which: str, value: str, claim: bool) -> bool:
        """Claim (only if not yet claimed or sent) or record a reminder; False when another run got there first."""
        condition = "#status = :booked AND attribute_not_exists(reminders.#w)" if claim else "attribute_exists(id)"
        values: dict[str, Any] = {":v": {"S": value}}
        if claim:
            values[":booked"] = {"S": Status.BOOKED.value}
        try:
            self._client.update_item(
                TableName=self._appointments,
                Key={"id": {"S": appointment_id}},
                UpdateExpression="SET reminders.#w = :v",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#w": which, **({"#status": "status"} if claim else {})},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The appointments could not be updated.") from exc
        return True

    def record_identity_check(self, appointment_id: str, check: IdentityCheck) -> bool:
        """Store the agent's check while the appointment is booked; False when it no longer is."""
        return self._conditional_set(
            appointment_id, "identity_check", {"M": {k: {"S": v} for k, v in check.to_item().items()}}
        )

    def raise_assurance(self, appointment_id: str, level: Assurance) -> bool:
        """Record that the citizen identified at ``level`` for this appointment (never lowers what is stored)."""
        lower = [a.value for a in Assurance if a.rank < level.rank]
        condition = (
            "#status = :booked AND (attribute_not_exists(citizen_assurance) OR citizen_assurance IN ("
            + ", ".join(f":l{i}" for i in range(len(lower)))
            + "))"
        )
        try:
            self._client.update_item(
                TableName=self._appointments,
                Key={"id": {"S": appointment_id}},
                UpdateExpression="SET citizen_assurance = :level",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":level": {"S": level.value},
                    ":booked": {"S": Status.BOOKED.value},
                    **{f":l{i}": {"S": v} for i, v in enumerate(lower)},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The appointments could not be updated.") from exc
        return True

    def _conditional_set(self, appointment_id: str, name: str, value: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self._appointments,
                Key={"id": {"S": appointment_id}},
                UpdateExpression="SET #n = :v",
                ConditionExpression="#status = :booked",
                ExpressionAttributeNames={"#n": name, "#status": "status"},
                ExpressionAttributeValues={":v": value, ":booked": {"S": Status.BOOKED.value}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise DependencyUnavailable("The appointments could not be updated.") from exc
        return True

    def unmark_reminder(self, appointment_id: str, which: str) -> None:
        self._client.update_item(
            TableName=self._appointments,
            Key={"id": {"S": appointment_id}},
            UpdateExpression="REMOVE reminders.#w",
            ExpressionAttributeNames={"#w": which},
        )

    # --- pieces ---------------------------------------------------------------------------------------------------
    def _take(self, a: Appointment, unit: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._booking,
                "Item": {**_cap_key(a.office.value, unit, a.agent), "appointment_id": {"S": a.id}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _release(self, a: Appointment, unit: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self._booking,
                "Key": _cap_key(a.office.value, unit, a.agent),
                "ConditionExpression": "appointment_id = :id",
                "ExpressionAttributeValues": {":id": {"S": a.id}},
            }
        }

    def _status(self, a: Appointment, status: Status) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._appointments,
                "Key": {"id": {"S": a.id}},
                "UpdateExpression": "SET #status = :new, #version = #version + :one",
                "ConditionExpression": "#status = :booked",
                "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
                "ExpressionAttributeValues": {
                    ":new": {"S": status.value},
                    ":booked": {"S": Status.BOOKED.value},
                    ":one": {"N": "1"},
                },
            }
        }

    def _transact(self, actions: Sequence[dict[str, Any]], reasons: Sequence[tuple[str, str]]) -> None:
        # No ClientRequestToken: retries are made safe by Powertools idempotency on the request, and a token tied to
        # the caller's key would make two different requests with equal keys fail for ten minutes.
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._client.transact_write_items(TransactItems=list(actions))
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise DependencyUnavailable("The booking could not be saved; nothing was changed.") from exc
                cancelled = exc.response.get("CancellationReasons") or []
                for index, reason in enumerate(cancelled):
                    if reason.get("Code") == "ConditionalCheckFailed":
                        code, detail = reasons[index] if index < len(reasons) else ("conflict", "")
                        raise Conflict(code, detail or "The request conflicts with the current state.") from None
                if (
                    any(r.get("Code") == "TransactionConflict" for r in cancelled)
                    and attempt + 1 < TRANSACTION_ATTEMPTS
                ):
                    # Another transaction touched the same items at that moment; ours changed nothing: try again.
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not security
                    continue
                raise DependencyUnavailable("The booking could not be saved; nothing was changed.") from exc
            return

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            raise DependencyUnavailable("The appointments could not be read.") from exc
