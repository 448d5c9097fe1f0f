"""Signing in and staying signed in: citizens by one-time code or eID, staff by password and emailed code.

Every sign-in, failure, lockout and logout is an audit event; none carries a code or a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from chalicelib.auth import codes
from chalicelib.auth.eid import EidClient, EidError, Pkce, safe_return_path
from chalicelib.auth.principal import Principal, Role
from chalicelib.auth.state import Challenge, Session
from chalicelib.auth.tokens import AUDIENCE_API, IssuedToken, TokenService
from chalicelib.domain.audit import Actor, AuditEvent, Outcome, RequestContext
from chalicelib.domain.catalogue import Assurance
from chalicelib.domain.errors import FieldError, Forbidden, RateLimited, Unauthenticated, ValidationFailed
from chalicelib.domain.identifiers import Channel, masked
from chalicelib.domain.messages import code_message, code_sms, staff_code_message
from chalicelib.services.commands import CodeEntry, RequestCode, StaffLogin
from chalicelib.services.ports import AuditLog, AuthStore, Message, Notifier, StaffAccount, StaffDirectory

# The SPA's random id of one eID attempt (base64url).
EID_ATTEMPT = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    """Abuse limits. Fixed 15-minute windows: an attacker can hold a citizen's codes back for minutes, not hours.

    One bucket per purpose, never shared (a public document check must not spend a sign-in's allowance). Limits
    per source address are only a backstop sized for a shared address (a library's or a town hall's Wi-Fi, a mobile
    carrier's NAT), so one neighbour cannot use them up for everyone behind it; the limits per challenge, per
    (ID number, destination), per destination and per account-and-address do the real work.

    There is deliberately no limit per ID number over every destination: anyone who knows an ID number could spend
    it from their own addresses and keep the owner from signing in. Each destination has its own allowance, which
    only someone who controls that destination (or asks for it) spends; flooding one identity from many addresses
    costs the attacker an address per three codes and still never touches the owner's own address.
    """

    code_minutes: int = 10
    attempts_per_code: int = 5
    window_seconds: int = 900
    # Per (ID number, destination): the person's own address keeps its allowance whatever others send elsewhere.
    codes_per_id_number_and_destination: int = 3
    codes_per_destination: int = 3
    codes_per_source_ip: int = 100
    verifications_per_source_ip: int = 500
    # Per account from one address: guessing a password is capped where the guesses come from, so a stranger
    # cannot lock the agent out from their own desk; the emailed second factor stops a guessed password anyway.
    staff_logins_per_username_and_source_ip: int = 5
    # Per account over every address: a backstop against guessing spread over many addresses.
    staff_logins_per_username: int = 100
    staff_logins_per_source_ip: int = 50
    # Setting a password through an invitation or reset link (a token of 256 bits: this only keeps guessing noisy).
    staff_activations_per_source_ip: int = 20
    # Requesting a code takes at least this long whoever asks, so timing tells nothing about the person.
    min_request_seconds: float = 0.4
    eid_flow_minutes: int = 10
    # One-tap links (a token of 128 bits: this keeps guessing noisy and a script from reading links in bulk).
    link_lookups_per_source_ip: int = 120
    link_uses_per_source_ip: int = 30


class Sessions:
    """Issues access tokens (one session record each) and turns a bearer token back into a Principal."""

    def __init__(
        self,
        tokens: TokenService,
        store: AuthStore,
        staff: StaffDirectory,
        citizen_lifetime: timedelta,
        staff_lifetime: timedelta,
        staff_idle: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tokens = tokens
        self._store = store
        self._staff = staff
        self._citizen_lifetime = citizen_lifetime
        self._staff_lifetime = staff_lifetime
        self._staff_idle = staff_idle
        self._clock = clock

    def issue_citizen(
        self, subject: str, assurance: Assurance, method: str, contact: str | None, name: str | None
    ) -> IssuedToken:
        claims: dict[str, Any] = {"kind": "citizen", "acr": assurance.value, "amr": method}
        if contact:
            claims["cnt"] = contact
        if name:
            claims["name"] = name
        return self._issue(subject, "citizen", self._citizen_lifetime, claims)

    def issue_scoped(self, subject: str, appointment_id: str, lifetime: timedelta) -> IssuedToken:
        """A session a one-tap "join" link opens for a low-assurance service: the appointment's citizen, at level
        low, able to view and join that one appointment only (``scp``; chalicelib/auth/policy.py), for as long as
        its call window lasts. It is an ordinary session record, so the media node can ask whether it was revoked."""
        claims: dict[str, Any] = {"kind": "citizen", "acr": Assurance.LOW.value, "amr": "link", "scp": appointment_id}
        return self._issue(subject, "citizen", lifetime, claims)

    def issue_staff(self, account: StaffAccount) -> IssuedToken:
        claims: dict[str, Any] = {
            "kind": "staff",
            "roles": sorted(r.value for r in account.roles),
            "name": account.name,
            "amr": "pwd+otp",
        }
        if account.office:
            claims["office"] = account.office
        if account.session_epoch:
            claims["sep"] = account.session_epoch
        return self._issue(account.username, "staff", self._staff_lifetime, claims, account.session_epoch)

    def _issue(
        self, subject: str, kind: str, lifetime: timedelta, claims: dict[str, Any], epoch: int = 0
    ) -> IssuedToken:
        issued = self._tokens.issue(subject, AUDIENCE_API, lifetime, claims)
        now = int(self._clock().timestamp())
        expires_at = int(issued.expires_at.timestamp())
        self._store.put_session(Session(issued.token_id, subject, kind, False, now, expires_at, epoch))
        return issued

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("invalid_token", "Sign in to continue.")
        claims = self._tokens.verify(authorization.removeprefix("Bearer ").strip(), AUDIENCE_API)
        session = self._store.get_session(str(claims["jti"]))
        now = int(self._clock().timestamp())
        if session is None or session.revoked or session.subject != claims["sub"] or session.expires_at <= now:
            raise Unauthenticated("invalid_token", "Your session has ended; sign in again.")
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        if claims.get("kind") == "staff":
            account = self._staff.get(str(claims["sub"]))
            if account is None or not account.enabled:
                raise Unauthenticated("account_disabled", "This account is disabled.")
            if int(claims.get("sep", 0)) != account.session_epoch:  # a password set or reset since, or disabled
                raise Unauthenticated("invalid_token", "Your session has ended; sign in again.")
            if now - session.last_seen > self._staff_idle.total_seconds():
                raise Unauthenticated("invalid_token", "Your session ended after a while without activity.")
            if now - session.last_seen >= 60:  # one write a minute at most keeps the idle clock right
                self._store.touch_session(session.token_id, now)
            return Principal(
                subject=account.username,
                roles=account.roles,
                token_id=session.token_id,
                expires_at=expires_at,
                assurance=Assurance.SUBSTANTIAL,
                auth_method="pwd+otp",
                office=account.office,
                name=account.name,
            )
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset({Role.CITIZEN}),
            token_id=session.token_id,
            expires_at=expires_at,
            assurance=Assurance(str(claims.get("acr", "low"))),
            auth_method=str(claims.get("amr", "otp")),
            name=claims.get("name"),
            contact=claims.get("cnt"),
            scope=str(claims["scp"]) if claims.get("scp") else None,
        )

    def revoke(self, principal: Principal) -> None:
        self._store.revoke_session(principal.token_id)

    def revoked(self, token_ids: Iterable[str]) -> list[str]:
        """Of these sessions, those whose holder may no longer act: signed out, or a staff account since disabled
        or given a new password (set or reset: its epoch moved on, as ``authenticate`` refuses such a token).

        A session whose record is gone has only run out its time (records outlive their tokens until the table's
        time to live removes them): not revoked, so a sign-in that expires during a call does not end the call.
        """
        revoked: list[str] = []
        accounts: dict[str, int | None] = {}  # a staff account's current epoch, None when it may not act at all
        for token_id in dict.fromkeys(token_ids):
            session = self._store.get_session(token_id)
            if session is None:
                continue
            if session.kind == "staff" and session.subject not in accounts:
                account = self._staff.get(session.subject)
                accounts[session.subject] = account.session_epoch if account is not None and account.enabled else None
            if session.revoked or (session.kind == "staff" and accounts[session.subject] != session.epoch):
                revoked.append(token_id)
        return revoked


def citizen_actor(subject: str) -> Actor:
    return Actor(f"citizen:{subject}", "citizen")


class RateLimiter:
    def __init__(
        self, store: AuthStore, limits: Limits, pepper: Callable[[], bytes], clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._limits = limits
        self._pepper = pepper
        self._clock = clock

    def take(self, checks: list[tuple[str, str, int]], code: str = "rate_limited") -> None:
        """Count one event against every (scope, key, limit); RateLimited with the wait if any is full."""
        window = self._limits.window_seconds
        now = int(self._clock())
        start = now - now % window
        for scope, key, limit in checks:
            if not self._store.hit(scope, self._key(key), start, window, limit):
                raise RateLimited(start + window - now, code, "Too many attempts: wait a few minutes and try again.")

    def _key(self, key: str) -> str:
        # Counters are keyed by ID numbers, addresses and user names: stored under a keyed hash, never as they are.
        return hmac.new(self._pepper(), f"rate:{key}".encode(), hashlib.sha256).hexdigest()[:32]


class CitizenSignIn:
    def __init__(
        self,
        store: AuthStore,
        sessions: Sessions,
        notifier: Notifier,
        audit: AuditLog,
        pepper: Callable[[], bytes],
        limits: Limits,
        eid: Callable[[], EidClient | None],
        public_base_url: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._notifier = notifier
        self._audit = audit
        self._pepper = pepper
        self._limits = limits
        self._eid = eid
        self._base = public_base_url.rstrip("/")
        self._clock = clock
        self._sleep = sleep
        self._limiter = RateLimiter(store, limits, pepper, clock)

    @cached_property
    def _pepper_bytes(self) -> bytes:
        return self._pepper()

    def request_code(self, request: RequestCode, context: RequestContext) -> tuple[str, int]:
        """Send a code; (challenge id, seconds it lives). Same answer whether or not we know the person."""
        started = self._clock()
        subject, channel, to = request.id_number, request.channel, request.destination
        limits = self._limits
        try:
            self._limiter.take(
                [
                    ("otp-request-ip", context.source_ip or "unknown", limits.codes_per_source_ip),
                    ("otp-request-id-to", f"{subject}|{to}", limits.codes_per_id_number_and_destination),
                    ("otp-request-to", to, limits.codes_per_destination),
                ]
            )
        except RateLimited:
            self._record("auth.otp.lockout", subject, Outcome.DENIED, context, {"reason": "rate limit"})
            raise
        challenge_id = codes.new_id()
        code = codes.new_code()
        lifetime = limits.code_minutes * 60
        self._store.put_challenge(
            Challenge(
                id=challenge_id,
                purpose="citizen",
                subject=subject,
                digest=codes.code_digest(self._pepper_bytes, challenge_id, code),
                contact=codes.contact_digest(self._pepper_bytes, to),
                attempts=0,
                used=False,
                expires_at=int(self._clock()) + lifetime,
            )
        )
        if channel is Channel.EMAIL:
            subject_line, text = code_message(code, limits.code_minutes, request.language)
            self._notifier.send(Message(channel.value, to, text, "otp", subject_line))
        else:
            text = code_sms(code, limits.code_minutes, request.language)
            self._notifier.send(Message(channel.value, to, text, "otp"))
        self._record(
            "auth.otp.request", subject, Outcome.SUCCESS, context, {"channel": channel.value, "to": masked(to)}
        )
        remaining = limits.min_request_seconds - (self._clock() - started)
        if remaining > 0:
            self._sleep(remaining)
        return challenge_id, lifetime

    def verify_code(self, entry: CodeEntry, context: RequestContext) -> IssuedToken:
        challenge_id, code = entry.challenge_id, entry.code
        # The real limit is the challenge's own attempts (``_check_code``); this only stops a flood from one address.
        self._limiter.take(
            [("otp-verify-ip", context.source_ip or "unknown", self._limits.verifications_per_source_ip)]
        )
        challenge = self._store.get_challenge(challenge_id)
        if challenge is None or challenge.purpose != "citizen":
            raise Unauthenticated("code_expired", "This code is no longer valid: ask for a new one.")
        return self._sessions.issue_citizen(
            challenge.subject,
            Assurance.LOW,
            "otp",
            self._check_code(challenge, code, context),
            None,
        )

    def _check_code(self, challenge: Challenge, code: str, context: RequestContext) -> str:
        """Spend one attempt on the code; the verified contact's digest when right, else the right refusal."""
        now = int(self._clock())
        if challenge.used or challenge.expires_at <= now:
            self._record("auth.otp.verify", challenge.subject, Outcome.FAILURE, context, {"reason": "expired or used"})
            raise Unauthenticated("code_expired", "This code is no longer valid: ask for a new one.")
        attempts = self._store.record_attempt(challenge.id, self._limits.attempts_per_code)
        if attempts is None:
            self._record("auth.otp.lockout", challenge.subject, Outcome.DENIED, context, {"reason": "attempts"})
            raise RateLimited(
                self._limits.window_seconds, "too_many_attempts", "Too many wrong codes: ask for a new code."
            )
        if not codes.matches(self._pepper_bytes, challenge.id, code, challenge.digest):
            left = self._limits.attempts_per_code - attempts
            self._record("auth.otp.verify", challenge.subject, Outcome.FAILURE, context, {"reason": "wrong code"})
            if left <= 0:
                self._record("auth.otp.lockout", challenge.subject, Outcome.DENIED, context, {"reason": "attempts"})
                raise RateLimited(
                    self._limits.window_seconds, "too_many_attempts", "Too many wrong codes: ask for a new code."
                )
            raise Unauthenticated("invalid_code", "The code is not right.", attempts_left=left)
        if not self._store.consume(challenge.id):
            raise Unauthenticated("code_expired", "This code has already been used: ask for a new one.")
        self._record("auth.otp.verify", challenge.subject, Outcome.SUCCESS, context, {})
        return challenge.contact

    # --- eID ----------------------------------------------------------------------------------------------------
    # Login CSRF: without these, a stranger could finish their own eID flow in someone else's browser (by luring
    # it to the callback, or to the done page with a token) and have that person act in the stranger's name. A flow
    # is bound to the browser that started it (a random value in an HttpOnly cookie; the flow keeps its digest),
    # and the done page accepts only the token of the attempt it started (``attempt``, kept in its sessionStorage).
    def eid_start(self, return_to: object, attempt: object) -> tuple[str, str]:
        """The provider's URL and the browser binding to set as a cookie."""
        client = self._eid()
        if client is None:
            raise Unauthenticated("eid_unavailable", "Digital identity sign-in is not available right now.")
        if not isinstance(attempt, str) or not EID_ATTEMPT.fullmatch(attempt):
            raise ValidationFailed([FieldError("attempt", "malformed")])
        state, pkce, browser = codes.new_id(), Pkce.new(), codes.new_id()
        expires = int(self._clock()) + self._limits.eid_flow_minutes * 60
        data = {
            "verifier": pkce.verifier,
            "return_to": safe_return_path(return_to),
            "attempt": attempt,
            "browser": _digest(browser),
        }
        self._store.put_flow(state, data, expires)
        return client.authorize_url(state, pkce), browser

    def eid_finish(self, params: dict[str, str], browser: str | None, context: RequestContext) -> str:
        """Where to send the browser: the app's ``/auth/eid/done`` with a token (or an error) in the fragment."""
        done = f"{self._base}/auth/eid/done#"
        flow = self._store.take_flow(params.get("state", "")) if params.get("state") else None
        client = self._eid()
        if flow is None or flow[1] <= int(self._clock()) or client is None:
            self._record("auth.eid.signin", "unknown", Outcome.FAILURE, context, {"reason": "unknown or old state"})
            return done + urlencode({"error": "eid_failed"})
        data, _ = flow
        if not browser or not hmac.compare_digest(_digest(browser), str(data.get("browser", ""))):
            self._record(
                "auth.eid.signin", "unknown", Outcome.DENIED, context, {"reason": "started in another browser"}
            )
            return done + urlencode({"error": "eid_failed"})
        return_to = safe_return_path(data.get("return_to"))
        if params.get("error") or not params.get("code"):
            reason = "access_denied" if params.get("error") == "access_denied" else "eid_failed"
            self._record("auth.eid.signin", "unknown", Outcome.FAILURE, context, {"reason": reason})
            return done + urlencode({"error": reason, "return_to": return_to})
        try:
            identity = client.identify(params["code"], str(data["verifier"]))
        except EidError as exc:
            self._record("auth.eid.signin", "unknown", Outcome.FAILURE, context, {"reason": exc.reason})
            return done + urlencode({"error": "eid_failed", "return_to": return_to})
        issued = self._sessions.issue_citizen(
            identity.id_number, identity.assurance, identity.method, None, identity.name
        )
        self._record(
            "auth.eid.signin",
            identity.id_number,
            Outcome.SUCCESS,
            context,
            {"method": identity.method, "assurance": identity.assurance.value},
        )
        return done + urlencode(
            {
                "access_token": issued.token,
                "expires_in": str(issued.expires_in),
                "return_to": return_to,
                "attempt": str(data.get("attempt", "")),
            }
        )

    def _record(
        self, action: str, subject: str, outcome: Outcome, context: RequestContext, details: dict[str, str]
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=citizen_actor(subject),
                action=action,
                subject=f"citizen:{subject}",
                outcome=outcome,
                context=context,
                purpose="identification",
                details=details,
                data_subject=subject,
            )
        )


class StaffSignIn:
    def __init__(
        self,
        store: AuthStore,
        sessions: Sessions,
        staff: StaffDirectory,
        notifier: Notifier,
        audit: AuditLog,
        pepper: Callable[[], bytes],
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._staff = staff
        self._notifier = notifier
        self._audit = audit
        self._pepper = pepper
        self._limits = limits
        self._clock = clock
        self._limiter = RateLimiter(store, limits, pepper, clock)

    def login(self, request: StaffLogin, context: RequestContext) -> IssuedToken:
        password, otp = request.password, request.otp
        username = request.username
        username = username.strip().lower()
        source = context.source_ip or "unknown"
        try:
            self._limiter.take(
                [
                    ("staff-login-ip", source, self._limits.staff_logins_per_source_ip),
                    (
                        "staff-login-user-ip",
                        f"{username}|{source}",
                        self._limits.staff_logins_per_username_and_source_ip,
                    ),
                    ("staff-login-user", username, self._limits.staff_logins_per_username),
                ]
            )
        except RateLimited:
            self._record("auth.staff.lockout", username, Outcome.DENIED, context, {"reason": "rate limit"})
            raise
        account = self._staff.get(username)
        # Hash even for an unknown account, so the answer's timing does not tell which usernames exist.
        correct = password_ok(account.password_hash if account else None, password)
        if account is None or not correct:
            self._record("auth.staff.login", username, Outcome.FAILURE, context, {"reason": "credentials"})
            raise Unauthenticated("invalid_credentials", "Wrong user name or password.")
        if not account.enabled:
            self._record("auth.staff.login", username, Outcome.DENIED, context, {"reason": "disabled"})
            raise Forbidden("This account is disabled.", "account_disabled")
        if otp is None:
            self._send_code(account, context, request.language)
            raise Unauthenticated("otp_required", "We have emailed you a code: enter it to finish signing in.")
        self._check_code(account, otp, context)
        issued = self._sessions.issue_staff(account)
        self._record("auth.staff.login", username, Outcome.SUCCESS, context, {})
        return issued

    def _send_code(self, account: StaffAccount, context: RequestContext, lang: str = "ca") -> None:
        pepper = self._pepper()
        challenge_id, code = codes.new_id(), codes.new_code()
        expires = int(self._clock()) + self._limits.code_minutes * 60
        self._store.put_challenge(
            Challenge(
                challenge_id,
                "staff",
                account.username,
                codes.code_digest(pepper, challenge_id, code),
                "",
                0,
                False,
                expires,
            )
        )
        self._store.set_pending(f"staff:{account.username}", challenge_id, expires)
        subject, text = staff_code_message(code, self._limits.code_minutes, lang)
        self._notifier.send(Message("email", account.email, text, "staff-otp", subject))
        self._record("auth.staff.otp_sent", account.username, Outcome.SUCCESS, context, {"to": masked(account.email)})

    def _check_code(self, account: StaffAccount, code: str, context: RequestContext) -> None:
        pending = self._store.get_pending(f"staff:{account.username}")
        challenge = self._store.get_challenge(pending) if pending else None
        if challenge is None or challenge.used or challenge.expires_at <= int(self._clock()):
            self._record("auth.staff.login", account.username, Outcome.FAILURE, context, {"reason": "code expired"})
            raise Unauthenticated("code_expired", "The code has expired: sign in again to get a new one.")
        attempts = self._store.record_attempt(challenge.id, self._limits.attempts_per_code)
        if attempts is None or not codes.matches(self._pepper(), challenge.id, code, challenge.digest):
            self._record("auth.staff.login", account.username, Outcome.FAILURE, context, {"reason": "wrong code"})
            if attempts is None or attempts >= self._limits.attempts_per_code:
                raise RateLimited(self._limits.window_seconds, "too_many_attempts", "Too many wrong codes.")
            raise Unauthenticated(
                "invalid_code", "The code is not right.", attempts_left=self._limits.attempts_per_code - attempts
            )
        if not self._store.consume(challenge.id):
            raise Unauthenticated("code_expired", "This code has already been used.")

    def _record(
        self, action: str, username: str, outcome: Outcome, context: RequestContext, details: dict[str, str]
    ) -> None:
        self._audit.record(
            AuditEvent(
                actor=Actor(f"staff:{username}", "staff"),
                action=action,
                subject=f"staff:{username}",
                outcome=outcome,
                context=context,
                purpose="identification",
                details=details,
            )
        )


# argon2id as RFC 9106 recommends where memory is scarce (argon2-cffi's default: 64 MiB, 3 passes, 4 lanes; ~0.1 s
# a check), named from argon2.profiles (imported lazily, like argon2 itself: a cold start that checks no password
# never loads it). The suite's in-process tests choose CHEAPEST (tests/conftest.py): a hash carries its own cost.
ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"


def _hasher() -> Any:
    from argon2 import PasswordHasher, profiles

    return PasswordHasher.from_parameters(getattr(profiles, ARGON2_PROFILE))


def password_ok(password_hash: str | None, password: str) -> bool:
    """argon2id check; an unknown account costs the same as a known one (no user enumeration by timing)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()  # verifying reads the cost from the hash itself
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str) -> str:
    hashed: str = _hasher().hash(password)
    return hashed


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(codes.new_id()))
    return _DUMMY[0]
