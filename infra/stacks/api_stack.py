"""The API stack: the Chalice app (``app.py``) on Lambda + API Gateway, and its scheduled functions.

Deployed through chalice's CDK construct (``chalice package`` at synthesis → SAM template → ``CfnInclude``), with
the Chalice stage named like the CDK stage, so ``.chalice/config.json`` gives the stage's own values
(``TRAIL_SETTLE_SECONDS``, ``DIGEST_PERIOD_SECONDS``, eID endpoints, …). On top of the package this stack sets:

- the environment: every resource name from ``DataStack.api_environment`` (tables, buckets, key aliases, SSM
  parameter *paths* — never a secret value: secrets are read from SSM at run time), the public base URL and the
  eID client id (context);
- one role per function with a least-privilege policy generated per resource from ``ACCESS`` below: DynamoDB
  actions on the tables (and indexes) the function uses, S3 per bucket and prefix, KMS per key and operation, SSM
  on the parameter paths, SES on the sender identity, SNS for SMS. Only ``retention`` may bypass governance
  retention and delete object versions;
- fixed function names (``videoatencion-{stage}-{function}``, as ``chalice deploy`` names them), their log groups
  with the stage's retention (created before the functions, so Lambda never creates one without retention), reserved
  concurrency of the API from the stage config, memory, timeouts; X-Ray only when configured;
- the CloudFront origin secret (Secrets Manager, ``videoatencion/{stage}/origin-verify``, a generated value never
  in a template): the web stack's distribution sends it in ``X-Origin-Verify`` and rotates it every 30 days; the
  API function may read it and refuses any request without it (``chalicelib/api/middleware.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, CfnOutput, CfnParameter, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.resources import PROJECT, origin_secret_name, parameter_path
from infra.stacks.chalice_package import PackagedChalice
from infra.stacks.checkov import OUTSIDE_VPC, PLAIN_ENVIRONMENT, skip
from infra.stacks.data_stack import DataStack
from infra.stacks.keys_stack import KeysStack
from infra.stacks.naming import DEFAULT_STUN_URLS, turn_urls
from infra.stacks.records_stack import RecordsStack
from infra.stacks.stage_stack import StageStack

REPO_ROOT = Path(__file__).resolve().parents[2]
API_GATEWAY_STAGE = "api"

# Chalice's names of the functions (the route handler, then the `@app.schedule` ones) → their logical ids in the SAM
# template `chalice package` writes.
API_FUNCTION = "api_handler"
SCHEDULED = ("reminders", "trail", "retention")
LOGICAL_IDS = {"api_handler": "APIHandler", "reminders": "Reminders", "trail": "Trail", "retention": "Retention"}
# Roles and log groups are named after chalice's function name (`ApiHandlerRole`), the API's function is not.
_CHALICE_IDS = {"api_handler": "ApiHandler", "reminders": "Reminders", "trail": "Trail", "retention": "Retention"}
ROLE_LOGICAL_IDS = {name: f"{chalice_id}Role" for name, chalice_id in _CHALICE_IDS.items()}
LOG_GROUP_LOGICAL_IDS = {name: f"{chalice_id}LogGroup" for name, chalice_id in _CHALICE_IDS.items()}

# Seconds. API Gateway gives up on an integration after 29 s; the trail runs every minute and must not overlap
# itself for long (its conditional writes keep one writer anyway); the daily sweep may take a while.
TIMEOUTS = {"api_handler": 29, "reminders": 240, "trail": 55, "retention": 900}

# --- what each function does with each resource ------------------------------------------------------------------
_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
_QUERY_INDEXES = ("dynamodb:Query",)
# Table uses: the actions on the table itself; indexes (table/index/*) get Query when the use reads.
TABLE_ACTIONS: Mapping[str, tuple[str, ...]] = {
    "read": _READ,
    "read-scan": (*_READ, "dynamodb:Scan"),
    "write": (*_READ, *_WRITE),
    # A small table read whole: the staff list for administrators (and the count of enabled administrators).
    "write-scan": (*_READ, *_WRITE, "dynamodb:Scan"),
    # Append-only: a new item under a condition (the audit trail's events, notification records).
    "append": ("dynamodb:PutItem",),
    "read-append": (*_READ, "dynamodb:PutItem"),
}

_S3_READ = ("s3:GetObject",)
_S3_RECORDS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
)
_S3_SWEEP = (*_S3_RECORDS, "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention")
_KMS_SIGN = ("kms:Sign", "kms:GetPublicKey", "kms:DescribeKey")
_KMS_PUBLIC = ("kms:GetPublicKey", "kms:DescribeKey")
_KMS_DATA = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
_KMS_DECRYPT = ("kms:Decrypt",)


@dataclass(frozen=True)
class ObjectAccess:
    """Object actions on ``{bucket}/{prefix}*`` for each prefix; listing (and listing versions) under them."""

    prefixes: tuple[str, ...]
    actions: tuple[str, ...]
    list_versions: bool = False


@dataclass(frozen=True)
class FunctionAccess:
    tables: Mapping[str, str]  # table name → TABLE_ACTIONS key
    objects: Mapping[str, ObjectAccess] = field(default_factory=dict)  # bucket name → access
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # key name → actions
    parameters: tuple[str, ...] = ()  # parameter names (resources.py)
    send_messages: bool = False  # SES from the sender identities, SMS through SNS


_RECORDINGS = ("recordings/",)
_DOCUMENTS = ("documents/", "attachments/")
_TRAIL_FILES = ("logs/", "digests/")

# From the code's use of each adapter (chalicelib/bootstrap.py wires which service reaches which resource):
ACCESS: Mapping[str, FunctionAccess] = {
    API_FUNCTION: FunctionAccess(
        tables={
            "catalogue": "write",
            "staff": "write-scan",
            "appointments": "write",
            "booking": "write",
            "padron": "read",
            "tax-ledger": "read",
            "audit": "read-append",
            "trail": "read",
            "records": "write",
            "auth": "write",
            "notifications": "append",
            "calls": "write",
            "media-nodes": "read-scan",
            "procedures": "write",
            "documents": "write",
            "idempotency": "write",
        },
        objects={
            # Issued documents and uploaded attachments; legal hold and longer retention from the records office.
            "documents": ObjectAccess(_DOCUMENTS, (*_S3_RECORDS, "s3:PutObject"), list_versions=True),
            # Playback (pre-signed GET), legal hold and longer retention; the media nodes write recordings.
            "recordings": ObjectAccess(_RECORDINGS, _S3_RECORDS, list_versions=True),
            # Auditors' verification reads log and digest files; only the trail function writes them.
            "audit": ObjectAccess(_TRAIL_FILES, _S3_READ),
        },
        keys={"signing": _KMS_SIGN, "seal": _KMS_SIGN, "trail": _KMS_PUBLIC, "data": _KMS_DATA},
        parameters=(
            "council-name",
            "auth/otp-pepper",
            "audit/pseudonym-key",
            "eid/client-secret",
            "media/webhook-secret",
            "media/turn-secret",
        ),
        send_messages=True,
    ),
    "reminders": FunctionAccess(
        tables={
            "appointments": "write",
            "booking": "write",
            # Capacity jobs: their progress (catalogue), the rebooking links (auth), whether a call started (calls).
            "catalogue": "write",
            "auth": "write",
            "calls": "read",
            "staff": "read",
            "notifications": "append",
            "audit": "append",
        },
        keys={"data": _KMS_DECRYPT},
        parameters=("auth/otp-pepper", "audit/pseudonym-key"),
        send_messages=True,
    ),
    "trail": FunctionAccess(
        tables={"audit": "read-append", "trail": "write"},
        # Log and digest files are written once, with their COMPLIANCE retention (PutObjectRetention).
        objects={"audit": ObjectAccess(_TRAIL_FILES, ("s3:GetObject", "s3:PutObject", "s3:PutObjectRetention"))},
        keys={"trail": _KMS_SIGN, "data": _KMS_DATA},
        parameters=("audit/pseudonym-key",),
    ),
    "retention": FunctionAccess(
        tables={
            "records": "write",
            "appointments": "read",
            "procedures": "read",
            "catalogue": "read",
            "audit": "append",
        },
        # The only role that may delete a version under governance retention (after checking its retain-until).
        objects={
            "recordings": ObjectAccess(_RECORDINGS, _S3_SWEEP, list_versions=True),
            "documents": ObjectAccess(_DOCUMENTS, _S3_SWEEP, list_versions=True),
        },
        keys={"data": _KMS_DECRYPT},
        parameters=("audit/pseudonym-key",),
    ),
}


class ApiStack(StageStack):
    """``rest_api_id``, ``api_url``, ``api_handler`` and ``functions`` (API + scheduled) for the web and
    observability stacks."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        keys: KeysStack,
        data: DataStack,
        records: RecordsStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = self.config
        self._keys = keys
        self._data = data
        self._records = records
        self.function_names = {name: f"{PROJECT}-{self.stage}-{name}" for name in LOGICAL_IDS}
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginSecret",
            secret_name=origin_secret_name(self.stage),
            description="Sent by CloudFront to the API in X-Origin-Verify: requests without it are refused",
            # URL-safe characters only: the value travels as an HTTP header.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        skip(
            self.origin_secret,
            CKV_AWS_149="a shared header value, no personal data: the data key would give CloudFront's dynamic "
            "reference and the rotation function decrypt rights on the key of the council's records",
        )

        self.chalice = PackagedChalice(
            self,
            "Api",
            source_dir=str(REPO_ROOT),
            stage=self.stage,
            region=self.region if not _is_token(self.region) else "eu-south-2",
            stage_config={
                "lambda_memory_size": config.api_memory_mb,
                "log_retention_in_days": config.log_retention_days,
                "xray": False,
                # CloudFront (the web stack) is the API's edge: a regional endpoint behind it, not a second edge.
                "api_gateway_endpoint_type": "REGIONAL",
            },
        )
        for key, value in self.tags.tag_values().items():
            self.chalice.get_resource("RestAPI").add_property_override(f"Tags.{key}", value)
        environment = self._environment()
        for name in LOGICAL_IDS:
            self._configure_function(name, environment)
        self._access_log()

        self.rest_api_id: str = self.chalice.get_resource("RestAPI").ref
        self.api_url: str = (
            f"https://{self.rest_api_id}.execute-api.{self.region}.{self.url_suffix}/{API_GATEWAY_STAGE}/"
        )
        self.functions: dict[str, lambda_.IFunction] = {
            name: lambda_.Function.from_function_attributes(
                self,
                f"{LOGICAL_IDS[name]}Function",
                function_arn=self.format_arn(
                    service="lambda",
                    resource="function",
                    resource_name=function_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
                same_environment=True,
            )
            for name, function_name in self.function_names.items()
        }
        self.api_handler: lambda_.IFunction = self.functions[API_FUNCTION]
        CfnOutput(
            self, "ApiUrl", value=self.api_url, description="The API's invoke URL (CloudFront routes /api/* here)"
        )

    # --- the API's access log -------------------------------------------------------------------------------------
    def _access_log(self) -> None:
        """One JSON line per request (no body, no header but the request id), in a group under the data key."""
        group = logs.CfnLogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/{PROJECT}/{self.stage}/api-access",
            retention_in_days=self.config.log_retention_days,
            kms_key_id=self._keys.keys["data"].key_arn,
        )
        group.apply_removal_policy(RemovalPolicy.RETAIN if self.config.protect_data else RemovalPolicy.DESTROY)
        fields = {
            "requestId": "$context.requestId",
            "time": "$context.requestTimeEpoch",
            "method": "$context.httpMethod",
            "resource": "$context.resourcePath",
            "status": "$context.status",
            "length": "$context.responseLength",
            "latency": "$context.responseLatency",
            "integrationLatency": "$context.integrationLatency",
            "waf": "$context.wafResponseCode",
        }
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("AccessLogSetting.DestinationArn", group.attr_arn)
        api.add_property_override("AccessLogSetting.Format", json.dumps(fields, separators=(",", ":")))
        skip(
            api,
            # Answers are per person and authorised; nothing may be served from a cache (CloudFront caches none).
            CKV_AWS_120="answers are per person and authorised: none may be cached",
            CKV_AWS_73="X-Ray off: Powertools metrics and structured logs are the API's observability",
        )
        # API Gateway writes access logs through the account's CloudWatch role (one per account and region, so the
        # last stage deployed sets it): it may write the project's log groups of every stage, nothing else, and
        # outlives its stack as CDK's own does (removing one stage must not stop the other's access logs).
        groups = self.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/{PROJECT}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            inline_policies={
                "ProjectAccessLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="ProjectLogGroups",
                            actions=[
                                "logs:DescribeLogGroups",
                                "logs:DescribeLogStreams",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                            ],
                            resources=[groups, f"{groups}:log-stream:*"],
                        )
                    ]
                )
            },
        )
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        api.node.add_dependency(account)

    # --- environment ---------------------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        """Names and non-secret values only; ``.chalice/config.json`` gives the stage's fixed values."""
        environment = dict(self._data.api_environment)
        context = self.context
        if context.public_base_url:
            environment["PUBLIC_BASE_URL"] = context.public_base_url
        else:
            # The SPA's origin (links in messages, the eID redirect) is the council's domain, known at deploy time.
            environment["PUBLIC_BASE_URL"] = CfnParameter(
                self,
                "PublicBaseUrl",
                type="String",
                allowed_pattern=r"https://[^\s/]+",
                description="Origin of the SPA (e.g. https://cita.ajuntament.example); or synthesise with "
                "-c public_base_url=…",
            ).value_as_string
        if context.eid_client_id:
            environment["EID_CLIENT_ID"] = context.eid_client_id
        # ICE servers for browsers: the same STUN as the nodes, and TURN where the media stack runs it (its URLs
        # follow from the media domain; the media stack depends on this one, so no reference back).
        environment["MEDIA_STUN_URLS"] = context.media_stun_urls or DEFAULT_STUN_URLS
        if self.config.turn_enabled and context.media_domain:
            environment["MEDIA_TURN_URLS"] = ",".join(turn_urls(context.media_domain.name))
        return environment

    # --- each function -------------------------------------------------------------------------------------------
    def _configure_function(self, name: str, environment: Mapping[str, str]) -> None:
        function = self.chalice.get_resource(LOGICAL_IDS[name])
        function_name = self.function_names[name]
        function.add_property_override("FunctionName", function_name)
        function.add_property_override("Timeout", TIMEOUTS[name])
        for variable, value in environment.items():
            function.add_property_override(f"Environment.Variables.{variable}", value)
        # The app's tags (project, stage, data-classification) do not reach SAM resources by themselves.
        for key, value in self.tags.tag_values().items():
            function.add_property_override(f"Tags.{key}", value)
        if name == API_FUNCTION:
            function.add_property_override("ReservedConcurrentExecutions", self.config.api_reserved_concurrency)
            skip(function, CKV_AWS_116="invoked synchronously by API Gateway: the caller sees the error, no DLQ")
        else:
            skip(
                function,
                CKV_AWS_115="a schedule tick at a time; a reservation would take capacity from the API's",
                CKV_AWS_116="on a schedule: the next tick retries what failed (sends are idempotent), no DLQ",
            )
        skip(function, CKV_AWS_117=OUTSIDE_VPC, CKV_AWS_173=PLAIN_ENVIRONMENT)
        log_group = self.chalice.get_resource(LOG_GROUP_LOGICAL_IDS[name])
        log_group.add_property_override("LogGroupName", _log_group_name(function_name))
        log_group.add_property_override("KmsKeyId", self._keys.keys["data"].key_arn)
        # The group exists before the function runs: Lambda would otherwise create it, without retention, and the
        # stack's own would then fail to create.
        function.node.add_dependency(log_group)
        role = self.chalice.get_resource(ROLE_LOGICAL_IDS[name])
        role.add_property_override(
            "Policies",
            [{"PolicyName": f"{LOGICAL_IDS[name]}LeastPrivilege", "PolicyDocument": self._policy(name)}],
        )
        if ACCESS[name].send_messages:
            skip(role, CKV_AWS_111="sns:Publish to a phone number has no ARN; the NoTopics Deny keeps it to SMS")

    def _policy(self, name: str) -> iam.PolicyDocument:
        access = ACCESS[name]
        statements = [
            iam.PolicyStatement(
                sid="OwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=f"{_log_group_name(self.function_names[name])}:*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        ]
        statements += self._table_statements(access)
        statements += self._object_statements(access)
        statements += self._key_statements(access)
        if access.parameters:
            statements.append(
                iam.PolicyStatement(
                    sid="Parameters",
                    actions=["ssm:GetParameter"],
                    resources=[
                        self.format_arn(
                            service="ssm",
                            resource="parameter",
                            resource_name=parameter_path(self.stage, p).lstrip("/"),
                        )
                        for p in access.parameters
                    ],
                )
            )
        if name == API_FUNCTION:
            statements.append(
                iam.PolicyStatement(
                    sid="OriginSecret",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.origin_secret.secret_arn],
                )
            )
        if access.send_messages:
            statements += self._message_statements()
        return iam.PolicyDocument(statements=statements)

    def _table_statements(self, access: FunctionAccess) -> list[iam.PolicyStatement]:
        by_use: dict[str, list[str]] = {}
        for table, use in access.tables.items():
            by_use.setdefault(use, []).append(table)
        statements = []
        indexed = []
        for use, tables in sorted(by_use.items()):
            arns = [self._data.tables[t].table_arn for t in sorted(tables)]
            statements.append(
                iam.PolicyStatement(sid=f"Tables{_pascal(use)}", actions=list(TABLE_ACTIONS[use]), resources=arns)
            )
            if "dynamodb:Query" in TABLE_ACTIONS[use]:
                indexed += [t for t in tables if self.resources.table(t).indexes]
        if indexed:
            statements.append(
                iam.PolicyStatement(
                    sid="TableIndexes",
                    actions=list(_QUERY_INDEXES),
                    resources=[f"{self._data.tables[t].table_arn}/index/*" for t in sorted(indexed)],
                )
            )
        return statements

    def _object_statements(self, access: FunctionAccess) -> list[iam.PolicyStatement]:
        statements = []
        for bucket_name, objects in sorted(access.objects.items()):
            bucket = self._records.buckets[bucket_name]
            sid = _pascal(bucket_name)
            statements.append(
                iam.PolicyStatement(
                    sid=f"Objects{sid}",
                    actions=list(objects.actions),
                    resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in objects.prefixes],
                )
            )
            # Without ListBucket, S3 answers 403 instead of 404 for a missing key, and the code tells the two apart
            # (a digest not yet written is not an outage): so on the whole bucket (it lists names, not contents).
            statements.append(
                iam.PolicyStatement(sid=f"List{sid}", actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
            )
            if objects.list_versions:
                statements.append(
                    iam.PolicyStatement(
                        sid=f"ListVersions{sid}",
                        actions=["s3:ListBucketVersions"],
                        resources=[bucket.bucket_arn],
                        conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in objects.prefixes]}},
                    )
                )
        return statements

    def _key_statements(self, access: FunctionAccess) -> list[iam.PolicyStatement]:
        statements = []
        for key_name, actions in sorted(access.keys.items()):
            conditions = None
            if key_name == "data":
                # The data key works only through the services that encrypt with it (tables, objects, SecureStrings).
                conditions = {
                    "StringEquals": {
                        "kms:ViaService": [
                            f"{service}.{self.region}.amazonaws.com" for service in ("dynamodb", "s3", "ssm")
                        ]
                    }
                }
            statements.append(
                iam.PolicyStatement(
                    sid=f"Key{_pascal(key_name)}",
                    actions=list(actions),
                    resources=[self._keys.keys[key_name].key_arn],
                    conditions=conditions,
                )
            )
        return statements

    def _message_statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="SendEmail",
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=sorted(self._data.sender_identity_arns.values()),
            ),
            # An SMS to a phone number has no ARN to name, so Publish needs "*"; topics are excluded below.
            iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"]),
            iam.PolicyStatement(
                sid="NoTopics",
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[self.format_arn(service="sns", resource="*", region="*", account="*")],
            ),
        ]


def _log_group_name(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("/", "-").split("-") if part)


def _is_token(value: str) -> bool:
    from aws_cdk import Token

    return bool(Token.is_unresolved(value))
