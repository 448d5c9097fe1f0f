"""Email through SES and SMS through SNS; every message handed over is logged (without its body)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.dynamo.models import NotificationItem
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.services.ports import Message

LOG_DAYS = 400


class AwsNotifier:
    def __init__(self, ses: Any, sns: Any, sender: str, recipient_digest: Any, log: type[NotificationItem]) -> None:
        self._ses = ses
        self._log = log
        self._sns = sns
        self._sender = sender
        self._digest = recipient_digest

    def send(self, message: Message) -> str:
        try:
            if message.channel == "email" and message.attachments:
                response = self._ses.send_raw_email(
                    Source=self._sender, Destinations=[message.to], RawMessage={"Data": self._mime(message)}
                )
            elif message.channel == "email":
                response = self._ses.send_email(
                    Source=self._sender,
                    Destination={"ToAddresses": [message.to]},
                    Message={
                        "Subject": {"Data": message.subject or "", "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
                    },
                )
            else:
                response = self._sns.publish(
                    PhoneNumber=message.to,
                    Message=message.body,
                    MessageAttributes={
                        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    },
                )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable("The message could not be sent; try again in a moment.") from exc
        message_id = str(response["MessageId"])
        now = datetime.now(UTC)
        self._log(
            message_id,
            channel=message.channel,
            template=message.template,
            sent_at=now.isoformat(),
            recipient=self._digest(message.to),
            expires_at=int((now + timedelta(days=LOG_DAYS)).timestamp()),
        ).save()
        return message_id

    def _mime(self, message: Message) -> bytes:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        mail.set_content(message.body)
        for attachment in message.attachments:
            maintype, subtype = attachment.content_type.split(";")[0].split("/")
            mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return mail.as_bytes()
