"""Pages for the legal team, in French, at /staff: sign in, see each kind's versions, download
a source to start from, upload a new one and read what is wrong with it, preview it as a
PDF, publish it or go back to an earlier version.

Server-rendered, no script, nothing from elsewhere (strict CSP). A signed session cookie
(HttpOnly, SameSite=Lax, Secure on https) holds the account id and the account's session
version: signing out bumps the version in the database, so the cookie (or a copy of it) no
longer opens anything. Sign-in is guarded by a lockout and a per-address throttle (see
`staff_accounts.sign_in`). Every form carries a CSRF token tied to the session. The signing
key is generated once into the data dir (0600).
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge

from service.authoring import staff_accounts
from service.authoring.service import TemplateAuthoring, authoring_for
from service.authoring.validation import MAX_UPLOAD_BYTES, TemplateRefused
from service.authoring.variables import kind_context
from service.catalog import KIND_ASSETS
from service.errors import ServiceError
from service.signature_requests.clientip import client_ip, parse_networks
from service.web.templates_api import MEDIA_TYPES

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
SECRET_KEY_FILE = "staff-session-key"
SESSION_HOURS = 8
UPLOAD_ENVELOPE_BYTES = 64 * 1024
STYLESHEET = Path(__file__).resolve().parent / "templates" / "staff" / "staff.css"
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-src 'self'; object-src 'self'; frame-ancestors 'none'; base-uri 'none'")
KINDS_FR = {"relance": "Relance", "mise_en_demeure": "Mise en demeure",
            "echeancier": "Échéancier"}
STATUS_FR = {"draft": "brouillon", "published": "publiée", "retired": "retirée"}


def _secret_key(data_dir: Path) -> str:
    """The data dir's session-signing key, made once (kept so restarts keep sessions)."""
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another worker made it first
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@bp.record_once
def _configure_sessions(state: BlueprintSetupState) -> None:
    app = state.app
    settings = app.extensions["amiable"].settings
    if not app.secret_key:
        app.secret_key = _secret_key(settings.data_dir)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"))


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": _csrf_token, "kinds_fr": KINDS_FR, "status_fr": STATUS_FR}


@bp.before_request
def _check_csrf() -> Response | None:
    if request.method != "POST":
        return None
    if _too_large():
        return _page("error.html", 422, message=f"Le fichier dépasse "
                     f"{MAX_UPLOAD_BYTES // 2**20} Mo : rien n’a été enregistré.")
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not (expected and hmac.compare_digest(sent, expected)):
        return _page("error.html", 400, message="Le formulaire a expiré : rechargez la page "
                     "et recommencez.")
    return None


def _too_large() -> bool:
    """Read the form under the upload limit; True when the body exceeds it."""
    request.max_content_length = MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE_BYTES
    try:
        request.form  # noqa: B018 (parses the body once, under the limit)
    except RequestEntityTooLarge:
        return True
    return False


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        account_id, since = session.get("staff_id"), session.get("since", 0)
        account = None
        if account_id is not None and time.time() - since < SESSION_HOURS * 3600:
            with _authoring().db.session() as db_session:
                account = staff_accounts.active(db_session, account_id)
            if account is not None and account.session_version != session.get("version"):
                account = None  # signed out since this cookie was made
        if account is None:
            session.pop("staff_id", None)
            return redirect(url_for("staff.sign_in"))
        g.staff = account
        return view(**kwargs)

    return wrapper


def _authoring() -> TemplateAuthoring:
    return authoring_for(current_app)


def _workspace() -> str:
    """The signed-in person's workspace: its templates are the only ones the pages show."""
    return str(g.staff.workspace)


def _actor() -> str:
    return f"staff:{g.staff.email}"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(f"staff/{template}", **context), status=status,
                    mimetype="text/html")


def _kind_or_404(name: str) -> str:
    if name not in KIND_ASSETS:
        abort(404)
    return name


