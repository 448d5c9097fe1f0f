"""The web stack: the SPA in a private bucket behind CloudFront (OAC), ``/api/*`` to API Gateway uncached with every
viewer header but Host, strict security headers, and the WAF's rate rules from the stage config."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.resources import origin_secret_name, physical_name
from infra.stacks.media.tls_proxy import TLS_PORT as MEDIA_PORT
from infra.stacks.web_stack import (
    ATTACHMENT_PATH,
    BOOKING_PATH,
    ORIGIN_HEADER,
    OVER_6_MB,
    SIGN_IN_PATH,
    SPA_REWRITE_FUNCTION,
    VIEWER_IP_FUNCTION,
    VIEWER_IP_HEADER,
    WEB_DIST,
    WebStack,
)
from infra.stages import DEV, PROD
from infra.tests.standalone import web_template
from infra.tests.synthesis import PROD_CONTEXT, REGION, STAGE, Synthesised
from infra.tests.templates import BLOCK_ALL_PUBLIC_ACCESS, tls_only_policy

# CloudFront's managed policies.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CSP_MAX_LENGTH = 1783  # CloudFront's limit on the Content-Security-Policy value
MEDIA_DOMAIN = "media.vilademo.example"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"


@pytest.fixture(scope="module")
def web(synthesised: Synthesised) -> Template:
    return synthesised["web"].template


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory) -> tuple[WebStack, Template]:
    """The dev stage with operator overrides, a custom domain, the media domain, and no built SPA."""
    return web_template(
        "dev",
        waf_sign_in_per_5min="42",
        media_domain=MEDIA_DOMAIN,
        media_hosted_zone_id=PROD_CONTEXT["media_hosted_zone_id"],
        media_tls_secret_arn=PROD_CONTEXT["media_tls_secret_arn"],
        domain_name="cita.vilademo.example",
        certificate_arn=CERTIFICATE,
        web_dist=str(tmp_path_factory.mktemp("empty-dist")),
    )


def _one(template: Template, resource_type: str) -> dict[str, Any]:
    found = template.find_resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return dict(next(iter(found.values())))


def _distribution(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = _one(template, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    return config


def _behaviour(template: Template, pattern: str) -> dict[str, Any]:
    behaviours = [b for b in _distribution(template).get("CacheBehaviors", []) if b["PathPattern"] == pattern]
    assert len(behaviours) == 1
    return dict(behaviours[0])


def _origin(template: Template, origin_id: str) -> dict[str, Any]:
    return dict(next(o for o in _distribution(template)["Origins"] if o["Id"] == origin_id))


def _headers(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = _one(template, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    return config


def _csp(template: Template) -> dict[str, list[str]]:
    value: str = _headers(template)["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = [d.split() for d in value.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def _rules(template: Template) -> dict[str, dict[str, Any]]:
    acl = _one(template, "AWS::WAFv2::WebACL")["Properties"]
    return {rule["Name"]: rule for rule in acl["Rules"]}


# --- the SPA's bucket and origin -----------------------------------------------------------------------------------


def test_the_spa_bucket_is_private_encrypted_and_tls_only(web: Template) -> None:
    bucket_id, bucket = next(iter(web.find_resources("AWS::S3::Bucket").items()))

    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == BLOCK_ALL_PUBLIC_ACCESS
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "WebsiteConfiguration" not in properties
    web.has_resource_properties("AWS::S3::BucketPolicy", tls_only_policy(bucket_id))


def test_cloudfront_reads_the_bucket_through_origin_access_control_only(web: Template) -> None:
    oac_id = next(iter(web.find_resources("AWS::CloudFront::OriginAccessControl")))
    web.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {"OriginAccessControlConfig": {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always"}},
    )
    default = _distribution(web)["DefaultCacheBehavior"]
    s3_origin = _origin(web, default["TargetOriginId"])

    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    # The only Allow in the bucket policy: CloudFront's service principal, for this distribution, reading.
    statements = _one(web, "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows
    for allow in allows:
        assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert allow["Action"] == "s3:GetObject"
        assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]


def test_the_default_behaviour_serves_the_spa_over_https_with_client_routes_rewritten(web: Template) -> None:
    config = _distribution(web)
    default = config["DefaultCacheBehavior"]

    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
    assert [f["EventType"] for f in default["FunctionAssociations"]] == ["viewer-request"]
    assert config["DefaultRootObject"] == "index.html"
    # No distribution-wide error pages: they would replace the API's own 403/404 problem+json answers.
    assert "CustomErrorResponses" not in config


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("/", "/index.html"),
        ("/appointments/6f1c2d3e", "/index.html"),
        ("/staff/audit", "/index.html"),
        ("/verify", "/index.html"),
        ("/assets/index-CPBqvWNy.js", "/assets/index-CPBqvWNy.js"),
        ("/favicon.svg", "/favicon.svg"),
    ],
)
def test_the_spa_function_sends_client_routes_to_index_html_and_files_through(uri: str, served: str) -> None:
    script = SPA_REWRITE_FUNCTION + f"process.stdout.write(handler({{request: {{uri: {json.dumps(uri)}}}}}).uri)"

    assert subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout == served


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_api_function_replaces_a_forged_viewer_address_with_the_one_cloudfront_saw() -> None:
    forged = {VIEWER_IP_HEADER.lower(): {"value": "198.51.100.1"}}
    event = {"viewer": {"ip": "203.0.113.7"}, "request": {"uri": "/api/auth/otp", "headers": forged}}
    script = VIEWER_IP_FUNCTION + f"process.stdout.write(JSON.stringify(handler({json.dumps(event)}).headers))"

    headers = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)

    assert headers == {VIEWER_IP_HEADER.lower(): {"value": "203.0.113.7"}}


def test_the_built_spa_is_deployed_when_web_dist_exists(synthesised: Synthesised, web: Template) -> None:
    deployments = web.find_resources("Custom::CDKBucketDeployment")
    built = (WEB_DIST / "index.html").is_file()

    assert synthesised["web"].stack.spa_deployed is built  # type: ignore[attr-defined]
    assert len(deployments) == (2 if built else 0)
    if built:
        cache_controls = sorted(str(d["Properties"]["SystemMetadata"]["cache-control"]) for d in deployments.values())
        assert cache_controls == ["no-cache", "public, max-age=31536000, immutable"]


def test_without_a_built_spa_the_stack_synthesises_and_says_so(overridden: tuple[WebStack, Template]) -> None:
    stack, template = overridden

    assert stack.spa_deployed is False
    template.resource_count_is("Custom::CDKBucketDeployment", 0)
    template.has_output("SpaDeployed", {"Value": Match.string_like_regexp("^no")})


# --- /api/* ---------------------------------------------------------------------------------------------------------


def test_api_requests_go_to_the_api_gateway_stage_uncached_with_every_viewer_header_but_host(web: Template) -> None:
    api = _behaviour(web, "/api/*")

    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER  # Authorization reaches the API
    assert api["ViewerProtocolPolicy"] == "https-only"
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert [f["EventType"] for f in api["FunctionAssociations"]] == ["viewer-request"]
    origin = _origin(web, api["TargetOriginId"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert "OriginPath" not in origin  # /api/x reaches stage `api`, resource /x
    assert f".execute-api.{REGION}." in json.dumps(origin["DomainName"])


# --- headers -----------------------------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(web: Template) -> None:
    policy_id = next(iter(web.find_resources("AWS::CloudFront::ResponseHeadersPolicy")))
    security = _headers(web)["SecurityHeadersConfig"]

    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 2 * 365 * 24 * 3600,
        "IncludeSubdomains": True,
        "Preload": True,
        "Override": True,
    }
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "same-origin"
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    custom = {h["Header"]: h["Value"] for h in _headers(web)["CustomHeadersConfig"]["Items"]}
    permissions = dict(p.strip().split("=", 1) for p in custom["Permissions-Policy"].split(","))
    assert permissions["camera"] == "(self)"
    assert permissions["microphone"] == "(self)"
    assert permissions["geolocation"] == "()"
    config = _distribution(web)
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": policy_id}


def test_the_csp_allows_only_the_sites_own_code_and_the_recordings_and_documents_buckets(web: Template) -> None:
    csp = _csp(web)

    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert "blob:" in csp["media-src"]
    assert f"https://{physical_name(STAGE, 'recordings')}.s3.{REGION}.amazonaws.com" in csp["media-src"]
    assert f"https://{physical_name(STAGE, 'documents')}.s3.{REGION}.amazonaws.com" in csp["img-src"]
    assert not any("unsafe" in source or source == "*" for sources in csp.values() for source in sources)
    assert len(_headers(web)["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]) <= (
        CSP_MAX_LENGTH
    )


def _media_sources(domain: str) -> list[str]:
    return [f"https://*.{domain}:{MEDIA_PORT}", f"wss://*.{domain}:{MEDIA_PORT}"]


def test_the_csp_connects_to_the_site_and_the_media_nodes_only(synthesised: Synthesised, web: Template) -> None:
    domain = synthesised.deployment.context.media_domain

    assert _csp(web)["connect-src"] == ["'self'", *(_media_sources(domain.name) if domain else [])]


def test_the_csp_lets_the_spa_reach_the_media_nodes_over_https_and_wss(overridden: tuple[WebStack, Template]) -> None:
    assert _csp(overridden[1])["connect-src"] == ["'self'", *_media_sources(MEDIA_DOMAIN)]


def test_without_a_media_domain_the_csp_connects_to_the_site_only() -> None:
    _, template = web_template("dev", web_dist="/nonexistent")

    assert _csp(template)["connect-src"] == ["'self'"]


def test_a_custom_domain_uses_its_us_east_1_certificate_with_tls_1_2(overridden: tuple[WebStack, Template]) -> None:
    config = _distribution(overridden[1])

    assert config["Aliases"] == ["cita.vilademo.example"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"domain_name": "cita.vilademo.example"}, "go together"),
        (
            {"domain_name": "cita.vilademo.example", "certificate_arn": CERTIFICATE.replace("us-east-1", REGION)},
            "us-east-1",
        ),
        ({"media_domain": "x; script-src *"}, "media_domain"),
        ({"waf_sign_in_per_5min": "5"}, "at least 10"),
    ],
)
def test_wrong_web_context_is_refused_with_what_to_pass(context: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        web_template("dev", web_dist="/nonexistent", **context)


# --- WAF -------------------------------------------------------------------------------------------------------------


def test_the_web_acl_is_regional_and_attached_to_the_api_stage(web: Template) -> None:
    acl_id = next(iter(web.find_resources("AWS::WAFv2::WebACL")))
    acl = _one(web, "AWS::WAFv2::WebACL")["Properties"]
    association = _one(web, "AWS::WAFv2::WebACLAssociation")["Properties"]

    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert json.dumps(association["ResourceArn"]).endswith('/stages/api"]]}')


def _rate(rule: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = rule["Statement"]["RateBasedStatement"]
    return statement


@pytest.mark.parametrize(
    ("route", "limit"), [("SignIn", PROD.waf_sign_in_per_5min), ("Booking", PROD.waf_booking_per_5min)]
)
def test_the_rate_rules_have_the_stage_limits_per_viewer_and_per_source(web: Template, route: str, limit: int) -> None:
    rules = _rules(web)
    viewer, source = rules[f"{route}PerViewer"], rules[f"{route}PerSource"]

    for rule in (viewer, source):
        assert _rate(rule)["Limit"] == limit
        assert _rate(rule)["EvaluationWindowSec"] == 300
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert _rate(viewer)["AggregateKeyType"] == "FORWARDED_IP"
    assert _rate(viewer)["ForwardedIPConfig"]["HeaderName"] == VIEWER_IP_HEADER
    assert _rate(source)["AggregateKeyType"] == "IP"
    path = SIGN_IN_PATH if route == "SignIn" else BOOKING_PATH
    assert path in json.dumps(_rate(viewer)["ScopeDownStatement"]).replace("\\\\", "\\")
    assert ('"SearchString": "POST"' in json.dumps(_rate(viewer)["ScopeDownStatement"])) is (route == "Booking")


def test_an_operator_override_changes_the_rate_limit(overridden: tuple[WebStack, Template]) -> None:
    rules = _rules(overridden[1])

    assert _rate(rules["SignInPerViewer"])["Limit"] == 42
    assert _rate(rules["SignInPerSource"])["Limit"] == 42
    assert _rate(rules["BookingPerViewer"])["Limit"] == DEV.waf_booking_per_5min


def test_the_aws_common_rules_run_after_the_rate_rules_letting_uploads_through(web: Template) -> None:
    rules = _rules(web)
    common = rules["AWSManagedRulesCommonRuleSet"]

    assert common["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    assert common["Priority"] > max(r["Priority"] for name, r in rules.items() if name != common["Name"])
    overrides = common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]


def test_api_requests_carry_the_origin_secret_by_reference_never_its_value(web: Template) -> None:
    api = next(o for o in _distribution(web)["Origins"] if "execute-api" in json.dumps(o["DomainName"]))
    headers = {h["HeaderName"]: h["HeaderValue"] for h in api["OriginCustomHeaders"]}

    # CloudFormation resolves the reference at deployment; the template names the secret only
    assert headers[ORIGIN_HEADER] == f"{{{{resolve:secretsmanager:{origin_secret_name('prod')}:SecretString:::}}}}"


def test_the_origin_secret_rotates_every_30_days_through_cloudfront(web: Template) -> None:
    schedule = _one(web, "AWS::SecretsManager::RotationSchedule")["Properties"]
    functions = web.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": "index.handler"}})
    (rotation_id, rotation), *_ = functions.items()

    assert schedule["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
    assert schedule["RotationLambdaARN"] == {"Fn::GetAtt": [rotation_id, "Arn"]}
    assert rotation["Properties"]["Environment"]["Variables"]["HEADER_NAME"] == ORIGIN_HEADER
    policies = json.dumps(web.find_resources("AWS::IAM::Policy"))
    for action in ("cloudfront:UpdateDistribution", "secretsmanager:PutSecretValue"):
        assert action in policies
    assert "secretsmanager:GetSecretValue" in policies


def test_the_waf_blocks_requests_that_did_not_come_through_cloudfront_first(web: Template) -> None:
    rule = _rules(web)["NotThroughCloudFront"]

    assert rule["Priority"] == 0
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 403
    without_header, not_node = rule["Statement"]["AndStatement"]["Statements"]
    header = without_header["NotStatement"]["Statement"]["SizeConstraintStatement"]["FieldToMatch"]
    assert header == {"SingleHeader": {"Name": ORIGIN_HEADER.lower()}}
    # The media nodes call their signed routes and the public keys on API Gateway directly: only those pass.
    node_paths = re.compile(not_node["NotStatement"]["Statement"]["RegexMatchStatement"]["RegexString"])
    for path in ("/api/media/events", "/api/media/sessions", "/api/.well-known/jwks.json"):
        assert node_paths.match(path), path
    for path in ("/api/services", "/api/appointments", "/api/media/eventsx", "/api/me/access-log"):
        assert not node_paths.match(path), path


def test_body_size_rules_block_rather_than_count(web: Template) -> None:
    rules = _rules(web)
    acl = _one(web, "AWS::WAFv2::WebACL")["Properties"]

    for name in ("BodyOver64KB", "AttachmentOver6MB"):
        assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413
    size = rules["BodyOver64KB"]["Statement"]["AndStatement"]["Statements"][0]["SizeConstraintStatement"]
    assert (size["Size"], size["ComparisonOperator"]) == (65536, "GT")
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert acl["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == "KB_64"


@pytest.mark.parametrize(
    ("length", "blocked"),
    [("4194304", False), ("5600000", False), ("6291456", False), ("6291457", True), ("9000000", True)],
)
def test_the_attachment_rule_blocks_a_declared_length_over_6_mb(length: str, blocked: bool) -> None:
    assert bool(re.fullmatch(OVER_6_MB, length)) is blocked
    assert re.search(ATTACHMENT_PATH, "/api/appointments/6f1c/attachments")
    assert not re.search(ATTACHMENT_PATH, "/api/appointments/6f1c/procedures")


@pytest.mark.parametrize(
    ("path", "sign_in", "booking"),
    [
        ("/api/auth/otp", True, False),
        ("/api/auth/otp/verify", True, False),
        ("/api/auth/staff/login", True, False),
        ("/api/appointments", False, True),
        ("/api/appointments/6f1c/reschedule", False, True),
        ("/api/appointments/6f1c/cancel", False, True),
        ("/api/appointments/6f1c/call", False, False),
        ("/api/appointments/6f1c/attachments", False, False),
        ("/api/services", False, False),
    ],
)
def test_the_rate_rules_match_the_sign_in_and_booking_routes(path: str, sign_in: bool, booking: bool) -> None:
    assert bool(re.search(SIGN_IN_PATH, path)) is sign_in
    assert bool(re.search(BOOKING_PATH, path)) is booking
