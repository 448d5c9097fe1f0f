"""chalice's CDK construct, packaging the app in a child process and leaving nothing in the working directory.

``chalice.cdk.Chalice`` runs ``chalice package`` inside the synthesis, in-process. Used as it is, it would

- take the stage from the scope's path (``videoatencion-prod-api``), not the Chalice stage of ``.chalice/config.json``;
- import ``app.py`` into the synthesising process with the stage's variables written into ``os.environ`` (chalice's
  ``load_chalice_app`` updates the environment it is given, and ``package_app`` gives it ``os.environ``): a test
  session or a second synthesis would then see a stale ``app`` module and another stage's variables;
- write a copy of the deployment packages (~50 MB) under ``./chalice.out/<uuid>/`` at every synthesis.

This subclass keeps the construct (its ``CfnInclude`` of the SAM template, assets, ``get_resource``/``get_role``)
and changes only where and how the package is made: in a child process, into a temporary directory that is removed
once CDK has staged the assets into the cloud assembly.

Speed: chalice caches the dependency layer per ``requirements.txt`` and the app's code per source hash in
``.chalice/deployments/`` (``automatic_layer`` is on in ``.chalice/config.json``), so a synthesis repackages in ~1 s;
only a changed ``requirements.txt`` (or a fresh checkout) downloads the Linux wheels again (~1 min, needs the package
index through pip).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from chalice.cdk import Chalice
from constructs import Construct

# Run by the child process: chalice's own API, the one the construct calls.
_PACKAGE = """
import json, sys
from chalice.api import package_app
package_app(project_dir=sys.argv[1], output_dir=sys.argv[2], stage=sys.argv[3], chalice_config=json.loads(sys.argv[4]))
"""
PACKAGE_TIMEOUT_SECONDS = 900


class ChalicePackageError(RuntimeError):
    """``chalice package`` failed: its output says why (often the package index was not reachable)."""


class PackagedChalice(Chalice):
    """``Chalice`` for the Chalice stage ``stage`` of the project in ``source_dir``, packaged for ``region``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_dir: str,
        stage: str,
        stage_config: dict[str, Any],
        region: str,
    ) -> None:
        self._chalice_stage = stage
        self._region = region
        self._workdir = tempfile.mkdtemp(prefix="chalice-package-")
        try:
            super().__init__(scope, construct_id, source_dir=source_dir, stage_config=stage_config)
        finally:
            # CfnInclude has read the template and the assets are staged (copied) into the cloud assembly.
            shutil.rmtree(self._workdir, ignore_errors=True)
        self.stage_name = stage

    def _package_app(self) -> None:
        self._sam_package_dir = str(Path(self._workdir) / "package")
        environment = {**os.environ, "AWS_DEFAULT_REGION": self._region}
        command = [
            sys.executable,
            "-c",
            _PACKAGE,
            self.source_dir,
            self._sam_package_dir,
            self._chalice_stage,
            json.dumps(self.stage_config or {}),
        ]
        try:
            subprocess.run(  # noqa: S603  # our interpreter, chalice's API, arguments from this app
                command,
                cwd=self.source_dir,
                env=environment,
                check=True,
                capture_output=True,
                text=True,
                timeout=PACKAGE_TIMEOUT_SECONDS,
            )
        except subprocess.CalledProcessError as failed:
            raise ChalicePackageError(
                f"chalice package (stage {self._chalice_stage}) failed:\n{failed.stdout}{failed.stderr}"
            ) from None
        _fix_log_group_names(Path(self._sam_package_dir) / "sam.json")

    def _generate_sam_template_with_assets(self, chalice_out_dir: str, package_id: str) -> str:
        template: str = super()._generate_sam_template_with_assets(self._workdir, package_id)
        return template


def warm_cache(source_dir: Path, stage: str = "prod") -> None:
    """Packages the app once into a directory thrown away, for what it leaves in ``.chalice/deployments/``: on a
    fresh checkout the dependency layer (~1 min of pip and zip), built here while other work runs (``make test``
    starts it beside the installs' next steps) instead of inside the first synthesis."""
    with tempfile.TemporaryDirectory(prefix="chalice-warm-") as output:
        subprocess.run(  # noqa: S603  # our interpreter, chalice's API, arguments from this app
            [sys.executable, "-c", _PACKAGE, str(source_dir), output, stage, "{}"],
            cwd=source_dir,
            env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-south-2")},
            check=True,
            timeout=PACKAGE_TIMEOUT_SECONDS,
        )


def _fix_log_group_names(sam_template_path: Path) -> None:
    """chalice 1.34 names the API handler's log group ``/aws/lambda/${ApiHandler}`` while the function's logical id
    is ``APIHandler`` (``log_retention_in_days`` + SAM), which ``CfnInclude`` rightly refuses: point each log group
    at the function it was made for."""
    template = json.loads(sam_template_path.read_text(encoding="utf-8"))
    resources = template["Resources"]
    by_lower_case = {logical_id.lower(): logical_id for logical_id in resources}
    for resource in resources.values():
        if resource["Type"] != "AWS::Logs::LogGroup":
            continue
        name = resource["Properties"].get("LogGroupName")
        if isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
            prefix, _, rest = name["Fn::Sub"].partition("${")
            referenced = rest.rstrip("}")
            if referenced not in resources and referenced.lower() in by_lower_case:
                name["Fn::Sub"] = f"{prefix}${{{by_lower_case[referenced.lower()]}}}"
    sam_template_path.write_text(json.dumps(template, indent=2), encoding="utf-8")


if __name__ == "__main__":
    warm_cache(Path(__file__).resolve().parents[2])
