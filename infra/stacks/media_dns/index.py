"""One DNS name per media task, kept by ECS's task state events: how a browser reaches one particular node over TLS.

The API places a room on a node by the URL the node registered, ``https://{task id}.{MEDIA_DNS_DOMAIN}:{port}``; a
Fargate task's public IP is only known once its network interface exists. EventBridge hands this function every
"ECS Task State Change" of the media cluster:

- any state before STOPPED whose interface has a public IP: UPSERT ``{task id}.{domain}`` A {ip} (idempotent; the
  PENDING event already has the interface, so the name usually exists before the image is even pulled);
- TURN tasks also get a multivalue answer record ``turn.{domain}`` with the task id as set identifier, so
  several TURN tasks share one name without a read-modify-write;
- STOPPED: DELETE what is there (the interface is gone by then, so the record is read back first).

Task ids are never reused, so a stale name can only point at nothing of ours; the API never hands out the URL of a node
that stopped heartbeating.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

logger = logging.getLogger()
logger.setLevel(logging.INFO)

TTL_SECONDS = 60
TURN_LABEL = "turn"


def handler(event: dict[str, Any], _context: Any = None, route53: Any = None, ec2: Any = None) -> dict[str, Any]:
    zone_id = os.environ["MEDIA_DNS_ZONE_ID"]
    domain = os.environ["MEDIA_DNS_DOMAIN"].rstrip(".").lower()
    # {"service:<media service>": "node", "service:<turn service>": "turn"}
    groups: dict[str, str] = json.loads(os.environ["MEDIA_DNS_GROUPS"])
    detail = event.get("detail") or {}
    kind = groups.get(str(detail.get("group", "")))
    task_arn = str(detail.get("taskArn", ""))
    if kind is None or not task_arn:
        return {"action": "ignored"}
    task_id = task_arn.rsplit("/", 1)[-1].lower()
    records: list[tuple[str, str | None]] = [(f"{task_id}.{domain}", None)]
    if kind == "turn":
        records.append((f"{TURN_LABEL}.{domain}", task_id))
    if route53 is None:
        import boto3

        route53 = boto3.client("route53")
    if detail.get("lastStatus") == "STOPPED":
        changes = [{"Action": "DELETE", "ResourceRecordSet": found} for found in _existing(route53, zone_id, records)]
        action = "delete"
    else:
        if ec2 is None:
            import boto3

            ec2 = boto3.client("ec2")
        ip = _public_ip(ec2, detail)
        if ip is None:
            return {"action": "waiting", "task": task_id}
        changes = [{"Action": "UPSERT", "ResourceRecordSet": _record(name, ip, set_id)} for name, set_id in records]
        action = "upsert"
    if changes:
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Comment": f"media task {task_id}", "Changes": changes}
        )
    logger.info(json.dumps({"action": action, "task": task_id, "kind": kind, "changes": len(changes)}))
    return {"action": action, "task": task_id, "changes": len(changes)}


def _record(name: str, ip: str, set_id: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": name, "Type": "A", "TTL": TTL_SECONDS, "ResourceRecords": [{"Value": ip}]}
    if set_id is not None:
        record.update({"SetIdentifier": set_id, "MultiValueAnswer": True})
    return record


def _public_ip(ec2: Any, detail: dict[str, Any]) -> str | None:
    for attachment in detail.get("attachments") or []:
        if attachment.get("type") != "eni":
            continue
        values = {d.get("name"): d.get("value") for d in attachment.get("details") or []}
        eni = values.get("networkInterfaceId")
        if not eni:
            continue
        interfaces = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni]).get("NetworkInterfaces") or []
        for interface in interfaces:
            ip = (interface.get("Association") or {}).get("PublicIp")
            if ip:
                return str(ip)
    return None


def _existing(route53: Any, zone_id: str, records: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, set_id in records:
        start: dict[str, Any] = {"StartRecordName": name, "StartRecordType": "A"}
        if set_id is not None:
            start["StartRecordIdentifier"] = set_id
        page = route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1", **start)
        for record in page.get("ResourceRecordSets") or []:
            same_name = str(record.get("Name", "")).rstrip(".").lower() == name
            if same_name and record.get("Type") == "A" and record.get("SetIdentifier") == set_id:
                found.append(record)
    return found
