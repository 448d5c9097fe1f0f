"""Staff administration (issue 15): administrators add, change and disable staff and send them single-use links;
the links set a password once; the last enabled administrator stays; disabling someone ends their sessions at once."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import AuditItem, AuthItem, StaffItem
from chalicelib.bootstrap import get_container
from chalicelib.domain.audit import RequestContext
from chalicelib.domain.capacity import Affected, Handled
from dev.seed import DemoCounts
from tests.api.conftest import STAFF_PASSWORD
from tests.api.tables import dev_table
from tests.zones import COUNCIL_ZONE

JSON = {"Content-Type": "application/json"}
NEW_PASSWORD = "a quiet walk by the river"
NEW: dict[str, Any] = {
    "username": "joan.pi",
    "name": "Joan Pi Roca",
    "email": "joan.pi@vilademo.example",
    "roles": ["agent"],
    "office": "OMAC",
}


def token_of(username: str) -> str:
    container = get_container()
    account = container.staff.get(username)
    assert account is not None
    return container.sessions.issue_staff(account).token


def call(client: Client, method: str, path: str, payload: Any = None, token: str | None = None) -> Any:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    if method == "GET":
        return client.http.get(path, headers=headers)
    return client.http.request(method, path, headers=headers, body=json.dumps(payload or {}).encode())


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else {}


def admin(client: Client, method: str, path: str, payload: Any = None) -> Any:
    client.http.get("/services")  # the container is built with the stage's environment by a first request
    return call(client, method, path, payload, token_of("admin"))


def outbox(client: Client, to: str) -> list[dict[str, Any]]:
    return list(body(client.http.get(f"/dev/outbox?to={to}"))["items"])


def link_token(client: Client, to: str) -> str:
    match = re.search(r"/staff/activate#token=([A-Za-z0-9_-]+)", outbox(client, to)[0]["body"])
    assert match, outbox(client, to)
    return match.group(1)


def change(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    keys = ("name", "email", "roles", "office", "enabled", "version")
    return {**{k: record[k] for k in keys}, **fields}


def sign_in(client: Client, username: str, password: str, email: str) -> Any:
    first = call(client, "POST", "/auth/staff/login", {"username": username, "password": password})
    assert body(first)["code"] == "otp_required", first.body
    code = re.search(r"\b(\d{6})\b", outbox(client, email)[0]["body"])
    assert code
    return call(client, "POST", "/auth/staff/login", {"username": username, "password": password, "otp": code[1]})


# --- reading -------------------------------------------------------------------------------------------------------


def test_an_admin_lists_staff_and_one_office_s(client: Client, demo: DemoCounts) -> None:
    everyone = admin(client, "GET", "/admin/staff")
    omac = admin(client, "GET", "/admin/staff?office=OMAC")

    assert everyone.status_code == 200
    names = [s["username"] for s in body(everyone)["items"]]
    assert names == sorted(names)
    assert {"admin", "agent.omac", "agent.ogat", "supervisor"} <= set(names)
    assert not any(n.startswith("#") for n in names)
    assert {s["username"] for s in body(omac)["items"]} == {"agent.omac", "agent.omac2"}
    one = body(admin(client, "GET", "/admin/staff/agent.omac"))
    assert one["version"] == 1
    assert one["activated"] is True
    assert one["enabled"] is True
    assert one["office"] == "OMAC"
    assert one["roles"] == ["agent"]
    assert set(one["schedule"]) == {"office", "weekly", "version"}
    assert "password_hash" not in json.dumps(body(everyone))


def test_an_unknown_office_filter_is_422_and_an_unknown_person_404(client: Client, demo: DemoCounts) -> None:
    assert body(admin(client, "GET", "/admin/staff?office=NOPE"))["errors"][0]["field"] == "office"
    assert admin(client, "GET", "/admin/staff/nobody.here").status_code == 404
    assert (
        admin(client, "PUT", "/admin/staff/nobody.here", change(NEW | {"enabled": True, "version": 1})).status_code
        == 404
    )
    assert admin(client, "POST", "/admin/staff/nobody.here/invitation").status_code == 404
    assert admin(client, "POST", "/admin/staff/nobody.here/password-reset").status_code == 404


@pytest.mark.parametrize("role", ["agent.omac", "supervisor", "auditor"])
def test_staff_other_than_admins_are_told_there_is_nothing_here(client: Client, demo: DemoCounts, role: str) -> None:
    client.http.get("/services")
    token = token_of(role)

    assert call(client, "GET", "/admin/staff", token=token).status_code == 404
    assert call(client, "GET", "/admin/staff/admin", token=token).status_code == 404
    assert call(client, "POST", "/admin/staff", NEW, token).status_code == 404  # not 422: the body is not judged
    assert call(client, "GET", "/admin/staff").status_code == 401


# --- creating, inviting, activating ---------------------------------------------------------------------------------


def test_invitation_activation_and_sign_in(client: Client, demo: DemoCounts) -> None:
    created = admin(client, "POST", "/admin/staff", NEW)

    assert created.status_code == 201, created.body
    record = body(created)
    assert record | {"schedule": None} == {
        **NEW,
        "enabled": True,
        "activated": False,
        "version": 1,
        "schedule": None,
        "exceptions": [],
    }
    mail = outbox(client, NEW["email"])[0]
    assert "Admin Vilademo" in mail["body"]
    assert "72" in mail["body"]
    assert "http://localhost" in mail["body"] or "/staff/activate#token=" in mail["body"]
    token = link_token(client, NEW["email"])
    # Not yet activated: no password works.
    assert call(client, "POST", "/auth/staff/login", {"username": "joan.pi", "password": "x" * 12}).status_code == 401

    used = call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD})

    assert used.status_code == 204, used.body
    signed_in = sign_in(client, "joan.pi", NEW_PASSWORD, NEW["email"])
    assert signed_in.status_code == 200, signed_in.body
    me = body(call(client, "GET", "/me", token=body(signed_in)["access_token"]))
    assert me["username"] == "joan.pi"
    assert me["office"] == "OMAC"
    assert body(admin(client, "GET", "/admin/staff/joan.pi"))["activated"] is True
    # The link worked once.
    again = call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD + "!"})
    assert again.status_code == 410
    assert body(again)["code"] == "invitation_expired"


def test_an_unknown_or_expired_link_is_410(client: Client, demo: DemoCounts) -> None:
    admin(client, "POST", "/admin/staff", NEW)
    token = link_token(client, NEW["email"])
    unknown = call(client, "POST", "/auth/staff/activate", {"token": "x" * 43, "password": NEW_PASSWORD})
    assert unknown.status_code == 410
    assert body(unknown)["code"] == "invitation_expired"
    m = dev_table(StaffItem, "staff")
    m("joan.pi").update(actions=[m.token_expires.set(int(time.time()) - 1)])

    expired = call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD})

    assert expired.status_code == 410


def test_a_resent_invitation_replaces_the_old_link(client: Client, demo: DemoCounts) -> None:
    admin(client, "POST", "/admin/staff", NEW)
    old = link_token(client, NEW["email"])

    resent = admin(client, "POST", "/admin/staff/joan.pi/invitation")

    assert resent.status_code == 202
    new = link_token(client, NEW["email"])
    assert new != old
    assert call(client, "POST", "/auth/staff/activate", {"token": old, "password": NEW_PASSWORD}).status_code == 410
    assert call(client, "POST", "/auth/staff/activate", {"token": new, "password": NEW_PASSWORD}).status_code == 204
    # Once a password is set, an invitation makes no sense: a reset does.
    assert admin(client, "POST", "/admin/staff/joan.pi/invitation").status_code == 409


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short pass", "too_short"),
        ("my name is joan.pi ok", "contains_username"),
        ("passwordpassword", "too_common"),
        ("123456789012", "too_common"),
        ("qwertyuiopasdf", "too_common"),
        ("x" * 129, "too_long"),
    ],
)
def test_weak_passwords_are_refused_and_the_link_still_works(
    client: Client, demo: DemoCounts, password: str, code: str
) -> None:
    admin(client, "POST", "/admin/staff", NEW)
    token = link_token(client, NEW["email"])

    refused = call(client, "POST", "/auth/staff/activate", {"token": token, "password": password})

    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in body(refused)["errors"]] == [("password", code)]
    assert call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD}).status_code == 204


def test_activation_attempts_are_rate_limited(client: Client, demo: DemoCounts) -> None:
    limit = get_container().limits.staff_activations_per_source_ip if client.http.get("/services") else 0
    answers = [
        call(client, "POST", "/auth/staff/activate", {"token": f"guess{n}", "password": NEW_PASSWORD}).status_code
        for n in range(limit + 1)
    ]

    assert answers[:limit] == [410] * limit
    assert answers[limit] == 429


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"username": "Joan"}, "username", "username"),
        ({"username": "jp"}, "username", "username"),
        ({"username": "j" * 32}, "username", "username"),
        ({"username": "1joan"}, "username", "username"),
        ({"username": None}, "username", "username"),
        ({"name": ""}, "name", "length"),
        ({"name": "n" * 121}, "name", "length"),
        ({"email": "not an address"}, "email", "email"),
        ({"roles": []}, "roles", "staff_roles"),
        ({"roles": ["citizen"]}, "roles", "staff_roles"),
        ({"roles": ["agent", "agent"]}, "roles", "staff_roles"),
        ({"roles": "agent"}, "roles", "staff_roles"),
        ({"office": None}, "office", "agent_office"),
        ({"office": "NOPE"}, "office", "unknown_office"),
        ({"office": 7}, "office", "unknown_office"),
    ],
)
def test_a_bad_new_member_of_staff_is_422_naming_the_field(
    client: Client, demo: DemoCounts, fields: dict[str, Any], field: str, code: str
) -> None:
    answer = admin(client, "POST", "/admin/staff", {**NEW, **fields})

    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in body(answer)["errors"]] == [(field, code)]


def test_a_supervisor_needs_no_office_and_a_duplicate_user_name_is_409(client: Client, demo: DemoCounts) -> None:
    supervisor = {**NEW, "roles": ["supervisor"], "office": None}
    assert admin(client, "POST", "/admin/staff", supervisor).status_code == 201

    again = admin(client, "POST", "/admin/staff", {**supervisor, "name": "Someone Else"})
    demo_user = admin(client, "POST", "/admin/staff", {**supervisor, "username": "admin"})

    assert again.status_code == 409
    assert body(again)["code"] == "already_exists"
    assert demo_user.status_code == 409
    assert body(admin(client, "GET", "/admin/staff/admin"))["name"] == "Admin Vilademo"


# --- changing ------------------------------------------------------------------------------------------------------


def test_a_change_needs_the_version_read(client: Client, demo: DemoCounts) -> None:
    record = body(admin(client, "GET", "/admin/staff/agent.omac"))

    changed = admin(client, "PUT", "/admin/staff/agent.omac", change(record, name="Laia Font i Serra"))
    stale = admin(client, "PUT", "/admin/staff/agent.omac", change(record, name="Laia F."))

    assert changed.status_code == 200, changed.body
    assert body(changed) == {"staff": body(changed)["staff"], "affected": []}
    assert body(changed)["staff"]["version"] == 2
    assert body(changed)["staff"]["name"] == "Laia Font i Serra"
    assert stale.status_code == 409
    assert body(stale)["code"] == "version_conflict"
    assert body(admin(client, "GET", "/admin/staff/agent.omac"))["name"] == "Laia Font i Serra"


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"version": 0}, "version", "version"),
        ({"version": "1"}, "version", "version"),
        ({"version": None}, "version", "version"),
        ({"enabled": "no"}, "enabled", "boolean"),
        ({"roles": ["agent", "root"]}, "roles", "staff_roles"),
        ({"office": None}, "office", "agent_office"),
        ({"email": "x@"}, "email", "email"),
    ],
)
def test_a_bad_change_is_422(client: Client, demo: DemoCounts, fields: dict[str, Any], field: str, code: str) -> None:
    record = body(admin(client, "GET", "/admin/staff/agent.omac"))

    answer = admin(client, "PUT", "/admin/staff/agent.omac", change(record, **fields))

    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in body(answer)["errors"]] == [(field, code)]


def test_two_admins_changing_the_same_person_at_once_one_wins(client: Client, demo: DemoCounts) -> None:
    record = body(admin(client, "GET", "/admin/staff/agent.ogat"))
    answers: list[int] = []
    start = threading.Barrier(2)

    def save(name: str) -> None:
        start.wait()
        answers.append(admin(client, "PUT", "/admin/staff/agent.ogat", change(record, name=name)).status_code)

    threads = [threading.Thread(target=save, args=(n,)) for n in ("Marta One", "Marta Two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(answers) == [200, 409]
    saved = body(admin(client, "GET", "/admin/staff/agent.ogat"))
    assert saved["version"] == 2
    assert saved["name"] in ("Marta One", "Marta Two")


def test_disabling_someone_ends_their_sessions_at_once(client: Client, demo: DemoCounts) -> None:
    client.http.get("/services")
    before = token_of("agent.ogat")
    assert call(client, "GET", "/me", token=before).status_code == 200
    record = body(admin(client, "GET", "/admin/staff/agent.ogat"))

    disabled = admin(client, "PUT", "/admin/staff/agent.ogat", change(record, enabled=False))

    assert disabled.status_code == 200
    assert call(client, "GET", "/me", token=before).status_code == 401
    login = call(client, "POST", "/auth/staff/login", {"username": "agent.ogat", "password": STAFF_PASSWORD})
    assert login.status_code == 403
    # Enabled again, the old token stays dead: they sign in anew.
    again = admin(client, "PUT", "/admin/staff/agent.ogat", change(body(disabled)["staff"], enabled=True))
    assert again.status_code == 200
    assert call(client, "GET", "/me", token=before).status_code == 401
    assert call(client, "GET", "/me", token=token_of("agent.ogat")).status_code == 200


def test_disabling_an_agent_asks_the_capacity_rules(client: Client, demo: DemoCounts) -> None:
    client.http.get("/services")
    asked: list[tuple[str, str, bool]] = []
    moved = Affected("a1", datetime(2026, 12, 1, 9, tzinfo=COUNCIL_ZONE), "s", "reassigned", "agent.omac")

    class Rules:
        def agent_left(self, username: str, office: str, preview: bool, context: RequestContext) -> Handled:
            asked.append((username, office, preview))
            return Handled([moved])

    get_container().staff_admin._capacity = Rules()  # type: ignore[assignment]
    record = body(admin(client, "GET", "/admin/staff/agent.omac2"))
    renamed = admin(client, "PUT", "/admin/staff/agent.omac2", change(record, name="Pau V."))
    previewed = admin(
        client, "PUT", "/admin/staff/agent.omac2?preview=true", change(body(renamed)["staff"], enabled=False)
    )
    disabled = admin(client, "PUT", "/admin/staff/agent.omac2", change(body(renamed)["staff"], enabled=False))

    assert body(renamed)["affected"] == []
    assert body(previewed) == {"affected": [moved.as_json()]}  # nothing saved: the same version disables next
    assert body(disabled)["affected"] == [moved.as_json()]
    assert body(disabled)["staff"]["enabled"] is False
    assert asked == [("agent.omac2", "OMAC", True), ("agent.omac2", "OMAC", False)]


def test_the_last_enabled_admin_stays(client: Client, demo: DemoCounts) -> None:
    record = body(admin(client, "GET", "/admin/staff/admin"))

    disabled = admin(client, "PUT", "/admin/staff/admin", change(record, enabled=False))
    demoted = admin(client, "PUT", "/admin/staff/admin", change(record, roles=["supervisor"]))

    assert disabled.status_code == 409
    assert body(disabled)["code"] == "last_admin"
    assert demoted.status_code == 409
    assert body(demoted)["code"] == "last_admin"
    # With a second administrator, the first may go.
    second = admin(client, "POST", "/admin/staff", {**NEW, "roles": ["admin"], "office": None})
    assert second.status_code == 201
    assert admin(client, "PUT", "/admin/staff/admin", change(record, roles=["supervisor"])).status_code == 200


def test_two_admins_disabling_each_other_at_once_leave_one(client: Client, demo: DemoCounts) -> None:
    client.http.get("/services")
    admin_2 = {**NEW, "username": "admin.two", "roles": ["admin"], "office": None}
    assert admin(client, "POST", "/admin/staff", admin_2).status_code == 201
    # admin.two is not activated: a token for tests only.
    tokens = {"admin": token_of("admin"), "admin.two": token_of("admin.two")}
    records = {u: body(admin(client, "GET", f"/admin/staff/{u}")) for u in tokens}
    answers: list[int] = []
    start = threading.Barrier(2)

    def disable(actor: str, target: str) -> None:
        start.wait()
        answer = call(client, "PUT", f"/admin/staff/{target}", change(records[target], enabled=False), tokens[actor])
        answers.append(answer.status_code)

    threads = [
        threading.Thread(target=disable, args=("admin", "admin.two")),
        threading.Thread(target=disable, args=("admin.two", "admin")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(answers) in ([200, 401], [200, 409])  # the loser is refused, or already disabled itself
    people = [i for i in dev_table(StaffItem, "staff").scan() if not i.username.startswith("#")]
    assert len([i for i in people if i.enabled and "admin" in i.roles]) == 1


# --- password reset ------------------------------------------------------------------------------------------------


def test_a_password_reset_sets_a_new_password_and_ends_older_sessions(client: Client, demo: DemoCounts) -> None:
    client.http.get("/services")
    before = token_of("auditor")

    sent = admin(client, "POST", "/admin/staff/auditor/password-reset")

    assert sent.status_code == 202
    mail = outbox(client, "auditor@vilademo.example")[0]
    assert "&purpose=reset" in mail["body"]
    assert "72" in mail["body"]
    assert call(client, "GET", "/me", token=before).status_code == 200  # until the new password is set
    token = link_token(client, "auditor@vilademo.example")
    assert call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD}).status_code == 204
    assert call(client, "GET", "/me", token=before).status_code == 401
    assert sign_in(client, "auditor", NEW_PASSWORD, "auditor@vilademo.example").status_code == 200
    old = call(client, "POST", "/auth/staff/login", {"username": "auditor", "password": STAFF_PASSWORD})
    assert old.status_code == 401


def test_a_disabled_account_gets_no_reset(client: Client, demo: DemoCounts) -> None:
    record = body(admin(client, "GET", "/admin/staff/auditor"))
    admin(client, "PUT", "/admin/staff/auditor", change(record, enabled=False))

    assert admin(client, "POST", "/admin/staff/auditor/password-reset").status_code == 409


# --- the trail -----------------------------------------------------------------------------------------------------


def test_every_write_is_audited_with_before_and_after_and_no_secret(client: Client, demo: DemoCounts) -> None:
    admin(client, "POST", "/admin/staff", NEW)
    token = link_token(client, NEW["email"])
    record = body(admin(client, "GET", "/admin/staff/joan.pi"))
    admin(client, "PUT", "/admin/staff/joan.pi", change(record, roles=["agent", "supervisor"]))
    admin(client, "POST", "/admin/staff/joan.pi/invitation")
    token = link_token(client, NEW["email"])
    call(client, "POST", "/auth/staff/activate", {"token": token, "password": NEW_PASSWORD})
    admin(client, "POST", "/admin/staff/joan.pi/password-reset")

    scanned = dev_table(AuditItem, "audit").scan()
    events = [e for e in scanned if e.action.startswith("staff.") and "joan.pi" in e.subject]
    by_action = {e.action: e for e in events}
    assert set(by_action) == {"staff.create", "staff.update", "staff.invite", "staff.activate", "staff.password_reset"}
    dump = json.dumps([e.attribute_values for e in events], default=str)
    details = {e.action: dict(e.details.attribute_values) for e in events}
    assert details["staff.create"]["before"] == "null"
    assert json.loads(details["staff.update"]["before"])["roles"] == ["agent"]
    assert json.loads(details["staff.update"]["after"])["roles"] == ["agent", "supervisor"]
    assert details["staff.update"]["changed"] == "roles"
    assert NEW_PASSWORD not in dump
    assert token not in dump
    assert "argon2" not in dump
    assert NEW["email"] not in dump
    assert NEW["name"] not in dump
    links = [i for i in dev_table(AuthItem, "auth").scan() if i.pk.startswith("STAFFLINK#")]
    assert links
    assert all(token not in i.pk for i in links)
