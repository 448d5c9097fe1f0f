"""The web stack: the SPA on S3 + CloudFront, ``/api/*`` routed to the API, security headers, WAF.

- **SPA**: a private bucket (SSE-S3, all public access blocked, TLS only, ACLs disabled) read by CloudFront through
  Origin Access Control. Client routes (``/appointments/…``, ``/staff/audit``: no file extension) get ``/index.html``
  from a viewer-request CloudFront Function on the default behaviour. Not with the distribution's custom error
  responses: those apply to every behaviour and would turn the API's own 403/404 problem+json answers into the SPA.
- **``/api/*``** goes to the API Gateway stage ``api`` (the path is kept: the stage is the first segment, as in the
  SPA's relative ``/api/…`` URLs), never cached, every viewer header but ``Host`` forwarded (``Authorization``
  included), HTTPS and TLS 1.2 to the origin. CloudFront adds ``X-Origin-Verify`` with the origin secret (a
  dynamic reference to Secrets Manager: the value is never in the template); the API refuses any request without
  it, so API Gateway's own address is of no use to anyone walking around this WAF. A rotation function
  (``infra/origin_rotation``) replaces the value every 30 days, in CloudFront and in the secret; the API accepts
  the current, pending and previous values meanwhile.
- **Headers** on every answer: a strict CSP (the media nodes' https/wss origin from ``-c media_domain=``, the
  recordings and documents buckets' presigned-URL hosts), HSTS (2 years, includeSubDomains, preload), nosniff,
  ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``, a Permissions-Policy granting camera and microphone
  to the site itself only.
- **WAF**: a REGIONAL web ACL on the API Gateway stage (see ``_web_acl`` for why not a CloudFront-scope one):
  requests without the origin header blocked, bodies over 64 KB (6 MB on the attachment route) blocked, rate-based
  rules per viewer address on the sign-in and booking routes, AWS's common rule set.
- **Deployment of the built SPA** (``web/dist``, ``make web``) when it exists at synthesis; otherwise the stack is
  synthesised without it and says so (a warning annotation and the ``SpaDeployed`` output).

Custom domain (optional): ``-c domain_name=cita.example.cat -c certificate_arn=arn:aws:acm:us-east-1:…``. CloudFront
only takes ACM certificates from **us-east-1**, whatever the stack's region: request (and DNS-validate) it there
first. With a custom certificate viewers need TLS 1.2+ (``TLSv1.2_2021``); on the default ``*.cloudfront.net``
name CloudFront fixes the minimum itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.resources import origin_secret_name, physical_name
from infra.stacks.api_stack import ApiStack
from infra.stacks.checkov import OUTSIDE_VPC, PLAIN_ENVIRONMENT, skip, skip_deployment_helper
from infra.stacks.media.tls_proxy import TLS_PORT as MEDIA_PORT
from infra.stacks.stage_stack import StageStack

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = REPO_ROOT / "web" / "dist"
ROTATION_CODE = REPO_ROOT / "infra" / "origin_rotation"
# CloudFront → API: the origin secret (chalicelib/api/middleware.py checks it before anything else).
ORIGIN_HEADER = "X-Origin-Verify"
ORIGIN_SECRET_ROTATION = Duration.days(30)
# Body sizes the WAF blocks (413): 64 KB anywhere, 6 MB on the attachment route (a 4 MB file in base64 and JSON).
MAX_BODY_BYTES = 64 * 1024
ATTACHMENT_PATH = r"^(/api)?/appointments/[^/]+/attachments/?$"
# What the media nodes call on API Gateway directly (MEDIA_API_URL), not through CloudFront: their reports and session
# checks are HMAC-signed by the node and the keys are public; chalicelib/api/middleware.py lets the same set through.
NODE_PATHS = r"^(/api)?/(media/(events|sessions)|\.well-known/jwks\.json)/?$"
# A Content-Length over 6 MB (6,291,456 bytes): the WAF inspects at most 64 KB of a body, so on the attachment route
# it goes by the declared length; the API checks the real one.
OVER_6_MB = r"^(629(1(4(5[7-9]|[6-9]\d)|[5-9]\d\d)|[2-9]\d{3})|63\d{5}|6[4-9]\d{5}|[7-9]\d{6}|[1-9]\d{7,})$"
TOO_LARGE_BODY = "too-large"
# The API Gateway stage (``api_url`` ends in ``/api/``): CloudFront keeps the path, so /api/x reaches resource /x.
API_STAGE = "api"
# Set by the /api/* viewer-request function from the address CloudFront saw (a viewer's own value is overwritten);
# the WAF's rate rules count per this address, since behind CloudFront the source address is an edge server's.
VIEWER_IP_HEADER = "X-Viewer-Ip"
# Routes as API Gateway (and so the regional WAF) sees them: with the stage prefix. The optional ``/api`` keeps the
# rules right should the stage prefix ever not be part of the inspected path.
SIGN_IN_PATH = r"^(/api)?/auth/"
# Booking = what takes or moves capacity: create, reschedule, cancel. Not the other POSTs under /appointments (join a
# call, procedures, attachments): those are staff work, and one office's agents share the council's egress address.
BOOKING_PATH = r"^(/api)?/appointments(/[^/]+/(reschedule|cancel))?/?$"
RATE_LIMITED_BODY = "rate-limited"
HSTS_MAX_AGE = Duration.days(730)
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), hid=(), midi=(), interest-cohort=()"
)

SPA_REWRITE_FUNCTION = """\
function handler(event) {
  // Client routes (no file extension in the last segment) are the SPA's: it routes them in the browser.
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""

VIEWER_IP_FUNCTION = f"""\
function handler(event) {{
  // The address CloudFront saw, for the WAF's per-address rate rules; whatever the viewer sent is replaced.
  var request = event.request;
  request.headers['{VIEWER_IP_HEADER.lower()}'] = {{ value: event.viewer.ip }};
  return request;
}}
"""


class WebStack(StageStack):
    """``distribution``: the CloudFront distribution serving the SPA and ``/api/*``."""

    def __init__(self, scope: Construct, construct_id: str, *, api: ApiStack, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = self.config
        rest_api_id = _api_attribute(api, "rest_api_id")
        _api_attribute(api, "api_url")  # the contract's pair: both must exist (the origin is built from the id)

        self.bucket = s3.Bucket(
            self,
            "SiteBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # A deployment that went wrong can be rolled back object by object; old builds go after 30 days.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-old-builds", noncurrent_version_expiration=Duration.days(30)),
            ],
            # The SPA is rebuilt from the repository: nothing in the bucket is a record.
            removal_policy=RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY,
            auto_delete_objects=not config.protect_data,
        )
        skip(self.bucket, CKV_AWS_18=_PUBLIC_BUILD_ONLY)
        if not config.protect_data:  # CDK's function that empties the bucket when the stack is deleted
            skip_deployment_helper(
                self.node.find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider").node.find_child("Handler")
            )
        self.content_security_policy = content_security_policy(
            region=self.region,
            media_domain=self._media_domain(),
            recordings_bucket=physical_name(self.stage, "recordings"),
            documents_bucket=physical_name(self.stage, "documents"),
        )
        headers = self._response_headers_policy()
        api_domain = f"{rest_api_id}.execute-api.{self.region}.{self.url_suffix}"
        api_origin = origins.HttpOrigin(
            api_domain,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            read_timeout=Duration.seconds(30),
            # A dynamic reference resolved by CloudFormation at deployment: the template holds the secret's name.
            custom_headers={ORIGIN_HEADER: SecretValue.secrets_manager(origin_secret_name(self.stage)).unsafe_unwrap()},
        )
        domain_names, certificate = self._custom_domain()
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Videoatención {self.stage}: SPA and /api",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
                function_associations=[self._function("SpaRewrite", SPA_REWRITE_FUNCTION)],
            ),
            additional_behaviors={
                "/api/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    # A POST must not be redirected: plain HTTP is refused, not upgraded.
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                    function_associations=[self._function("ViewerIp", VIEWER_IP_FUNCTION)],
                )
            },
            domain_names=domain_names,
            certificate=certificate,
            # Only with a custom certificate: the default *.cloudfront.net one has a policy CloudFront fixes.
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Europe and North America edges: the council's citizens are in Spain.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        skip(
            self.distribution,
            CKV_AWS_68="the web ACL is REGIONAL on the API stage, which it guards whatever the path (see _web_acl)",
            CKV_AWS_86=_PUBLIC_BUILD_ONLY,
        )
        if certificate is None:
            skip(
                self.distribution,
                CKV_AWS_174="the default *.cloudfront.net certificate, whose TLS policy CloudFront fixes "
                "(-c domain_name= with certificate_arn= sets TLSv1.2_2021)",
            )
        self.origin_secret_rotation = self._origin_secret_rotation(api_domain)
        self.web_acl = self._web_acl(rest_api_id)
        self.spa_deployed = self._deploy_spa()

        CfnOutput(self, "DistributionDomainName", value=self.distribution.distribution_domain_name)
        CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        CfnOutput(self, "SiteBucketName", value=self.bucket.bucket_name)
        CfnOutput(self, "WebAclArn", value=self.web_acl.attr_arn)

    # --- context -------------------------------------------------------------------------------------------

    def _media_domain(self) -> str | None:
        if self.context.media_domain is None:
            Annotations.of(self).add_warning_v2(
                "videoatencion:media-domain",
                "no -c media_domain=: the CSP lets the SPA connect to its own origin only, so browsers will refuse "
                "to reach the media nodes (calls fail) until it is set to the nodes' domain, e.g. media.example.cat",
            )
            return None
        return self.context.media_domain.name

    def _custom_domain(self) -> tuple[list[str] | None, acm.ICertificate | None]:
        domain = self.context.web_domain
        if domain is None:
            return None, None
        return [domain.name], acm.Certificate.from_certificate_arn(self, "Certificate", domain.certificate_arn)

    # --- CloudFront ----------------------------------------------------------------------------------------

    def _function(self, name: str, code: str) -> cloudfront.FunctionAssociation:
        function = cloudfront.Function(
            self,
            f"{name}Function",
            code=cloudfront.FunctionCode.from_inline(code),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        return cloudfront.FunctionAssociation(function=function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)

    def _origin_secret_rotation(self, api_domain: str) -> lambda_.Function:
        """Every 30 days a new origin secret, set in CloudFront first and then made current (see the handler)."""
        secret = secretsmanager.Secret.from_secret_name_v2(self, "OriginSecret", origin_secret_name(self.stage))
        function = lambda_.Function(
            self,
            "OriginSecretRotation",
            runtime=lambda_.Runtime.PYTHON_3_11,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(ROTATION_CODE), exclude=["__pycache__"]),
            timeout=Duration.minutes(1),
            environment={
                "DISTRIBUTION_ID": self.distribution.distribution_id,
                "ORIGIN_DOMAIN": api_domain,
                "HEADER_NAME": ORIGIN_HEADER,
            },
        )
        skip(
            function,
            CKV_AWS_115="Secrets Manager calls it once per rotation step, every 30 days",
            CKV_AWS_116="Secrets Manager retries a failed rotation step itself",
            CKV_AWS_117=OUTSIDE_VPC,
            CKV_AWS_173=PLAIN_ENVIRONMENT,
        )
        skip(
            function.node.find_child("LogGroup"),
            CKV_AWS_158="the rotation's steps only: no secret value and no personal data is logged",
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources=[secret.secret_arn],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution"],
                resources=[
                    self.format_arn(
                        service="cloudfront",
                        region="",
                        resource="distribution",
                        resource_name=self.distribution.distribution_id,
                    )
                ],
            )
        )
        secretsmanager.RotationSchedule(
            self,
            "OriginSecretRotationSchedule",
            secret=secret,
            rotation_lambda=function,
            automatically_after=ORIGIN_SECRET_ROTATION,
        )
        # Only this account's Secrets Manager may invoke it (checkov CKV_AWS_364).
        for child in function.node.children:
            if isinstance(child, lambda_.CfnPermission):
                child.source_account = self.account
        return function

    def _response_headers_policy(self) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment=f"Videoatención {self.stage}: CSP, HSTS and security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=self.content_security_policy, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, preload=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy", value=PERMISSIONS_POLICY, override=True
                    ),
                ]
            ),
        )

    def _deploy_spa(self) -> bool:
        dist = self.context.web_dist or WEB_DIST
        if not (dist / "index.html").is_file():
            message = (
                f"{dist} has no index.html: the SPA is not deployed with this stack. Build it first "
                "(`make web`, i.e. `cd web && npm run build`) and synthesise/deploy again."
            )
            Annotations.of(self).add_warning_v2("videoatencion:spa-not-built", message)
            CfnOutput(self, "SpaDeployed", value="no: web/dist was not built at synthesis")
            return False
        # Hashed bundles first, cached for a year; then the rest (index.html, favicon), revalidated on every load, so
        # a page never names a bundle that is not there yet. No pruning: a page loaded before a deploy can still
        # fetch the lazy chunks it names.
        assets = s3deploy.BucketDeployment(
            self,
            "DeployAssets",
            sources=[s3deploy.Source.asset(str(dist / "assets"))],
            destination_bucket=self.bucket,
            destination_key_prefix="assets/",
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=31536000, immutable")],
            prune=False,
            memory_limit=512,
        )
        pages = s3deploy.BucketDeployment(
            self,
            "DeployPages",
            sources=[s3deploy.Source.asset(str(dist), exclude=["assets", "assets/**"])],
            destination_bucket=self.bucket,
            cache_control=[s3deploy.CacheControl.from_string("no-cache")],
            prune=False,
            memory_limit=512,
            distribution=self.distribution,
            distribution_paths=["/index.html"],
        )
        pages.node.add_dependency(assets)
        # CDK's upload function (one for both deployments, at the stack's root) and its role.
        for child in self.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                skip_deployment_helper(child)
                skip(child, CKV_AWS_173=PLAIN_ENVIRONMENT)
                skip(
                    child.node.find_child("ServiceRole").node.find_child("DefaultPolicy"),
                    CKV_AWS_111="CDK's grants: writes to the site bucket and CloudFront invalidations of this "
                    "distribution (CreateInvalidation has no resource-level permissions)",
                )
        CfnOutput(self, "SpaDeployed", value=f"yes: {dist.name} as built at synthesis")
        return True

    # --- WAF -----------------------------------------------------------------------------------------------

    def _web_acl(self, rest_api_id: str) -> wafv2.CfnWebACL:
        """A REGIONAL web ACL on the API Gateway stage, in the stack's region.

        Why not a CLOUDFRONT-scope ACL: it must live in us-east-1, i.e. a second stack in another region with
        cross-region references (and a bootstrap there), and it would not cover callers that go to the
        ``execute-api`` endpoint directly. The regional ACL sees every API request, through CloudFront or not; the
        static SPA, served from CloudFront's cache, needs no rate rules. Behind CloudFront the source address is an
        edge server's, so the rate rules count per ``X-Viewer-Ip``, which the ``/api/*`` viewer function sets from
        the address CloudFront saw; requests without it (direct to ``execute-api``) are counted per source address.

        ``X-Viewer-Ip`` is only trustworthy on requests CloudFront forwarded, and anyone can send it straight to
        ``execute-api``: the first rule blocks requests without the origin header, and the API itself refuses any
        whose origin header is not the secret (the WAF cannot know the value without holding it in its
        configuration). So a forged viewer address buys a direct caller nothing but a 403.
        """
        rules: list[wafv2.CfnWebACL.RuleProperty] = [
            _blocking_rule(
                "NotThroughCloudFront",
                0,
                _all(_not(_has_header(ORIGIN_HEADER)), _not(_path(NODE_PATHS))),
                403,
                None,
            ),
            _blocking_rule(
                "BodyOver64KB",
                1,
                _all(_body_larger_than(MAX_BODY_BYTES), _not(_path(ATTACHMENT_PATH))),
                413,
                TOO_LARGE_BODY,
            ),
            _blocking_rule(
                "AttachmentOver6MB",
                2,
                _all(
                    _path(ATTACHMENT_PATH),
                    _matches(wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "content-length"}), OVER_6_MB),
                ),
                413,
                TOO_LARGE_BODY,
            ),
        ]
        for route, path, limit in (
            ("SignIn", SIGN_IN_PATH, self.config.waf_sign_in_per_5min),
            ("Booking", BOOKING_PATH, self.config.waf_booking_per_5min),
        ):
            rules.append(self._rate_rule(f"{route}PerViewer", len(rules), path, limit, route == "Booking", True))
            rules.append(self._rate_rule(f"{route}PerSource", len(rules), path, limit, route == "Booking", False))
        # Request patterns known to be malicious (Log4j's JNDI lookups among them, checkov CKV_AWS_192).
        rules.append(_managed_rules("AWSManagedRulesKnownBadInputsRuleSet", len(rules), "KnownBadInputs"))
        # Supporting documents arrive as base64 JSON of up to 4 MB: the common set's 8 KB body limit would block them.
        # The body-size rules above block what is too large for each route.
        rules.append(
            _managed_rules(
                "AWSManagedRulesCommonRuleSet", len(rules), "CommonRuleSet", counted=("SizeRestrictions_BODY",)
            )
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{physical_name(self.stage, 'api')}-acl",
            scope="REGIONAL",
            description=f"Videoatencion {self.stage} - rate limits on sign-in and booking, AWS common rules",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            # The body-size rule inspects up to 64 KB; a larger body is "oversize" and matches (blocked).
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit="KB_64"
                    )
                }
            ),
            custom_response_bodies={
                TOO_LARGE_BODY: _json_body(
                    type="/problems/payload_too_large",
                    title="The request body is too large",
                    status=413,
                    code="payload_too_large",
                    detail="The request body may have at most 64 KB (6 MB for a supporting document).",
                ),
                RATE_LIMITED_BODY: _json_body(
                    type="about:blank",
                    title="Too Many Requests",
                    status=429,
                    code="too_many_requests",
                    detail="Too many requests; try again later",
                    retry_after=300,
                ),
            },
            visibility_config=_visibility("WebAcl"),
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclApiStage",
            resource_arn=f"arn:{self.partition}:apigateway:{self.region}::/restapis/{rest_api_id}/stages/{API_STAGE}",
            web_acl_arn=acl.attr_arn,
        )
        return acl

    def _rate_rule(
        self, name: str, priority: int, path: str, limit: int, post_only: bool, per_viewer: bool
    ) -> wafv2.CfnWebACL.RuleProperty:
        scope: list[wafv2.CfnWebACL.StatementProperty] = [_path(path)]
        if post_only:
            scope.append(_equals(wafv2.CfnWebACL.FieldToMatchProperty(method={}), "POST"))
        if not per_viewer:
            # Only where CloudFront did not set the viewer's address (a call straight to execute-api).
            scope.append(_not(_has_header(VIEWER_IP_HEADER)))
        scope_down = _all(*scope)
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=429,
                        custom_response_body_key=RATE_LIMITED_BODY,
                        response_headers=[wafv2.CfnWebACL.CustomHTTPHeaderProperty(name="Retry-After", value="300")],
                    )
                )
            ),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=limit,
                    evaluation_window_sec=300,
                    aggregate_key_type="FORWARDED_IP" if per_viewer else "IP",
                    forwarded_ip_config=(
                        wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
                            header_name=VIEWER_IP_HEADER, fallback_behavior="NO_MATCH"
                        )
                        if per_viewer
                        else None
                    ),
                    scope_down_statement=scope_down,
                )
            ),
            visibility_config=_visibility(name),
        )


