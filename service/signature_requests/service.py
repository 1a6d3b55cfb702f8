"""Signature requests: invite a debtor, let them read and sign, keep the proof.

The API side (`create`, `get`, `cancel`, `remind`, `evidence`, `signed_pdf`) answers the
creditor's systems; the page side (`open`, `send_code`, `sign`) answers the debtor's
browser, identified by the link token alone. Every step the debtor takes is an audit event
on the request's hash chain; that chain is the dossier de preuve.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.audit import PendingEvent
from service.auth import Caller
from service.cases import links as case_links
from service.db import Database, Document, as_utc, iso_utc, utcnow
from service.errors import Conflict, NotFound, ServiceError, Unprocessable
from service.mail import Mail, Mailer, MailError
from service.signature_requests import otp, pages, visits
from service.signature_requests.evidence import EvidenceRenderer, to_json_bytes
from service.signature_requests.mention import acknowledged_amount, check_mention
from service.signature_requests.models import SignatureRequest
from service.signature_requests.outbox import Outbox
from service.signature_requests.placement import signature_area
from service.signature_requests.tokens import new_token, token_sha256
from service.storage import BlobStore
from service.workspaces import HasWorkspace, visible_to
from signing import Sealer, signed_revision_hashes, validate_pdf
from signing.debtor import (
    CERTIFICATION_FIELD_NAME,
    SEAL_FIELD_NAME,
    add_debtor_validation_data,
    first_revision,
    page_count,
    prepare_agreement,
    sign_agreement,
)
from signing.signer_ca import SignerCA

SIGNER_CA_CRL_PATH = "/signer-ca.crl"  # where the CRL of the debtors' CA is published

PARIS = ZoneInfo("Europe/Paris")
# Only a qualified signature is presumed equivalent to a handwritten one (décret 2017-1416,
# eIDAS art. 25.2): the text says the signature binds, never that it "has the same value".
CONSENT_TEXT = (
    "J’ai lu l’intégralité de l’échéancier ci-dessus. Je reconnais devoir la somme indiquée "
    "et j’accepte de signer ce document électroniquement ; je sais que cette signature "
    "m’engage (articles 1366 et 1367 du Code civil)."
)
PENDING = "pending"
# After signing, the link serves the signed PDF this long; then only a page saying to ask
# the creditor (the debtor got a copy by e-mail; a link must not be a permanent key to it).
SIGNED_LINK_LIFETIME = timedelta(days=30)


class MailUnavailable(ServiceError):
    status = 503
    code = "mail_unavailable"


class SigningRefused(Exception):
    """The debtor's page cannot go on; ``message`` is French, for the debtor."""

    def __init__(self, status: int, message: str, *, state: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.state = state  # shown instead of the form: signed, locked, cancelled, expired


@dataclass(frozen=True)
class Visit:
    """Who is at the page: evidence of every step."""

    ip: str
    user_agent: str
    session: str  # a reference to the signing-session cookie (not the cookie itself)

    def data(self) -> dict[str, str]:
        return {"ip": self.ip, "user_agent": self.user_agent, "session": self.session}


@dataclass(frozen=True)
class SigningPage:
    """What the debtor's page shows."""

    request: SignatureRequest
    document: Document
    archived: bool = False  # signed more than SIGNED_LINK_LIFETIME ago: the PDF is not served

    @property
    def archived_message(self) -> str:
        return archived_message(self.document)

    @property
    def amount(self) -> Decimal:
        return acknowledged_amount(self.document.figures)


def archived_message(document: Document) -> str:
    """What the link says once the signed PDF is no longer served (French, for the debtor)."""
    creditor = document.request["creditor"]
    contact = creditor["name"] + (f" ({creditor['email']})" if creditor.get("email") else "")
    days = SIGNED_LINK_LIFETIME.days
    return (f"Ce lien ne permet plus de télécharger l’échéancier signé : il n’est valable que "
            f"{days} jours après la signature. Vous en avez reçu un exemplaire par courriel "
            f"le jour de la signature. Pour en obtenir une nouvelle copie, adressez-vous à "
            f"votre créancier : {contact}.")


def _archived(row: SignatureRequest) -> bool:
    return (row.status == "signed" and row.closed_at is not None
            and utcnow() > as_utc(row.closed_at) + SIGNED_LINK_LIFETIME)


def paris_time(moment: datetime) -> str:
    local = as_utc(moment).astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %H:%M") + " (heure de Paris)"


class SignatureService:
    def __init__(self, db: Database, store: BlobStore, sealer: Sealer, ca: SignerCA,
                 mailer: Mailer, outbox: Outbox, renderer: EvidenceRenderer,
                 public_url: str, trust_roots: list[Any]) -> None:
        self.db = db
        self.store = store
        self.sealer = sealer
        self.ca = ca
        self.mailer = mailer
        self.outbox = outbox
        self.renderer = renderer
        self.public_url = public_url
        self.trust_roots = trust_roots

    # --- API --------------------------------------------------------------------------

    def create(self, document_id: str, name: str, email: str, expires_in_days: int,
               send_email: bool, caller: Caller,
               case_id: str | None = None) -> tuple[SignatureRequest, str]:
        if send_email:
            self._require_mailer()
        with self.db.session() as session:
            document = session.get(Document, document_id)
            if document is None or not visible_to(caller, document.workspace):
                raise NotFound(f"no document {document_id}")
            if document.kind != "echeancier":
                raise Unprocessable("only an échéancier can be sent for signature; "
                                    f"document {document_id} is a {document.kind}",
                                    code="not_signable")
            self._expire_overdue(session, document_id)
            self._ensure_none_pending(session, document_id)
        # Rasterised now, once, so the debtor's page opens fast (and pdftoppm never runs
        # on the debtor's request).
        page_shas = [self.store.put(png) for png in pages.rasterise(self.store.get(
            document.pdf_sha256))]
        token = new_token()
        now = utcnow()
        row = SignatureRequest(
            id="sr_" + secrets.token_hex(10), document_id=document_id, status=PENDING,
            workspace=document.workspace,
            signer_name=name, signer_email=email, token_sha256=token_sha256(token),
            api_key_id=caller.key_id, created_at=now,
            case_id=case_links.case_of_signature(document, case_id),
            expires_at=now + timedelta(days=expires_in_days), page_sha256s=page_shas,
            codes_sent=0, code_failures=0)
        url = self.link(token)
        try:
            with self.db.session() as session:
                if row.case_id is not None:  # first: the case's row lock
                    case_links.record_signature_request(
                        session, row.case_id, row.id, "signature_request.created",
                        {"document_id": document_id, "signer": {"name": name}},
                        caller.key_id, caller)
                self._ensure_none_pending(session, document_id)
                session.add(row)
                session.flush()  # the partial unique index settles a race between two calls
                audit.append(session, row.id, caller.key_id, [PendingEvent("request.created", {
                    "document_id": document_id, "document_sha256": document.pdf_sha256,
                    "signer": {"name": name, "email": email},
                    "expires_at": iso_utc(row.expires_at), "pages": page_shas})])
        except IntegrityError:
            raise _pending_conflict(document_id) from None
        if send_email:
            message_id = self._mail_link(row, document, url)
            with self.db.session() as session:
                audit.append(session, row.id, caller.key_id, [PendingEvent("email.sent", {
                    "to": row.signer_email, "purpose": "link", "message_id": message_id})])
        return row, url

    def get(self, request_id: str, caller: HasWorkspace) -> SignatureRequest:
        with self.db.session() as session:
            return self._visible(session, request_id, caller)

    def cancel(self, request_id: str, caller: Caller) -> SignatureRequest:
        with self.db.session() as session:
            row = self._visible(session, request_id, caller)
            if row.status == "cancelled":
                return row
            row = self._pending(session, request_id, "cancelled")
            row.status, row.closed_at, row.code_hash = "cancelled", utcnow(), None
            audit.append(session, row.id, caller.key_id,
                         [PendingEvent("request.cancelled", {})])
            return row

    def remind(self, request_id: str, caller: Caller) -> tuple[SignatureRequest, str]:
        """E-mail the signer again, with a new link: the previous one stops working.

        Only the token's hash is kept, so the old link cannot be sent again; replacing it
        also means a forwarded or leaked older e-mail is worth nothing.
        """
        with self.db.session() as session:
            self._visible(session, request_id, caller)
        self._require_mailer()
        with self.db.session() as session:
            row = self._pending(session, request_id, "reminded")
            document = session.get(Document, row.document_id)
            assert document is not None
        token = new_token()
        url = self.link(token)
        # the new link replaces the old one only once it has actually gone out
        message_id = self._mail_link(row, document, url)
        with self.db.session() as session:
            row = self._pending(session, request_id, "reminded")
            row.token_sha256 = token_sha256(token)
            audit.append(session, row.id, caller.key_id, [
                PendingEvent("request.reminded", {}),
                PendingEvent("email.sent", {"to": row.signer_email, "purpose": "reminder",
                                            "message_id": message_id})])
        return row, url

    def signed_pdf(self, request_id: str, caller: HasWorkspace) -> bytes:
        row = self.get(request_id, caller)
        if row.signed_pdf_sha256 is None:
            raise NotFound(f"signature request {request_id} is {row.status}: no signed PDF",
                           code="not_signed")
        return self.store.get(row.signed_pdf_sha256)

    def evidence(self, request_id: str, caller: HasWorkspace) -> dict[str, Any]:
        row = self.get(request_id, caller)
        with self.db.session() as session:
            document = session.get(Document, row.document_id)
            assert document is not None
            out = self._evidence(session, row, document)
        if row.signed_pdf_sha256:
            pdf = self.store.get(row.signed_pdf_sha256)
            out["signed_pdf_sha256"] = row.signed_pdf_sha256
            out["signatures"] = [r.as_dict() for r in validate_pdf(pdf, self.trust_roots)]
        return out

    def link(self, token: str) -> str:
        return f"{self.public_url}/sign/{token}"

    # --- the debtor's page ------------------------------------------------------------

    def open(self, token: str, visit: Visit | None) -> SigningPage:
        """The request behind ``token`` (any state); logs the visit when given."""
        with self.db.session() as session:
            row = self._by_token(session, token)
            document = session.get(Document, row.document_id)
            assert document is not None
            # One visit session, one record: reloading cannot flood the evidence.
            if (visit is not None and row.status == PENDING
                    and visits.first_load(session, row.id, visit.session)):
                _serialize(session, row.id)
                audit.append(session, row.id, "debtor", [
                    PendingEvent("link.opened", visit.data()),
                    PendingEvent("document.shown", {
                        "document_sha256": document.pdf_sha256, "pages": row.page_sha256s,
                        "session": visit.session})])
            return SigningPage(row, document, archived=_archived(row))

    def page_image(self, token: str, number: int) -> bytes:
        with self.db.session() as session:
            row = self._readable_by_token(session, token)
        if not 1 <= number <= len(row.page_sha256s):
            raise SigningRefused(404, "Cette page n'existe pas.")
        return self.store.get(row.page_sha256s[number - 1])

    def document_pdf(self, token: str) -> tuple[SignatureRequest, bytes]:
        """The signed PDF once signed, the document to read before."""
        with self.db.session() as session:
            row = self._readable_by_token(session, token)
            document = session.get(Document, row.document_id)
            assert document is not None
        return row, self.store.get(row.signed_pdf_sha256 or document.pdf_sha256)

    def send_code(self, token: str, visit: Visit) -> str:
        """E-mail a new code; return the masked address it went to."""
        code = otp.new_code()
        code_hash = otp.hash_code(code)  # before the transaction: Argon2 takes a moment
        now = utcnow()
        with self.db.session() as session:
            row = self._pending_by_token(session, token)
            request_id, email = row.id, row.signer_email
            # One UPDATE decides, under its own conditions: two clicks (or two workers) at
            # the same moment cannot both pass the "one code a minute, five in all" test.
            sent = session.execute(
                update(SignatureRequest)
                .where(SignatureRequest.id == request_id, SignatureRequest.status == PENDING,
                       SignatureRequest.codes_sent < otp.MAX_CODES,
                       or_(SignatureRequest.code_sent_at.is_(None),
                           SignatureRequest.code_sent_at <= now - otp.RESEND_INTERVAL))
                .values(code_hash=code_hash, code_sent_at=now,
                        code_expires_at=now + otp.CODE_VALIDITY,
                        codes_sent=SignatureRequest.codes_sent + 1)
                .execution_options(synchronize_session=False)).rowcount
            if not sent:
                session.refresh(row)
                if row.status != PENDING:
                    raise SigningRefused(*_CLOSED[row.status], state=row.status)
                if row.codes_sent >= otp.MAX_CODES:
                    raise SigningRefused(429, "Vous avez demandé trop de codes pour ce lien. "
                                         "Contactez votre créancier pour en obtenir un "
                                         "nouveau.")
                raise SigningRefused(429, "Un code vient de vous être envoyé. Attendez une "
                                     "minute avant d'en demander un autre.")
        mail = Mail(to=email, subject="Votre code de signature",
                    text=(f"Bonjour,\n\nVotre code de signature est : {code}\n\n"
                          "Il est valable 10 minutes. Ne le communiquez à personne : "
                          "il vaut signature de l'échéancier.\n\nAmiable"))
        try:
            message_id = self.mailer.send(mail)
        except MailError:
            raise SigningRefused(503, "Le code n'a pas pu être envoyé. Réessayez dans "
                                 "quelques minutes.") from None
        with self.db.session() as session:
            _serialize(session, request_id)
            audit.append(session, request_id, "debtor", [
                PendingEvent("code.sent", {"to": email, "channel": "email",
                                           "message_id": message_id,
                                           "expires_at": iso_utc(now + otp.CODE_VALIDITY),
                                           **visit.data()}, at=now),
                PendingEvent("email.sent", {"to": email, "purpose": "code",
                                            "message_id": message_id})])
        return otp.masked(email)

    def sign(self, token: str, visit: Visit, *, words: str, figures: str, consent: bool,
             code: str) -> SignatureRequest:
        """Check the mention, the consent and the code, then sign, evidence, seal, store."""
        with self.db.session() as session:
            row = self._pending_by_token(session, token)
            document = session.get(Document, row.document_id)
            assert document is not None
            amount = acknowledged_amount(document.figures)
            check = check_mention(words, figures, amount)
            if not check.ok:
                # recorded even though refused: attempts are part of the evidence
                _serialize(session, row.id)
                audit.append(session, row.id, "debtor", [PendingEvent("mention.refused", {
                    "words": words, "figures": figures, "words_ok": check.words_ok,
                    "figures_ok": check.figures_ok, **visit.data()})])
            code_hash = row.code_hash
        if not check.ok:
            raise SigningRefused(422, check.message_fr() or "")
        if not consent:
            raise SigningRefused(422, "Cochez la case de consentement pour signer.")
        self._check_code(token, code_hash, code, visit)
        # The code is spent here, once: a replayed form finds no code to match.
        with self.db.session() as session:
            spent = session.execute(
                update(SignatureRequest)
                .where(SignatureRequest.id == row.id, SignatureRequest.status == PENDING,
                       SignatureRequest.code_hash == code_hash)
                .values(code_hash=None)).rowcount
            if spent != 1:
                raise SigningRefused(409, "Ce code a déjà été utilisé. Demandez un nouveau code.")
            audit.append(session, row.id, "debtor", [
                PendingEvent("code.verified", {"to": row.signer_email, **visit.data()}),
                PendingEvent("mention.typed", {
                    "words": words, "figures": figures, "amount": str(amount),
                    "words_ok": True, "figures_ok": True, **visit.data()}),
                PendingEvent("consent.given", {
                    "text": CONSENT_TEXT,
                    "sha256": hashlib.sha256(CONSENT_TEXT.encode()).hexdigest(),
                    **visit.data()})])
            evidence = self._evidence(session, row, document)
        signed_sha, report = self._make_signed_pdf(row, document, evidence, words, figures)
        return self._record_signature(row, document, signed_sha, report, visit)

    # --- steps of signing -------------------------------------------------------------

    def _check_code(self, token: str, code_hash: str | None, code: str, visit: Visit) -> None:
        with self.db.session() as session:
            row = self._pending_by_token(session, token)
            if code_hash is None or row.code_expires_at is None:
                raise SigningRefused(422, "Demandez d'abord un code : il vous sera envoyé "
                                     "par courriel.")
            if utcnow() > as_utc(row.code_expires_at):
                raise SigningRefused(422, "Ce code a expiré. Demandez un nouveau code.")
            request_id = row.id
        failures = self._take_a_try(request_id, code_hash)
        if otp.code_matches(code_hash, code):
            with self.db.session() as session:  # a right code gives its try back
                session.execute(update(SignatureRequest)
                                .where(SignatureRequest.id == request_id,
                                       SignatureRequest.code_failures > 0)
                                .values(code_failures=SignatureRequest.code_failures - 1))
            return
        with self.db.session() as session:
            locked = failures >= otp.MAX_FAILURES and bool(session.execute(
                update(SignatureRequest)
                .where(SignatureRequest.id == request_id, SignatureRequest.status == PENDING)
                .values(status="locked", closed_at=utcnow(), code_hash=None)).rowcount)
            if not locked:
                _serialize(session, request_id)
            events = [PendingEvent("code.refused", {"failures": failures, **visit.data()})]
            if locked:
                row = session.get(SignatureRequest, request_id, populate_existing=True)
                assert row is not None
                events.append(PendingEvent("request.locked", {"reason": "too many wrong codes"}))
                self.outbox.webhook(session, "signature_request.locked", self._hook_data(row),
                                    workspace=row.workspace)
            audit.append(session, request_id, "debtor", events)
        if failures >= otp.MAX_FAILURES:
            raise SigningRefused(423, "Trop de codes erronés : ce lien est bloqué. "
                                 "Contactez votre créancier.", state="locked")
        left = otp.MAX_FAILURES - failures
        raise SigningRefused(422, f"Code incorrect. Il vous reste {left} essai"
                             f"{'s' if left > 1 else ''}.")

    def _take_a_try(self, request_id: str, code_hash: str) -> int:
        """Count one more try, atomically, before the code is checked; return the count.

        The counter is raised by the database under the condition that tries are left, so
        however many requests arrive at once, on any worker, at most MAX_FAILURES codes are
        ever compared. A request with no try left (or whose code was replaced or spent) is
        refused without a comparison.
        """
        with self.db.session() as session:
            failures = session.execute(
                update(SignatureRequest)
                .where(SignatureRequest.id == request_id, SignatureRequest.status == PENDING,
                       SignatureRequest.code_hash == code_hash,
                       SignatureRequest.code_failures < otp.MAX_FAILURES)
                .values(code_failures=SignatureRequest.code_failures + 1)
                .returning(SignatureRequest.code_failures)).scalar_one_or_none()
            if failures is not None:
                return int(failures)
            row = session.get(SignatureRequest, request_id, populate_existing=True)
            assert row is not None
        if row.status != PENDING or row.code_failures >= otp.MAX_FAILURES:
            state = row.status if row.status != PENDING else "locked"
            raise SigningRefused(*_CLOSED[state], state=state)
        raise SigningRefused(409, "Ce code a été remplacé ou déjà utilisé. Demandez un "
                             "nouveau code.")

    def _make_signed_pdf(self, row: SignatureRequest, document: Document,
                         evidence: dict[str, Any], words: str,
                         figures: str) -> tuple[str, dict[str, Any]]:
        agreement = first_revision(self.store.get(document.pdf_sha256))
        area = signature_area(agreement, page_count(agreement))
        block = self.renderer.stamp(
            width=area.width, height=area.height, signer_name=row.signer_name,
            signed_at=paris_time(utcnow()), words=words, figures=figures,
            sent_to=otp.masked(row.signer_email))
        prepared = prepare_agreement(
            agreement, box=area.as_box(), evidence_json=to_json_bytes(evidence),
            evidence_page=self.renderer.page(evidence), attached_at=utcnow())
        certified = self.sealer.seal(prepared, field_name=CERTIFICATION_FIELD_NAME,
                                     reason="Acte certifié par l'organisation avant signature")
        identity = self.ca.issue_one_time(row.signer_name, row.signer_email,
                                          crl_url=f"{self.public_url}{SIGNER_CA_CRL_PATH}")
        certificate = identity.info.as_dict()
        debtor_signed = sign_agreement(
            certified, identity, signer_name=row.signer_name, signature_block=block,
            timestamper=self.sealer.timestamper,
            timestamp_allowance=self.sealer.timestamp_allowance())
        chain = [identity.certificate, *identity.chain]
        del identity  # the one-time key is never used again, nor stored
        with_validation_data = add_debtor_validation_data(debtor_signed, chain,
                                                          [self.ca.crl()])
        sealed = self.sealer.seal(with_validation_data, field_name=SEAL_FIELD_NAME,
                                  reason="Cachet de l'organisation sur l'acte signé")
        report = {"certificate": certificate,
                  "seal_revision_sha256": signed_revision_hashes(sealed)[SEAL_FIELD_NAME],
                  "debtor_revision_sha256": hashlib.sha256(debtor_signed).hexdigest(),
                  "agreement_sha256": hashlib.sha256(agreement).hexdigest()}
        return self.store.put(sealed), report

    def _record_signature(self, row: SignatureRequest, document: Document, signed_sha: str,
                          report: dict[str, Any], visit: Visit) -> SignatureRequest:
        with self.db.session() as session:
            if row.case_id is not None:  # first: the case's row lock
                case_links.record_signature_request(
                    session, row.case_id, row.id, "signature_request.signed",
                    {"signed_sha256": signed_sha, "document_id": document.id}, "debtor", None)
            current = self._for_update(session, row.id)
            if current.status != PENDING:  # cancelled while we were signing
                raise SigningRefused(410, "Cette demande de signature a été annulée.",
                                     state=current.status)
            current.status, current.closed_at = "signed", utcnow()
            current.signed_pdf_sha256 = signed_sha
            current.signed_revision_sha256 = report["seal_revision_sha256"]
            certificate = report["certificate"]
            audit.append(session, row.id, "debtor", [
                PendingEvent("signature.applied", {
                    "certificate_serial": certificate.get("serial_number"),
                    "certificate_subject": certificate.get("common_name"),
                    "certificate_issuer": certificate.get("issuer_common_name"),
                    "agreement_sha256": report["agreement_sha256"],
                    "debtor_revision_sha256": report["debtor_revision_sha256"],
                    **visit.data()}),
                PendingEvent("document.signed", {"signed_sha256": signed_sha,
                                                 "seal": self.sealer.description()})])
            self._queue_signed_copies(session, current, document, signed_sha)
            self.outbox.webhook(session, "signature_request.signed", self._hook_data(current),
                                workspace=current.workspace)
            return current

    def _queue_signed_copies(self, session: Session, row: SignatureRequest, document: Document,
                             signed_sha: str) -> None:
        """A durable copy to each party (C. civ. 1375 al. 4), delivered by the outbox."""
        creditor = document.request["creditor"]
        filename = f"echeancier-signe-{document.id}.pdf"
        self.outbox.mail(
            session, row.signer_email, "Votre échéancier signé",
            f"Bonjour {row.signer_name},\n\nVous avez signé l'échéancier proposé par "
            f"{creditor['name']}. Votre exemplaire signé est joint à ce courriel : "
            "conservez-le.\n\nAmiable", pdf_sha256=signed_sha, filename=filename)
        if creditor.get("email"):
            self.outbox.mail(
                session, creditor["email"], f"Échéancier signé par {row.signer_name}",
                f"L'échéancier {document.id} a été signé par {row.signer_name} "
                f"(demande {row.id}). L'exemplaire signé est joint.\n\nAmiable",
                pdf_sha256=signed_sha, filename=filename)

    # --- helpers ----------------------------------------------------------------------

    def _require_mailer(self) -> None:
        if not self.mailer.configured:
            raise Unprocessable("no SMTP server is configured (AMIABLE_SMTP_HOST): send the "
                                "link yourself (create with send_email false)",
                                code="mail_unavailable")

    def _mail_link(self, row: SignatureRequest, document: Document, url: str) -> str:
        """E-mail the signing link; return the Message-ID (the link itself is never logged)."""
        creditor = document.request["creditor"]["name"]
        mail = Mail(
            to=row.signer_email, subject=f"{creditor} vous propose un échéancier à signer",
            text=(f"Bonjour {row.signer_name},\n\n{creditor} vous propose un échéancier de "
                  "paiement. Vous pouvez le lire et le signer en ligne, depuis votre téléphone "
                  f"ou votre ordinateur :\n\n{url}\n\nCe lien est personnel ; il expire le "
                  f"{paris_time(row.expires_at)}.\n\nAmiable"))
        try:
            return self.mailer.send(mail)
        except MailError as exc:
            raise MailUnavailable(f"the e-mail to the signer of {row.id} could not be sent "
                                  f"({exc}); call remind to try again") from None

    def _evidence(self, session: Session, row: SignatureRequest,
                  document: Document) -> dict[str, Any]:
        events = audit.trail(session, row.id)
        as_json = [audit.event_json(ev) for ev in events]
        last = {ev["type"]: ev for ev in as_json}
        typed = last.get("mention.typed", {}).get("data", {})
        code_sent = last.get("code.sent", {})
        verified = last.get("code.verified", {})
        rendered = [ev for ev in audit.trail(session, document.id) if ev.type == "pdf.rendered"]
        return {
            "request": {"id": row.id, "document_id": document.id,
                        "document_sha256": document.pdf_sha256,
                        "agreement_sha256": rendered[0].data["sha256"] if rendered else "-",
                        "created_at": iso_utc(row.created_at),
                        "expires_at": iso_utc(row.expires_at)},
            "signer": {"name": row.signer_name, "email": row.signer_email},
            "mention": {"amount": str(acknowledged_amount(document.figures)),
                        "words": typed.get("words", "-"), "figures": typed.get("figures", "-")},
            "consent": {"text": CONSENT_TEXT,
                        "sha256": hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()},
            "authentication": {"method": "code à usage unique par courriel",
                               "sent_to": code_sent.get("data", {}).get("to", "-"),
                               "sent_at": code_sent.get("at", "-"),
                               "verified_at": verified.get("at", "-")},
            "client": {"ip": verified.get("data", {}).get("ip", "-"),
                       "user_agent": verified.get("data", {}).get("user_agent", "-")},
            "chain_valid": audit.verify_chain(events),
            "events": as_json,
        }

    def _hook_data(self, row: SignatureRequest) -> dict[str, Any]:
        """What a webhook says: enough to act on, the rest is one authenticated GET away."""
        data = {"id": row.id, "document_id": row.document_id, "status": row.status,
                "links": {"self": f"/v1/signature-requests/{row.id}"}}
        if row.signed_pdf_sha256:
            data["signed_pdf_sha256"] = row.signed_pdf_sha256
            data["links"]["pdf"] = f"/v1/signature-requests/{row.id}/pdf"
        return data

    def _ensure_none_pending(self, session: Session, document_id: str) -> None:
        pending = session.scalar(select(SignatureRequest.id).where(
            SignatureRequest.document_id == document_id, SignatureRequest.status == PENDING))
        if pending is not None:
            raise _pending_conflict(document_id)

    def _visible(self, session: Session, request_id: str,
                 caller: HasWorkspace) -> SignatureRequest:
        """The request, if `caller` may see it: another workspace's id is a 404, so its
        status, evidence and links stay unknown."""
        row = session.get(SignatureRequest, request_id)
        if row is None or not visible_to(caller, row.workspace):
            raise _not_found(request_id)
        return self._for_update(session, request_id)

    def _for_update(self, session: Session, request_id: str) -> SignatureRequest:
        row = session.get(SignatureRequest, request_id)
        if row is None:
            raise _not_found(request_id)
        self._refresh(session, row)
        return row

    def _by_token(self, session: Session, token: str) -> SignatureRequest:
        row = session.scalar(select(SignatureRequest).where(
            SignatureRequest.token_sha256 == token_sha256(token)))
        if row is None:
            raise SigningRefused(404, "Ce lien de signature n'existe pas ou a été remplacé "
                                 "par un lien plus récent.")
        self._refresh(session, row)
        return row

    def _pending(self, session: Session, request_id: str, verb: str) -> SignatureRequest:
        row = self._for_update(session, request_id)
        if row.status != PENDING:
            raise Conflict(f"signature request {request_id} is {row.status}; only a pending "
                           f"request can be {verb}", code="not_pending")
        return row

    def _readable_by_token(self, session: Session, token: str) -> SignatureRequest:
        """A request whose document may still be shown: not cancelled, not expired."""
        row = self._by_token(session, token)
        if row.status in ("cancelled", "expired"):
            raise SigningRefused(*_CLOSED[row.status], state=row.status)
        if _archived(row):
            document = session.get(Document, row.document_id)
            assert document is not None
            raise SigningRefused(410, archived_message(document), state="archived")
        return row

    def _pending_by_token(self, session: Session, token: str) -> SignatureRequest:
        row = self._by_token(session, token)
        if row.status == PENDING:
            return row
        raise SigningRefused(*_CLOSED[row.status], state=row.status)

    def _refresh(self, session: Session, row: SignatureRequest) -> None:
        """Expire the request if its time is over (expiry is computed when looked at)."""
        if row.status == PENDING and utcnow() > as_utc(row.expires_at):
            row.status, row.closed_at, row.code_hash = "expired", utcnow(), None
            audit.append(session, row.id, "system", [PendingEvent("request.expired", {})])
            self.outbox.webhook(session, "signature_request.expired", self._hook_data(row),
                                workspace=row.workspace)

    def _expire_overdue(self, session: Session, document_id: str | None = None) -> None:
        query = select(SignatureRequest).where(SignatureRequest.status == PENDING,
                                               SignatureRequest.expires_at < utcnow())
        if document_id is not None:
            query = query.where(SignatureRequest.document_id == document_id)
        for row in session.scalars(query):
            self._refresh(session, row)

    def sweep_expired(self) -> None:
        """Expire every overdue request (run by the outbox thread), so webhooks go out."""
        with self.db.session() as session:
            self._expire_overdue(session)


def _not_found(request_id: str) -> NotFound:
    return NotFound(f"no signature request {request_id}")


def _serialize(session: Session, request_id: str) -> None:
    """Take the request's row lock (PostgreSQL) or the write lock (SQLite) before appending
    to its audit chain, so concurrent steps append one after the other, never forking it."""
    session.execute(update(SignatureRequest).where(SignatureRequest.id == request_id)
                    .values(codes_sent=SignatureRequest.codes_sent))


def _pending_conflict(document_id: str) -> Conflict:
    return Conflict(f"document {document_id} already has a pending signature request; "
                    "cancel it first", code="request_pending")


_CLOSED = {
    "signed": (409, "Ce document est déjà signé."),
    "locked": (423, "Trop de codes erronés : ce lien est bloqué. Contactez votre créancier."),
    "cancelled": (410, "Cette demande de signature a été annulée par le créancier."),
    "expired": (410, "Ce lien de signature a expiré. Contactez votre créancier pour en "
                     "recevoir un nouveau."),
}
