"""Deploys the keys and records stacks to LocalStack on this host and checks that S3 and KMS really apply them.

``python -m infra.localstack.run`` (``make localstack-test``):

1. creates ``.localstack/venv`` with Python 3.13 if missing (LocalStack needs ≥ 3.12; the project's venv is 3.11) and
   installs ``localstack-core`` with the pins that make it work there;
2. starts LocalStack's runtime directly (the ``localstack`` CLI wants an account and Docker): bound to 127.0.0.1 on a
   free port, DNS server off, state in a temporary folder, in its own process group — stopped at the end whatever
   happens;
3. synthesises the app (or reads ``--assembly``), deploys the keys then the records template to LocalStack's
   CloudFormation (asynchronous: polled), the way ``cdk deploy`` would after ``cdk bootstrap``;
4. checks with boto3, on every bucket: Object Lock mode and days, versioning, default encryption (``aws:kms`` with
   the ``data`` key, bucket key), public access block, TLS-only policy, access logging, lifecycle rules; that an
   object version under Object Lock cannot be deleted (nor with a governance bypass under COMPLIANCE); that the
   object-level retention the API sets is kept; and the keys' spec, usage, aliases and rotation.

Prints each check and exits 1 if any failed (2 if LocalStack could not be installed or started).
What LocalStack does not model: it does not evaluate bucket policies (the TLS-only statements are checked as
stored, not enforced) nor deliver server access logs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from infra.resources import RESOURCES, Bucket, key_alias, physical_name

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_DIR = REPO_ROOT / ".localstack"
VENV = LOCALSTACK_DIR / "venv"
# localstack-core 2026.3 on Python 3.13 (../shared/design/LOCAL.md): newer cbor2/pyOpenSSL/cryptography break it.
REQUIREMENTS = (
    "localstack-core[runtime]==2026.3.0",
    "cbor2<6",
    "pyopenssl<26",
    "cryptography<47",
    "service-identity",
)
PYTHON_VERSION = (3, 13)
REGION = "eu-south-2"
STACKS = ("keys", "records")
# What `cdk bootstrap` leaves in SSM; the templates' rule checks it (CDK's default qualifier).
BOOTSTRAP_VERSION = "30"
READY_TIMEOUT_S = 90.0
DEPLOY_TIMEOUT_S = 180.0


class SetupError(Exception):
    """LocalStack could not be installed or started (not a finding about the stacks)."""


# --- Python 3.13 and the venv -----------------------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(  # noqa: S603 (our own interpreters, fixed arguments)
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def find_python() -> str | None:
    """A Python 3.13 interpreter: ``$LOCALSTACK_PYTHON``, pyenv's newest 3.13, or ``python3.13`` on the PATH."""
    candidates: list[str] = []
    if explicit := os.environ.get("LOCALSTACK_PYTHON"):
        candidates.append(explicit)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(pyenv_root.glob("versions/3.13*/bin/python3.13"), reverse=True)]
    if on_path := shutil.which("python3.13"):
        candidates.append(on_path)
    return next((c for c in candidates if _version_of(c) == PYTHON_VERSION), None)


