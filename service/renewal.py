"""Keep sealed documents verifiable for years: renew the archive timestamp of every B-LTA
document whose timestamp chain expires before a date (`amiable seals renew`).

The renewed file is a new blob (the old one is kept: content-addressed blobs are never
deleted); the document row points to it, and its audit trail records both hashes. Copies
handed out earlier stay recognisable: they hold the same sealed revision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from service import audit
from service.db import Document
from service.trust import trust_roots
from signing import (
    ArchiveRenewalError,
    add_archive_timestamp,
    archive_validation_context,
    make_timestamper,
    timestamp_chain_expires,
    timestamp_chain_expires_before,
)

log = logging.getLogger("amiable.renewal")
PAGE = 100


@dataclass
class RenewalReport:
    checked: int = 0
    renewed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _lta_documents(services: Any) -> Any:
    """(id, pdf_sha256) of every B-LTA document, a page at a time (keyset pagination)."""
    after = ""
    while True:
        with services.db.session() as session:
            rows = session.execute(select(Document.id, Document.pdf_sha256, Document.seal)
                                   .where(Document.id > after).order_by(Document.id)
                                   .limit(PAGE)).all()
        if not rows:
            return
        for doc_id, sha, seal in rows:
            if (seal or {}).get("level") == "B-LTA":
                yield doc_id, sha
        after = rows[-1][0]


def renew_archive_timestamps(services: Any, before: datetime, actor: str = "cli"
                             ) -> RenewalReport:
    """Add a fresh archive timestamp to each B-LTA document whose chain expires before
    `before`. Raises `SealUnavailableError` (and stops) when the TSA or OCSP is down."""
    settings = services.settings
    if not settings.tsa_url:
        raise ArchiveRenewalError("AMIABLE_TSA_URL is not set: renewal needs a TSA")
    timestamper = make_timestamper(settings.tsa_url)
    roots = trust_roots(settings.keys_dir, services.sealer.identity.chain, settings.trust_roots)
    report = RenewalReport()
    for doc_id, sha in _lta_documents(services):
        report.checked += 1
        pdf = services.store.get(sha)
        if not timestamp_chain_expires_before(pdf, before):
            continue
        try:
            renewed = add_archive_timestamp(pdf, timestamper, archive_validation_context(roots))
        except ArchiveRenewalError as exc:
            log.warning("document %s not renewed: %s", doc_id, exc)
            report.failed[doc_id] = str(exc)
            continue
        new_sha = services.store.put(renewed)
        expires = timestamp_chain_expires(renewed)
        with services.db.session() as session:
            # Only if nobody renewed it meanwhile (another machine running the same job).
            moved = session.execute(update(Document).where(
                Document.id == doc_id, Document.pdf_sha256 == sha).values(pdf_sha256=new_sha))
            if moved.rowcount:  # type: ignore[attr-defined]
                audit.append(session, doc_id, actor, [audit.PendingEvent(
                    "pdf.archive_timestamp_added", {
                        "previous_sha256": sha, "sha256": new_sha,
                        "chain_expires": expires.isoformat() if expires else None})])
                report.renewed.append(doc_id)
    _record_run(services, actor, report)
    return report


def _record_run(services: Any, actor: str, report: RenewalReport) -> None:
    """Every run leaves a trace, even one that renewed nothing: `amiable status` shows when
    the job last ran, which is what tells an operator the cron entry still works."""
    from service.operations import RENEWAL_SUBJECT

    with services.db.session() as session:
        audit.append(session, RENEWAL_SUBJECT, actor, [audit.PendingEvent(
            "seals.renewal_run", {"checked": report.checked, "renewed": len(report.renewed),
                                  "failed": len(report.failed)})])
