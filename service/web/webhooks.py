"""The webhooks Amiable sends, described in /openapi.json's `webhooks` section.

Deliveries are made by service.signature_requests.outbox (signature requests, to
AMIABLE_WEBHOOK_URL) and service.batches.notify (a batch's `webhook_url`).
"""

from __future__ import annotations

from service.web.api import api
from service.web.ops_models import BatchCancelledEvent, BatchDoneEvent, SignatureRequestEvent

SIGNATURE_HEADER = "Amiable-Signature"

_VERIFY = (
    "Every delivery is signed. Check it before trusting the body:\n\n"
    "1. Read `Amiable-Signature: t=<unix time>,v1=<hex>`.\n"
    "2. Compute `HMAC-SHA256(secret, \"<t>.\" + raw body)` in hex, with the webhook "
    "secret of the workspace named in `Amiable-Workspace` (shown when the workspace was "
    "made; for the default workspace `AMIABLE_WEBHOOK_SECRET` when set), and compare it "
    "with `v1` in constant time.\n"
    "3. Refuse a `t` more than 5 minutes from your clock: an old delivery replayed is not "
    "a new event.\n\n"
    "A delivery not answered with a 2xx within 10 s is retried with exponential backoff, "
    "with the same `Amiable-Event-Id`: use it to drop duplicates."
)

api.webhook_headers.extend([
    {"name": SIGNATURE_HEADER, "in": "header", "required": True,
     "description": "`t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">`",
     "schema": {"type": "string", "pattern": r"^t=\d+,v1=[0-9a-f]{64}$"},
     "example": "t=1764770400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
    {"name": "Amiable-Event-Id", "in": "header", "required": True,
     "description": "The event's `id`, the same on every retry",
     "schema": {"type": "string", "pattern": r"^evt_[0-9a-f]{24}$"}},
    {"name": "Amiable-Workspace", "in": "header", "required": True,
     "description": "The workspace the event belongs to, whose secret signs it",
     "schema": {"type": "string"}},
])

for _event, _summary in (
        ("signature_request.signed", "The debtor signed: the signed PDF is ready"),
        ("signature_request.locked", "Too many wrong codes: the request is locked"),
        ("signature_request.expired", "The signing link expired unsigned")):
    api.webhook(_event, SignatureRequestEvent, summary=_summary,
                description="Sent to the workspace's `webhook_url` (the default "
                f"workspace's: `AMIABLE_WEBHOOK_URL`).\n\n{_VERIFY}")

api.webhook("batch.done", BatchDoneEvent,
            summary="Every item of a batch is made or has failed",
            description="Sent to the batch's `webhook_url`, once.\n\n" + _VERIFY)
api.webhook("batch.cancelled", BatchCancelledEvent,
            summary="A cancelled batch's last running item is over",
            description="Sent to the batch's `webhook_url`, once, instead of batch.done: "
            "`done` items were made, `cancelled` ones never will be.\n\n" + _VERIFY)
