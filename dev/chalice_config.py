"""Expected environment of each Chalice stage, derived from the one resource description.

``.chalice/config.json`` must hold exactly these variables (a test checks it; ``python -m dev.chalice_config``
rewrites the file). Only names and non-secret values live there: secrets are read from SSM at run time.

IAM: no policy is generated from the code (``autogen_policy`` off). Every function gets a role of its own whose
only policy in the file, ``.chalice/policy-logs-only.json``, lets it write its logs; the deployment
(``infra/stacks/api_stack.py``) replaces it with the function's least-privilege policy, resource by resource.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chalicelib.settings import DEFAULT_TIMEZONE
from infra.resources import RESOURCES, key_alias, origin_secret_name, parameter_path, physical_name

CONFIG_PATH = Path(__file__).resolve().parents[1] / ".chalice" / "config.json"
STAGES = ("dev", "prod")


def stage_environment(stage: str) -> dict[str, str]:
    env = {
        "STAGE": stage,
        "POWERTOOLS_SERVICE_NAME": "videoatencion-api",
        "POWERTOOLS_METRICS_NAMESPACE": "Videoatencion",
        "COUNCIL_TIMEZONE": DEFAULT_TIMEZONE,
    }
    for table in RESOURCES.tables:
        env[table.env] = physical_name(stage, table.name)
    for bucket in RESOURCES.buckets:
        env[bucket.env] = physical_name(stage, bucket.name)
    for key in RESOURCES.keys:
        env[key.env] = key_alias(stage, key.name)
    for parameter in RESOURCES.parameters:
        env[parameter.env] = parameter_path(stage, parameter.name)
    for identity in RESOURCES.email_identities:
        if stage == "dev":
            env[identity.address_env] = identity.dev_address
    env.update(EID_ENDPOINTS[stage])
    env.update(TRAIL_TIMING[stage])
    if stage != "dev":
        # Only CloudFront may call the API (chalicelib/api/middleware.py); locally there is no CloudFront.
        env["ORIGIN_SECRET_ID"] = origin_secret_name(stage)
    if stage == "dev":
        # The local stack: the SPA's origin (the API sits under /api) and the fake eID provider (dev/fake_eid.py).
        env["PUBLIC_BASE_URL"] = "http://127.0.0.1:8080"
        env["EID_CLIENT_ID"] = "videoatencion-dev"
    return dict(sorted(env.items()))


# Catalonia's identity gateway (Consorci AOC, VÀLid) in production; the fake provider locally. The client id and
# the public base URL of production are deployment parameters (infra), the client secret lives in SSM.
EID_ENDPOINTS = {
    "dev": {
        "EID_AUTHORIZE_URL": "http://127.0.0.1:8090/o/oauth2/auth",
        "EID_TOKEN_URL": "http://127.0.0.1:8090/o/oauth2/token",
        "EID_USERINFO_URL": "http://127.0.0.1:8090/serveis-rest/getUserInfo",
    },
    "prod": {
        "EID_AUTHORIZE_URL": "https://identitats.aoc.cat/o/oauth2/auth",
        "EID_TOKEN_URL": "https://identitats.aoc.cat/o/oauth2/token",
        "EID_USERINFO_URL": "https://identitats.aoc.cat/serveis-rest/getUserInfo",
    },
}


# The role policy `chalice package` puts on each function's role: logs only (see the module's docstring).
IAM_POLICY_FILE = "policy-logs-only.json"


# The audit trail's timing: production delivers log files within a minute and digests hourly (as CloudTrail); the
# local stack within seconds and every 30 s, so a developer sees the chain grow.
TRAIL_TIMING = {
    "dev": {"TRAIL_SETTLE_SECONDS": "2", "DIGEST_PERIOD_SECONDS": "30", "TRAIL_RETENTION_DAYS": "1"},
    "prod": {"TRAIL_SETTLE_SECONDS": "30", "DIGEST_PERIOD_SECONDS": "3600", "TRAIL_RETENTION_DAYS": "2190"},
}


def expected_config() -> dict[str, object]:
    return {
        "version": "2.0",
        "app_name": "videoatencion",
        # Dependencies in a layer of their own, cached by chalice per requirements.txt (.chalice/deployments/): a code
        # change repackages only the app (~1 s), not every wheel (~1 min) — `chalice package` runs at each synthesis.
        "automatic_layer": True,
        "stages": {
            stage: {
                "api_gateway_stage": "api",
                "autogen_policy": False,
                "iam_policy_file": IAM_POLICY_FILE,
                "environment_variables": stage_environment(stage),
            }
            for stage in STAGES
        },
    }


def main() -> int:
    CONFIG_PATH.write_text(json.dumps(expected_config(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {CONFIG_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