_NO_TRANSFORMATION = wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
# Why the site's bucket and distribution keep no access log of their own.
_PUBLIC_BUILD_ONLY = (
    "serves the public SPA build only; API requests are logged by API Gateway's access log and the web ACL's metrics"
)


def _managed_rules(
    name: str, priority: int, metric: str, counted: tuple[str, ...] = ()
) -> wafv2.CfnWebACL.RuleProperty:
    """AWS's managed rule group ``name``, blocking as AWS sets it but for the ``counted`` rules (counted only)."""
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(metric),
    )


def _json_body(**problem: object) -> wafv2.CfnWebACL.CustomResponseBodyProperty:
    """A response body the web ACL answers with itself: the problem, as JSON."""
    return wafv2.CfnWebACL.CustomResponseBodyProperty(content_type="APPLICATION_JSON", content=json.dumps(problem))


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _equals(field: wafv2.CfnWebACL.FieldToMatchProperty, value: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=field,
            positional_constraint="EXACTLY",
            search_string=value,
            text_transformations=[_NO_TRANSFORMATION],
        )
    )


def _blocking_rule(
    name: str, priority: int, statement: wafv2.CfnWebACL.StatementProperty, status: int, body: str | None
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=status, custom_response_body_key=body
                )
            )
        ),
        statement=statement,
        visibility_config=_visibility(name),
    )