def ensure_venv(log: Callable[[str], None]) -> Path:
    """``.localstack/venv/bin/python`` with the pinned ``localstack-core``; installs only what is missing."""
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return python
    base = find_python()
    if base is None:
        raise SetupError("Python 3.13 not found (pyenv versions/3.13*, python3.13 on PATH, or $LOCALSTACK_PYTHON)")
    started = time.monotonic()
    log(f"installing {', '.join(REQUIREMENTS)} into {VENV.relative_to(REPO_ROOT)} ({base})")
    if not python.exists():
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)  # noqa: S603 (our own interpreters, fixed arguments)
    result = subprocess.run(  # noqa: S603 (our own interpreters, fixed arguments)
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(f"pip install failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    marker.write_text(wanted, encoding="utf-8")
    log(f"installed in {time.monotonic() - started:.0f} s")
    return python


# --- LocalStack's process ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LocalStack:
    process: subprocess.Popen[bytes]
    endpoint: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ends LocalStack's process group (its id is the runtime's pid: it was started in a new session)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# LocalStack's runtime (`python -m localstack.runtime.main`), its S3 object store moved from the fixed
# /tmp/localstack-s3-storage into this run's folder: concurrent runs must not share bucket folders, and none is left.
_RUNTIME_MAIN = """
import runpy, sys
import localstack.services.s3.provider as s3_provider
s3_provider.DEFAULT_S3_TMP_DIR = sys.argv[1]
sys.argv = sys.argv[:1]
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
"""


@contextlib.contextmanager
def localstack(python: Path, workdir: Path) -> Iterator[LocalStack]:
    port = free_port()
    state = workdir / "state"
    tmp = workdir / "tmp"
    state.mkdir()
    tmp.mkdir()
    env = {
        # Only what the runtime needs: no credentials or endpoints of the caller's shell leak into it.
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(tmp),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVER": "hypercorn",  # the default server binds 0.0.0.0 whatever GATEWAY_LISTEN says
        "DNS_ADDRESS": "0",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "FILESYSTEM_ROOT": str(state),
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
        "PERSISTENCE": "0",
    }
    log_path = workdir / "localstack.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 (our own interpreters, fixed arguments)
            [str(python), "-c", _RUNTIME_MAIN, str(workdir / "s3")],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = LocalStack(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_ready(running)
        yield running
    finally:
        _stop(process)


def _wait_ready(running: LocalStack) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise SetupError(f"LocalStack exited with {running.process.returncode}:\n{running.log_tail()}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{running.endpoint}/_localstack/health", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SetupError(f"LocalStack not ready after {READY_TIMEOUT_S:.0f} s:\n{running.log_tail()}")


# --- Synthesis and deployment -----------------------------------------------------------------------------------


def synthesise(stage: str, outdir: Path, extra_context: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The app's templates of the keys and records stacks, by short name, and their stack names."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk

    from infra.app import build, cdk_json_context

    for name in ("CDK_DEPLOY_REGION", "CDK_DEPLOY_ACCOUNT", "CDK_DEFAULT_ACCOUNT"):
        os.environ.pop(name, None)
    # The sender address only matters to the data stack, which is not deployed here.
    context = {**cdk_json_context(), "stage": stage, "sender_email": "no-reply@localstack.invalid", **extra_context}
    app = cdk.App(outdir=str(outdir), context=context)
    deployment = build(app)
    app.synth()
    return {short: _read_template(outdir, getattr(deployment, short).stack_name) for short in STACKS}


def read_assembly(assembly: Path, stage: str) -> dict[str, dict[str, Any]]:
    return {short: _read_template(assembly, physical_name(stage, short)) for short in STACKS}


def _read_template(outdir: Path, stack_name: str) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))
    return {"name": stack_name, "template": template}


@dataclass
class Clients:
    endpoint: str
    _made: dict[str, Any] = field(default_factory=dict)

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            import boto3
            from botocore.config import Config

            self._made[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",  # noqa: S106 (LocalStack's default account, not a secret)
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
            )
        return self._made[service]


def bootstrap(clients: Clients, templates: dict[str, dict[str, Any]]) -> None:
    """What ``cdk bootstrap`` leaves that these templates read: the bootstrap version in SSM."""
    names = {
        p["Default"]
        for t in templates.values()
        for p in t["template"].get("Parameters", {}).values()
        if p.get("Type") == "AWS::SSM::Parameter::Value<String>"
    }
    for name in names:
        clients("ssm").put_parameter(Name=name, Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True)


def deploy(clients: Clients, name: str, template: dict[str, Any]) -> dict[str, str]:
    """Creates the stack, waits for it, and returns its outputs (raises with the failed events otherwise)."""
    cloudformation = clients("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + DEPLOY_TIMEOUT_S
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: still {status} after {DEPLOY_TIMEOUT_S:.0f} s")
        time.sleep(0.5)
    if status != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [
            f"  {e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
            for e in events
            if "FAILED" in e["ResourceStatus"]
        ]
        raise RuntimeError(f"{name}: {status}\n" + "\n".join(reasons))
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# --- What LocalStack's CloudFormation leaves out ------------------------------------------------------------------


def _resolver(clients: Clients, stack_name: str) -> Callable[[Any], Any]:
    """Resolves the Ref and Fn::ImportValue of a deployed stack's template (all these templates use)."""
    cloudformation = clients("cloudformation")
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"]}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    }

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Ref"}:
                return physical[node["Ref"]]
            if set(node) == {"Fn::ImportValue"}:
                return exports[node["Fn::ImportValue"]]
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as PutBucketLifecycleConfiguration takes it."""
    converted: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        }
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = rule["ExpirationInDays"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = rule["ExpiredObjectDeleteMarker"]
    if expiration:
        converted["Expiration"] = expiration
    return converted


def _bucket_settings(props: dict[str, Any]) -> dict[str, Any]:
    """The template's bucket properties LocalStack's CloudFormation leaves out, in the S3 API's shapes."""
    settings: dict[str, Any] = {}
    if "BucketEncryption" in props:
        settings["BucketEncryption"] = [
            {
                "ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"],
                "BucketKeyEnabled": r.get("BucketKeyEnabled", False),
            }
            for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
    if "LifecycleConfiguration" in props:
        settings["LifecycleConfiguration"] = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
    if "LoggingConfiguration" in props:
        settings["LoggingConfiguration"] = {
            "TargetBucket": props["LoggingConfiguration"]["DestinationBucketName"],
            "TargetPrefix": props["LoggingConfiguration"]["LogFilePrefix"],
        }
    for prop in ("PublicAccessBlockConfiguration", "OwnershipControls"):
        if prop in props:
            settings[prop] = props[prop]
    return settings


_Getter = Callable[[Any, str], Any]
_Putter = Callable[[Any, str, Any], Any]
_SETTINGS_API: dict[str, tuple[_Getter, _Putter]] = {
    "BucketEncryption": (
        lambda s3, n: s3.get_bucket_encryption(Bucket=n)["ServerSideEncryptionConfiguration"]["Rules"],
        lambda s3, n, v: s3.put_bucket_encryption(Bucket=n, ServerSideEncryptionConfiguration={"Rules": v}),
    ),
    "LifecycleConfiguration": (
        lambda s3, n: s3.get_bucket_lifecycle_configuration(Bucket=n)["Rules"],
        lambda s3, n, v: s3.put_bucket_lifecycle_configuration(Bucket=n, LifecycleConfiguration={"Rules": v}),
    ),
    "LoggingConfiguration": (
        lambda s3, n: s3.get_bucket_logging(Bucket=n).get("LoggingEnabled"),
        lambda s3, n, v: s3.put_bucket_logging(Bucket=n, BucketLoggingStatus={"LoggingEnabled": v}),
    ),
    "PublicAccessBlockConfiguration": (
        lambda s3, n: s3.get_public_access_block(Bucket=n)["PublicAccessBlockConfiguration"],
        lambda s3, n, v: s3.put_public_access_block(Bucket=n, PublicAccessBlockConfiguration=v),
    ),
    "OwnershipControls": (
        lambda s3, n: s3.get_bucket_ownership_controls(Bucket=n)["OwnershipControls"],
        lambda s3, n, v: s3.put_bucket_ownership_controls(Bucket=n, OwnershipControls=v),
    ),
}


def _current(call: Callable[[], Any]) -> Any:
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError:
        return None


def complete_what_localstack_drops(
    report: Report, clients: Clients, stack_name: str, template: dict[str, Any]
) -> dict[str, list[str]]:
    """Applies through the S3 API the bucket properties LocalStack's CloudFormation did not apply; returns them.

    LocalStack's AWS::S3::Bucket provider applies versioning, Object Lock and tags (and AWS::S3::BucketPolicy the
    policies), but not default encryption, lifecycle rules, access logging, public access block nor ownership
    controls. Each of those is compared with the template; where it differs, the template's value is put through
    the S3 API — S3 must accept it (a FAIL otherwise), and the checks below then see its effect.
    """
    s3 = clients("s3")
    resolve = _resolver(clients, stack_name)
    dropped: dict[str, list[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::S3::Bucket":
            continue
        props = resolve(resource["Properties"])
        name = props["BucketName"]
        for prop, value in _bucket_settings(props).items():
            get, put = _SETTINGS_API[prop]
            if _current(partial(get, s3, name)) == value:
                continue
            dropped.setdefault(prop, []).append(name)
            try:
                put(s3, name, value)
            except Exception as error:
                report.check(f"{name}: S3 accepts the template's {prop}", False, f"{type(error).__name__}: {error}")
    return dropped


# --- Checks -----------------------------------------------------------------------------------------------------


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, what: str, ok: bool, detail: Any = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}" + ("" if ok or detail == "" else f": {detail}"), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok

    def attempt(self, what: str, probe: Callable[[], Any], expect: Callable[[Any], bool]) -> None:
        try:
            got = probe()
        except Exception as error:  # every API failure is a finding, reported with the rest
            self.check(what, False, f"{type(error).__name__}: {error}")
            return
        try:
            ok = bool(expect(got))
        except (KeyError, IndexError, TypeError, ValueError):  # an answer without the expected shape
            ok = False
        self.check(what, ok, got)


def _error_code(call: Callable[[], Any]) -> str:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        return str(error.response.get("Error", {}).get("Code", "?"))
    return "no error"


def check_keys(report: Report, clients: Clients, stage: str) -> dict[str, str]:
    """Every described key behind its alias with its spec, usage and rotation; returns alias name → key ARN."""
    kms = clients("kms")
    arns: dict[str, str] = {}
    print("keys:")
    for key in RESOURCES.keys:
        alias = key_alias(stage, key.name)
        try:
            metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except Exception as error:
            report.check(f"{alias} exists", False, error)
            continue
        arns[key.name] = metadata["Arn"]
        report.check(
            f"{alias}: {key.spec}, {key.usage}",
            (metadata.get("KeySpec"), metadata.get("KeyUsage")) == (key.spec, key.usage),
            (metadata.get("KeySpec"), metadata.get("KeyUsage")),
        )
        if key.spec == "SYMMETRIC_DEFAULT":
            rotation = _current(partial(kms.get_key_rotation_status, KeyId=metadata["KeyId"]))
            report.check(
                f"{alias}: automatic rotation on",
                bool(rotation and rotation["KeyRotationEnabled"] is True),
                rotation,
            )
    return arns


def _tls_only(policy_json: str) -> bool:
    statements = json.loads(policy_json).get("Statement", [])
    return any(
        s.get("Effect") == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        for s in statements
    ) and any(
        s.get("Effect") == "Deny" and "s3:TlsVersion" in s.get("Condition", {}).get("NumericLessThan", {})
        for s in statements
    )


_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _common_bucket_checks(report: Report, s3: Any, name: str) -> None:
    report.attempt(
        f"{name}: versioning Enabled",
        lambda: s3.get_bucket_versioning(Bucket=name).get("Status"),
        lambda got: got == "Enabled",
    )
    report.attempt(
        f"{name}: all public access blocked",
        lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
        lambda got: got == _BLOCK_ALL,
    )
    report.attempt(
        f"{name}: policy denies requests without TLS (1.2+)",
        lambda: s3.get_bucket_policy(Bucket=name)["Policy"],
        _tls_only,
    )
    report.attempt(
        f"{name}: ACLs disabled (BucketOwnerEnforced)",
        lambda: s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        lambda got: got == "BucketOwnerEnforced",
    )


def check_buckets(report: Report, clients: Clients, stage: str, key_arns: dict[str, str]) -> None:
    from infra.stacks.records_stack import ACCESS_LOGS

    s3 = clients("s3")
    logs_bucket = physical_name(stage, ACCESS_LOGS)
    for bucket in RESOURCES.buckets:
        check_bucket(report, s3, physical_name(stage, bucket.name), bucket, key_arns.get(bucket.kms_key), logs_bucket)

    print(f"bucket {logs_bucket}:")
    _common_bucket_checks(report, s3, logs_bucket)
    report.attempt(
        f"{logs_bucket}: default encryption SSE-S3 (what log delivery can write)",
        lambda: s3.get_bucket_encryption(Bucket=logs_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0],
        lambda got: got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256",
    )
    report.attempt(
        f"{logs_bucket}: lifecycle expires logs, aborts incomplete uploads, removes expired delete markers",
        lambda: {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=logs_bucket)["Rules"]},
        lambda got: {"expire-logs", "abort-incomplete-uploads", "remove-expired-delete-markers"} <= got,
    )
    report.attempt(
        f"{logs_bucket}: no Object Lock (a log target must not have a default retention)",
        lambda: _error_code(lambda: s3.get_object_lock_configuration(Bucket=logs_bucket)),
        lambda got: got == "ObjectLockConfigurationNotFoundError",
    )


def check_bucket(report: Report, s3: Any, name: str, bucket: Bucket, key_arn: str | None, logs_bucket: str) -> None:
    from infra.stacks.records_stack import access_log_prefix

    print(f"bucket {name}:")
    if bucket.object_lock_mode:
        expected_lock = {"Mode": bucket.object_lock_mode, "Days": bucket.object_lock_days}
        report.attempt(
            f"{name}: Object Lock {bucket.object_lock_mode}, {bucket.object_lock_days} days",
            lambda: s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"],
            lambda got: got.get("ObjectLockEnabled") == "Enabled" and got["Rule"]["DefaultRetention"] == expected_lock,
        )
    _common_bucket_checks(report, s3, name)
    report.attempt(
        f"{name}: default encryption aws:kms with the {bucket.kms_key} key, bucket key on",
        lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0],
        lambda got: (
            got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
            and got.get("BucketKeyEnabled") is True
        ),
    )
    report.attempt(
        f"{name}: server access logs to {logs_bucket}/{access_log_prefix(name)}",
        lambda: s3.get_bucket_logging(Bucket=name).get("LoggingEnabled"),
        lambda got: got == {"TargetBucket": logs_bucket, "TargetPrefix": access_log_prefix(name)},
    )
    report.attempt(
        f"{name}: lifecycle aborts incomplete uploads, expires noncurrent versions and delete markers",
        lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
        lambda got: (
            any("AbortIncompleteMultipartUpload" in r for r in got)
            and any(
                r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == bucket.object_lock_days
                and r.get("Expiration", {}).get("ExpiredObjectDeleteMarker") is True
                for r in got
            )
        ),
    )
    check_objects(report, s3, name, bucket.object_lock_mode, key_arn)


def check_objects(report: Report, s3: Any, name: str, mode: str | None, key_arn: str | None) -> None:
    """A version written without options is encrypted with the key and locked; an API-set retention is kept."""
    put = s3.put_object(Bucket=name, Key="localstack-check/default", Body=b"record")
    version = put.get("VersionId")
    report.check(
        f"{name}: a new object is encrypted with the key",
        (put.get("ServerSideEncryption"), put.get("SSEKMSKeyId")) == ("aws:kms", key_arn),
        (put.get("ServerSideEncryption"), put.get("SSEKMSKeyId")),
    )
    if not mode:
        return
    report.attempt(
        f"{name}: the new version gets the default retention ({mode})",
        lambda: s3.get_object_retention(Bucket=name, Key="localstack-check/default", VersionId=version)["Retention"],
        lambda got: got.get("Mode") == mode,
    )
    report.check(
        f"{name}: deleting the locked version is refused",
        (code := _error_code(lambda: s3.delete_object(Bucket=name, Key="localstack-check/default", VersionId=version)))
        == "AccessDenied",
        code,
    )
    if mode == "COMPLIANCE":
        report.check(
            f"{name}: … even with a governance bypass",
            (
                code := _error_code(
                    lambda: s3.delete_object(
                        Bucket=name, Key="localstack-check/default", VersionId=version, BypassGovernanceRetention=True
                    )
                )
            )
            == "AccessDenied",
            code,
        )
    else:
        # The API sets each procedure's retention on the object version (here: a year and a day).
        until = (datetime.now(UTC) + timedelta(days=366)).replace(microsecond=0)
        put = s3.put_object(
            Bucket=name,
            Key="localstack-check/procedure",
            Body=b"record",
            ObjectLockMode=mode,
            ObjectLockRetainUntilDate=until,
        )
        procedure_version = put.get("VersionId")
        report.attempt(
            f"{name}: an object-level retention set on upload is kept",
            lambda: s3.get_object_retention(Bucket=name, Key="localstack-check/procedure", VersionId=procedure_version)[
                "Retention"
            ],
            lambda got: got.get("Mode") == mode and got.get("RetainUntilDate") == until,
        )


# --- Main -------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # dev by default: prod needs the operator's context (sender, domains, certificates) for the other stacks; the
    # keys and records stacks are the same in both but for termination protection and log retention.
    parser.add_argument("--stage", default="dev", help="stage whose templates are deployed (default dev)")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context for the synthesis, as with infra/app.py (e.g. what prod needs)",
    )
    parser.add_argument("--assembly", type=Path, help="use this cloud assembly (make synth) instead of synthesising")
    parser.add_argument("--install-only", action="store_true", help="only create .localstack/venv")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:5.1f} s] {message}", flush=True)

    try:
        python = ensure_venv(log)
    except (SetupError, subprocess.CalledProcessError) as error:
        print(f"LocalStack unavailable: {error}", file=sys.stderr)
        return 2
    if args.install_only:
        return 0

    report = Report()
    with tempfile.TemporaryDirectory(prefix="videoatencion-localstack-") as workdir:
        if args.assembly:
            templates = read_assembly(args.assembly, args.stage)
        else:
            context = dict(item.partition("=")[::2] for item in args.context)
            templates = synthesise(args.stage, Path(workdir) / "cdk.out", context)
            log(f"synthesised the app ({args.stage})")
        try:
            with localstack(python, Path(workdir)) as running:
                log(f"LocalStack ready at {running.endpoint}")
                clients = Clients(running.endpoint)
                bootstrap(clients, templates)
                try:
                    for short in STACKS:
                        deploy(clients, templates[short]["name"], templates[short]["template"])
                        log(f"deployed {templates[short]['name']}")
                except Exception as error:
                    report.check("deploy", False, f"{error}\n{running.log_tail(20)}")
                else:
                    records = templates["records"]
                    dropped = complete_what_localstack_drops(report, clients, records["name"], records["template"])
                    for prop, buckets in dropped.items():
                        print(
                            f"LocalStack's CloudFormation left out {prop} on {len(buckets)} buckets: put from the "
                            "template through the S3 API"
                        )
                    key_arns = check_keys(report, clients, args.stage)
                    check_buckets(report, clients, args.stage, key_arns)
        except SetupError as error:
            print(f"LocalStack unavailable: {error}", file=sys.stderr)
            return 2
    log(f"{report.passed} checks passed, {len(report.failures)} failed; LocalStack stopped")
    for failure in report.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if report.failures else 0


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM (a test's timeout, make's interrupt) unwinds like Ctrl-C, so LocalStack is stopped on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
