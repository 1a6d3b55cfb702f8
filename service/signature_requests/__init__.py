"""Debtors sign their payment plan online: requests, codes, evidence, signed PDFs, webhooks.

`signatures(app)` builds the service once per process (after a fork: each gunicorn worker
has its own) from the app's `Services`, and starts the outbox thread. Two app.config keys
tune that thread (tests shorten them): AMIABLE_OUTBOX_POLL_SECONDS (default 5) and
AMIABLE_OUTBOX_BACKOFF_SECONDS (first retry delay, doubled each time; default 30).
"""

from __future__ import annotations

import threading

from flask import Flask

from service.destinations import WebhookPolicy
from service.mail import Mailer
from service.signature_requests.evidence import EvidenceRenderer
from service.signature_requests.outbox import Dispatcher, Outbox
from service.signature_requests.service import SignatureService
from service.trust import trust_roots
from signing.signer_ca import SignerCA

EXTENSION = "amiable.signatures"
_lock = threading.Lock()


def signatures(app: Flask) -> SignatureService:
    service = app.extensions.get(EXTENSION)
    if service is None:
        with _lock:
            service = app.extensions.get(EXTENSION)
            if service is None:
                service = _build(app)
                app.extensions[EXTENSION] = service
    return service


def _build(app: Flask) -> SignatureService:
    services = app.extensions["amiable"]
    settings = services.settings
    ca = SignerCA.load(settings.keys_dir, settings.signer_ca_password)
    mailer = Mailer(settings.smtp_host, settings.smtp_port, settings.mail_from)
    outbox = Outbox(services.db, services.store, mailer, webhook_url=settings.webhook_url,
                    webhook_secret=settings.webhook_secret,
                    backoff_seconds=app.config.get("AMIABLE_OUTBOX_BACKOFF_SECONDS", 30.0),
                    policy=WebhookPolicy.from_settings(settings))
    # The seal's roots, the signer CA (debtors' one-time certificates), configured roots.
    roots = trust_roots(settings.keys_dir, services.sealer.identity.chain, settings.trust_roots)
    service = SignatureService(
        services.db, services.store, services.sealer, ca, mailer, outbox,
        EvidenceRenderer(services.pipeline.pdf), settings.public_url, roots)
    Dispatcher(outbox, [service.sweep_expired,
                        lambda: services.cases.sweep_promises(outbox.webhook)],
               poll_seconds=app.config.get("AMIABLE_OUTBOX_POLL_SECONDS", 5.0)).start()
    return service


__all__ = ["EXTENSION", "SignatureService", "signatures"]
