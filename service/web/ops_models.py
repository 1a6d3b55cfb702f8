"""Response models of the operator endpoints, and the payloads of the webhooks Amiable sends.

The webhook models describe what service.signature_requests.outbox posts (the envelope) and
what service.signature_requests.service and service.batches.notify put in `data`; a test
checks real deliveries against them, so the description cannot drift from the payloads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReadinessCheck(BaseModel):
    state: Literal["ok", "failed", "not_configured"]
    detail: str = Field(description="What was found, or why it failed (never a secret)")
    duration_ms: float


class ReadinessChecks(BaseModel):
    database: ReadinessCheck
    seal: ReadinessCheck
    blob_store: ReadinessCheck
    broker: ReadinessCheck
    smtp: ReadinessCheck


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: ReadinessChecks


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^evt_[0-9a-f]{24}$",
                    description="Same across retries (also in `Amiable-Event-Id`): drop "
                    "duplicates by it")
    created_at: str = Field(description="When the event happened, ISO 8601 UTC with a Z")
    workspace: str = Field(description="The workspace the event belongs to (also in "
                           "`Amiable-Workspace`): its secret signs the delivery")


class SignatureRequestLinks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    self: str
    pdf: str | None = Field(None, description="The signed PDF, once signed")


class SignatureRequestEventData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    document_id: str
    status: Literal["signed", "locked", "expired"]
    signed_pdf_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                          description="Present once signed")
    links: SignatureRequestLinks


class SignatureRequestEvent(_Event):
    type: Literal["signature_request.signed", "signature_request.locked",
                  "signature_request.expired"]
    data: SignatureRequestEventData


class BatchLinks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    self: str
    zip: str


class BatchDoneData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    status: str = Field(description="`done` (`cancelled` for batch.cancelled)")
    total: int = Field(ge=0)
    done: int = Field(ge=0, description="Items that became a document")
    failed: int = Field(ge=0, description="Items refused (see each item's error)")
    cancelled: int = Field(0, ge=0, description="Items not made: the batch was cancelled")
    finished_at: str | None
    links: BatchLinks


class BatchDoneEvent(_Event):
    type: Literal["batch.done"]
    data: BatchDoneData


class BatchCancelledEvent(_Event):
    type: Literal["batch.cancelled"]
    data: BatchDoneData
