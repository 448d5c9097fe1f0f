"""Development stage only: the messages the service sent, as moto recorded them (SES emails, SNS SMS)."""

from __future__ import annotations

import os
from email import message_from_string
from email.policy import default
from typing import Any

import requests

from chalicelib.adapters.dynamo.models import NotificationItem

# Inside mock_aws (tests) moto answers this host in-process; against the local moto server, its endpoint.
IN_PROCESS = "http://motoapi.amazonaws.com"


class MotoOutbox:
    def __init__(self, endpoint_url: str | None, log: type[NotificationItem]) -> None:
        self._log = log
        self._base = (endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or IN_PROCESS).rstrip("/")

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        data = requests.get(f"{self._base}/moto-api/data.json", timeout=5).json()
        found: list[dict[str, Any]] = []
        for message in data.get("ses", {}).get("Message", []):
            for address in message.get("destinations", {}).get("ToAddresses", []):
                found.append(
                    {
                        "id": message["id"],
                        "to": address,
                        "subject": message.get("subject"),
                        "body": message.get("body", ""),
                    }
                )
        for raw in data.get("ses", {}).get("RawMessage", []):
            mail = message_from_string(raw.get("raw_data", ""), policy=default)
            text = mail.get_body(preferencelist=("plain",))
            attachments = [
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "content": part.get_content(),
                }
                for part in mail.iter_attachments()
                if part.get_content_maintype() == "text"
            ]
            for address in dict.fromkeys(raw.get("destinations", [])):
                found.append(
                    {
                        "id": raw["id"],
                        "to": address,
                        "subject": str(mail["Subject"] or ""),
                        "body": text.get_content() if text else "",
                        "attachments": attachments,
                    }
                )
        for sms in data.get("sns", {}).get("SMS", []):
            found.append({"id": sms["message_id"], "to": sms["phone_number"], "subject": None, "body": sms["message"]})
        if to is not None:
            found = [m for m in found if m["to"] == to]
        sent_at = {item.message_id: item.sent_at for item in self._log.batch_get([m["id"] for m in found])}
        # Newest first: by our send log's time, then by moto's order of arrival within a channel.
        ordered = sorted(enumerate(found), key=lambda im: (sent_at.get(im[1]["id"]) or "", im[0]), reverse=True)
        return [{**{k: v for k, v in m.items() if k != "id"}, "sent_at": sent_at.get(m["id"])} for _, m in ordered]
