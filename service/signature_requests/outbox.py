"""Messages delivered after the fact: webhooks and signed copies by e-mail.

They are written in the same transaction as the event that causes them (a durable outbox),
then a background thread delivers them, retrying with exponential backoff a bounded number
of times. The debtor's request never waits for a webhook receiver or a mail server.

Webhooks are signed like Stripe's and DocuSeal's: header ``Amiable-Signature:
t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``; the receiver recomputes the
HMAC and refuses stale timestamps. ``Amiable-Event-Id`` stays the same across retries so
the receiver can drop duplicates. The secret is the one of the workspace the event belongs
to (``Amiable-Workspace``, and ``workspace`` in the body), so a workspace's receiver cannot
forge, nor verify, another workspace's events; the operator's AMIABLE_WEBHOOK_SECRET signs
the default workspace's only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import destinations
from service.db import Database, Workspace, iso_utc, utcnow
from service.destinations import DeliveryError, UnsafeDestination, WebhookPolicy
from service.mail import Attachment, Mail, Mailer, MailError
from service.signature_requests.models import OutboxMessage
from service.storage import BlobStore
from service.workspaces import DEFAULT_WORKSPACE, registry

log = logging.getLogger("amiable.outbox")

MAX_ATTEMPTS = 6
_WEBHOOK_TIMEOUT_SECONDS = 10
_CLAIM = timedelta(minutes=5)  # a claimed message is retried by another worker after this


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


class Outbox:
    def __init__(self, db: Database, store: BlobStore, mailer: Mailer, *,
                 webhook_url: str | None, webhook_secret: str | None,
                 backoff_seconds: float = 30.0,
                 policy: WebhookPolicy | None = None) -> None:
        self.db = db
        self.policy = policy or WebhookPolicy()  # https to public addresses only
        self.store = store
        self.mailer = mailer
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.backoff_seconds = backoff_seconds
        self.wake = threading.Event()

    # --- writing, inside the caller's transaction ------------------------------------

    def webhook(self, session: Session, event_type: str, data: dict[str, Any],
                url: str | None = None, workspace: str = DEFAULT_WORKSPACE) -> None:
        """Queue an event of `workspace` for `url` (a batch's own), else for the
        workspace's webhook URL (the default workspace's is AMIABLE_WEBHOOK_URL when it
        has none). Every webhook is signed with the workspace's secret."""
        target = url or self._workspace_url(session, workspace)
        if not target:
            return
        payload = {"id": "evt_" + secrets.token_hex(12), "type": event_type,
                   "created_at": iso_utc(utcnow()), "workspace": workspace, "data": data}
        session.add(OutboxMessage(kind="webhook", payload=payload, target=target,
                                  workspace=workspace, attempts=0, next_attempt_at=utcnow(),
                                  failed=False))
        self.wake.set()

    def _workspace_url(self, session: Session, workspace: str) -> str | None:
        found = session.get(Workspace, workspace)
        if found is not None and found.webhook_url:
            return found.webhook_url
        return self.webhook_url if workspace == DEFAULT_WORKSPACE else None

    def mail(self, session: Session, to: str, subject: str, text: str, *,
             pdf_sha256: str | None = None, filename: str | None = None) -> None:
        payload = {"to": to, "subject": subject, "text": text, "pdf_sha256": pdf_sha256,
                   "filename": filename}
        session.add(OutboxMessage(kind="mail", payload=payload, attempts=0,
                                  next_attempt_at=utcnow(), failed=False))
        self.wake.set()

    # --- delivering ------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Try every message that is due once; return how many were delivered."""
        now = utcnow()
        with self.db.session() as session:
            due = list(session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.done_at.is_(None),
                                               OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id).limit(50)))
        delivered = 0
        for message_id in due:
            message = self._claim(message_id, now)
            if message is not None:
                delivered += self._attempt(message)
        return delivered

    def _claim(self, message_id: int, now: datetime) -> OutboxMessage | None:
        """Take the message for this worker (another one may be looking at it too)."""
        with self.db.session() as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.done_at.is_(None),
                       OutboxMessage.next_attempt_at <= now)
                .values(next_attempt_at=now + _CLAIM)
            ).rowcount
            return session.get(OutboxMessage, message_id) if claimed == 1 else None

    def _attempt(self, message: OutboxMessage) -> int:
        try:
            if message.kind == "webhook":
                self._post_webhook(message.payload, message.target or self.webhook_url,
                                   message.workspace)
            else:
                self._send_mail(message.payload)
        except (DeliveryError, UnsafeDestination, MailError, OSError) as exc:
            self._failed(message, str(exc))
            return 0
        with self.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                            .values(done_at=utcnow(), attempts=message.attempts + 1,
                                    last_error=None))
        return 1

    def _failed(self, message: OutboxMessage, error: str) -> None:
        attempts = message.attempts + 1
        give_up = attempts >= MAX_ATTEMPTS
        delay = timedelta(seconds=self.backoff_seconds * 2 ** (attempts - 1))
        log.warning("%s %s attempt %d failed%s: %s", message.kind, message.id, attempts,
                    " (giving up)" if give_up else "", error)
        with self.db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(
                attempts=attempts, last_error=error[:1000], failed=give_up,
                done_at=utcnow() if give_up else None, next_attempt_at=utcnow() + delay))

    def _post_webhook(self, payload: dict[str, Any], url: str | None, workspace: str) -> None:
        if not url:
            raise OSError("this webhook has no target URL")
        with self.db.session() as session:  # read now: a rotated secret applies to retries
            secret = registry.webhook_secret(session, workspace, self.webhook_secret)
        if not secret:
            raise OSError(f"workspace {workspace} has no webhook secret")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        signature = webhook_signature(secret, timestamp, body)
        # Checked again here (DNS may have changed since submission), connected to the
        # address checked, never redirected: see service.destinations.
        destinations.post(url, body, {"Content-Type": "application/json",
                                      "Amiable-Event-Id": payload["id"],
                                      "Amiable-Workspace": workspace,
                                      "Amiable-Signature": f"t={timestamp},v1={signature}"},
                          policy=self.policy, timeout=_WEBHOOK_TIMEOUT_SECONDS)

    def _send_mail(self, payload: dict[str, Any]) -> None:
        attachments: tuple[Attachment, ...] = ()
        if payload.get("pdf_sha256"):
            attachments = (Attachment(payload["filename"], self.store.get(payload["pdf_sha256"])),)
        self.mailer.send(Mail(to=payload["to"], subject=payload["subject"],
                              text=payload["text"], attachments=attachments))


class Dispatcher(threading.Thread):
    """Polls the outbox (and runs the periodic chores) until the process ends."""

    def __init__(self, outbox: Outbox, chores: list[Callable[[], object]],
                 poll_seconds: float = 5.0) -> None:
        super().__init__(name="amiable-outbox", daemon=True)
        self.outbox = outbox
        self.chores = chores
        self.poll_seconds = poll_seconds

    def run(self) -> None:
        while True:
            self.outbox.wake.wait(self.poll_seconds)
            self.outbox.wake.clear()
            try:
                for chore in self.chores:
                    chore()
                self.outbox.deliver_due()
            except Exception:  # a bad message or a database hiccup must not end the thread
                log.exception("outbox round failed")