@bp.get("/staff.css")
def stylesheet() -> Response:
    return send_file(STYLESHEET, mimetype="text/css", max_age=3600)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("staff.kinds"))


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in() -> Response:
    if request.method == "POST":
        try:
            account = staff_accounts.sign_in(
                _authoring().db, request.form.get("email", ""),
                request.form.get("password", ""), _client_address())
        except staff_accounts.SignInRefused as refused:
            return _page("login.html", refused.status, error=refused.message)
        session.clear()  # a new session for the signed-in user (no fixation)
        session.update(staff_id=account.id, since=time.time(),
                       version=account.session_version, csrf=secrets.token_urlsafe(32))
        return redirect(url_for("staff.kinds"))
    return _page("login.html", 200, error=None)


def _client_address() -> str:
    settings = current_app.extensions["amiable"].settings
    return client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"),
                     parse_networks(settings.trusted_proxies))


@bp.post("/deconnexion")
def sign_out() -> Response:
    """End the session on the server too: a copy of this cookie is worth nothing after."""
    account_id = session.get("staff_id")
    if account_id is not None:
        with _authoring().db.session() as db_session:
            account = staff_accounts.active(db_session, account_id)
            if account is not None and account.session_version == session.get("version"):
                staff_accounts.end_sessions(db_session, account_id)
    session.clear()
    return redirect(url_for("staff.sign_in"))


@bp.get("/modeles")
@signed_in
def kinds() -> Response:
    return _page("kinds.html", kinds=_authoring().kinds(_workspace()))


def _kind_page(name: str, status: int = 200, problems: list[str] | None = None,
               note: str = "") -> Response:
    return _page("kind.html", status, name=name, versions=_authoring().versions(_workspace(), name),
                 context=kind_context(name), problems=problems or [], note=note)


@bp.get("/modeles/<name>")
@signed_in
def kind(name: str) -> Response:
    return _kind_page(_kind_or_404(name))


@bp.post("/modeles/<name>/versions")
@signed_in
def upload(name: str) -> Response:
    _kind_or_404(name)
    note = request.form.get("note", "")
    file = request.files.get("file")
    if file is None or not file.filename:
        return _kind_page(name, 422, ["Choisissez un fichier .html ou .docx."], note)
    try:
        uploaded = _authoring().upload(_workspace(), name, file.filename,
                                       file.read(MAX_UPLOAD_BYTES + 1), note, _actor())
    except TemplateRefused as exc:
        return _kind_page(name, 422, [str(p) for p in exc.problems], note)
    except ServiceError as exc:
        return _kind_page(name, exc.status, [exc.message], note)
    flash(f"Version {uploaded.version.version} enregistrée comme brouillon : vérifiez "
          "l’aperçu avant de la publier.")
    return redirect(url_for("staff.version", name=name, number=uploaded.version.version))


@bp.get("/modeles/<name>/versions/<int:number>")
@signed_in
def version(name: str, number: int) -> Response:
    _kind_or_404(name)
    authoring = _authoring()
    row = _or_404(lambda: authoring.version(_workspace(), name, number))
    published = next((v for v in authoring.versions(_workspace(), name)
                      if v.status == "published"), None)
    diff = (authoring.diff(_workspace(), name, published.version, number)
            if published is not None and published.version != number else None)
    return _page("version.html", name=name, row=row, published=published, diff=diff)


@bp.get("/modeles/<name>/versions/<int:number>/apercu.pdf")
@signed_in
def preview(name: str, number: int) -> Response:
    _kind_or_404(name)
    try:
        pdf = _authoring().preview(_workspace(), name, number)
    except ServiceError as exc:
        return Response(exc.message, status=exc.status, mimetype="text/plain")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="apercu-{name}-v{number}.pdf"'
    # Shown in a frame of the version page (same origin only).
    response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


@bp.get("/modeles/<name>/versions/<int:number>/source")
@signed_in
def source(name: str, number: int) -> Response:
    _kind_or_404(name)
    template = _or_404(lambda: _authoring().source(_workspace(), name, number))
    response = Response(template.data, content_type=MEDIA_TYPES[template.format])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-v{number}.{template.format}"')
    return response


@bp.post("/modeles/<name>/versions/<int:number>/publier")
@signed_in
def publish(name: str, number: int) -> Response:
    _kind_or_404(name)
    row = _or_404(lambda: _authoring().publish(_workspace(), name, number, _actor()))
    flash(f"Version {row.version} publiée : les nouveaux documents l’utilisent.")
    return redirect(url_for("staff.kind", name=name))


def _or_404(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        raise

