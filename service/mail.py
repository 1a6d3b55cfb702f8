"""Outgoing e-mail over SMTP (AMIABLE_SMTP_HOST / AMIABLE_SMTP_PORT).

One `Mailer` per process; each `send` opens its own connection, so threads can share it.
Message bodies may hold secrets (a signing link, a one-time code): they are never logged.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger("amiable.mail")
_TIMEOUT_SECONDS = 15


class MailError(Exception):
    """The message could not be handed to the SMTP server (or none is configured)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = field(default=())


class Mailer:
    def __init__(self, host: str | None, port: int, sender: str) -> None:
        self.host = host
        self.port = port
        self.sender = sender

    @property
    def configured(self) -> bool:
        return self.host is not None

    def send(self, mail: Mail) -> str:
        """Hand ``mail`` to the SMTP server; return its Message-ID (kept as evidence)."""
        if self.host is None:
            raise MailError("no SMTP server configured (set AMIABLE_SMTP_HOST)")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message_id = make_msgid(domain="amiable")
        message["Message-ID"] = message_id
        message.set_content(mail.text)
        for item in mail.attachments:
            message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype,
                                   filename=item.filename)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_SECONDS) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # the recipient and subject are enough to investigate; never the body
            log.warning("mail to %s (%s) failed: %s", mail.to, mail.subject, exc)
            raise MailError(f"the SMTP server did not accept the message: {exc}") from exc
        log.info("mail sent to %s (%s) %s", mail.to, mail.subject, message_id)
        return message_id