def _all(*statements: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.StatementProperty:
    """The statements together (a single one as it is: WAF's AND takes two or more)."""
    if len(statements) == 1:
        return statements[0]
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=list(statements))
    )


def _not(statement: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=statement))


def _matches(field: wafv2.CfnWebACL.FieldToMatchProperty, regex: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            regex_string=regex, field_to_match=field, text_transformations=[_NO_TRANSFORMATION]
        )
    )


def _path(regex: str) -> wafv2.CfnWebACL.StatementProperty:
    return _matches(wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}), regex)


def _body_larger_than(size: int) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
            ),
            comparison_operator="GT",
            size=size,
            text_transformations=[_NO_TRANSFORMATION],
        )
    )


def _has_header(name: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": name.lower()}),
            comparison_operator="GT",
            size=0,
            text_transformations=[_NO_TRANSFORMATION],
        )
    )


def content_security_policy(
    *,
    region: str,
    media_domain: str | None,
    recordings_bucket: str,
    documents_bucket: str,
    media_port: int = MEDIA_PORT,
) -> str:
    """The SPA's CSP: its own scripts and styles only; calls to the media nodes; recordings and documents from S3.

    Presigned URLs name the bucket as a host, regional or (boto3's default for presigning) global.
    """

    def bucket_hosts(bucket: str) -> list[str]:
        return [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]

    # Each node is https://{task id}.{media_domain}:{port} (MediaStack), its events WebSocket the same with wss.
    media = [f"https://*.{media_domain}:{media_port}", f"wss://*.{media_domain}:{media_port}"] if media_domain else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *bucket_hosts(documents_bucket)],
        "media-src": ["'self'", "blob:", *bucket_hosts(recordings_bucket)],
        "connect-src": ["'self'", *media],
        "font-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return (
        "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items()) + "; upgrade-insecure-requests"
    )


def _api_attribute(api: ApiStack, name: str) -> str:
    value = getattr(api, name, None)
    if not isinstance(value, str) or not value:
        raise AttributeError(
            f"WebStack needs ApiStack.{name} (a str token, see the issue 8 contract: rest_api_id and api_url) "
            "to route /api/* and attach the WAF; ApiStack does not set it yet"
        )
    return value
