"""The `amiable` command: serve, init, render offline, manage workspaces, API keys and rates,
check the audit trails, status.

Every command but `init` (and `serve`/`worker`, which run it themselves, and the pure
clients `batch` and `completion`) refuses a data dir that `amiable init` never prepared: run
from the wrong folder, a command would otherwise start a new database and a new seal.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from service.authoring.cli import staff
from service.config import Settings

log = logging.getLogger("amiable.server")

# Commands that may run on a data dir never initialised: they prepare it, or never use it.
NO_DATA_DIR_NEEDED = {"init", "serve", "worker", "batch", "completion"}


def require_initialised(settings: Settings) -> Settings:
    """`settings`, if their data dir was initialised; else a clear refusal naming it."""
    from service.bootstrap import is_initialised

    if not is_initialised(settings):
        raise click.ClickException(
            f"{settings.data_dir.resolve()} is not an initialised Amiable data dir: run "
            "`amiable init` to make one there, or set AMIABLE_DATA_DIR to the data dir of "
            "your installation")
    return settings


class _Main(click.Group):
    """The command group; a refused start (unsafe files, development settings in
    production) is a one-line error, not a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Kept for the group's callback, which runs before a subcommand sees `--help`.
        ctx.meta["amiable.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        from service.hardening import StartupRefused

        try:
            return super().invoke(ctx)
        except StartupRefused as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Main)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Amiable: documents and e-signatures for French amicable debt collection."""
    asking_help = any(arg in ("--help", "-h") for arg in ctx.meta.get("amiable.argv", []))
    if ctx.resilient_parsing or asking_help or ctx.invoked_subcommand in NO_DATA_DIR_NEEDED:
        return
    require_initialised(Settings.from_env())


@main.command()
def init() -> None:
    """Prepare the data dir: database, built-in templates, development seal and key."""
    from service.bootstrap import prepare

    settings = prepare(Settings.from_env(), tighten_modes=True)
    click.echo(f"data dir ready: {settings.data_dir.resolve()}")


@main.command()
def serve() -> None:
    """Serve the HTTP API with gunicorn (one worker per core)."""
    from service.server import serve as run
    from service.server import use_multiprocess_metrics

    env_settings = Settings.from_env()
    # Before the app is imported: prometheus-client reads its folder when first imported.
    use_multiprocess_metrics(env_settings.metrics_dir("serve"))
    from service import create_app, logs
    from service.bootstrap import DEV_KEY_FILE

    logs.configure()  # JSON lines from here on, like every process of the server
    app = create_app(env_settings)
    settings = app.extensions["amiable"].settings
    if env_settings.api_key is None:
        # Where the key is, not the key: logs travel further than the data dir.
        log.warning("AMIABLE_API_KEY is not set: using the development key kept in %s",
                    settings.data_dir / DEV_KEY_FILE)
    if env_settings.seal_p12 is None and env_settings.seal_pkcs11_module is None:
        log.warning("AMIABLE_SEAL_P12 is not set: sealing with the DEVELOPMENT certificate %s",
                    settings.seal_p12)
    log.info("serving on http://%s:%s with %s workers", settings.host, settings.port,
             settings.workers)
    run(app, settings)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run a Celery batch worker (scale-out mode: AMIABLE_BROKER_URL must be set).
    Extra arguments go to `celery worker`, e.g. --concurrency 4."""
    settings = Settings.from_env()
    if not settings.broker_url:
        raise click.ClickException("set AMIABLE_BROKER_URL (e.g. redis://127.0.0.1:6379/0): "
                                   "without a broker, `amiable serve` runs batches itself")
    import threading

    if settings.metrics_port:
        from service.server import use_multiprocess_metrics

        # Before the tasks are imported: Celery's pool processes share the folder.
        use_multiprocess_metrics(settings.metrics_dir("worker"))
    from service import logs, metrics
    from service.batches.tasks import QUEUE, celery_app, services, sweep_forever
    from service.bootstrap import prepare

    logs.configure()
    prepare(settings)
    threading.Thread(target=sweep_forever, args=(services(), threading.Event()),
                     daemon=True, name="amiable-sweeper").start()
    if settings.metrics_port:
        metrics.serve_in_thread(settings.host, settings.metrics_port, services())
    celery_app(settings.broker_url).worker_main(
        ["worker", "--loglevel=INFO", "--queues", QUEUE, *ctx.args])


@main.command()
@click.argument("request_file", type=click.File("rb"))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the sealed PDF")
def render(request_file: click.utils.LazyFile, output: Path) -> None:
    """Render REQUEST_FILE (a document request as JSON, '-' for stdin) to a sealed PDF,
    offline, through the same pipeline as the API (nothing is stored)."""
    from service import catalog
    from service.bootstrap import prepare
    from service.domain.errors import DomainError
    from service.pipeline import (
        DocumentMeta,
        Pipeline,
        issue_figures,
        template_context,
        today_in_paris,
    )
    from service.rates import shipped_rates
    from service.requests import DocumentRequest
    from signing import build_sealer

    try:
        request = DocumentRequest.model_validate(json.loads(request_file.read(),
                                                            parse_float=Decimal))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{request_file.name} is not JSON: {exc}") from None
    except ValidationError as exc:
        from service.errors import validation_details

        lines = [f"  {d['field']}: {d['message']}" for d in validation_details(exc)]
        raise click.ClickException("invalid request:\n" + "\n".join(lines)) from None
    settings = prepare(Settings.from_env())
    pipeline = Pipeline(build_sealer(settings))
    issued_on = today_in_paris(settings.clock)
    as_of = request.as_of or issued_on
    builtin = catalog.builtin_path(request.kind)
    template = catalog.TemplateSource(
        name=request.kind, version=0, sha256="", format="html",
        text=builtin.read_text(encoding="utf-8"), assets_dir=builtin.parent)
    try:
        figures = issue_figures(request, as_of, issued_on, shipped_rates())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    meta = DocumentMeta(id="offline", verify_url=settings.public_url + "/verify",
                        issued_on=issued_on)
    pdf = pipeline.seal(pipeline.render(template, template_context(request, as_of, figures,
                                                                    meta)))
    output.write_bytes(pdf)
    click.echo(json.dumps(figures.to_json(), indent=2, ensure_ascii=False))
    click.echo(f"wrote {output} ({len(pdf)} bytes)", err=True)


@main.group()
def batch() -> None:
    """Batches of documents, through a running service."""


@batch.command("submit")
@click.argument("requests_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", envvar="AMIABLE_URL", default=None,
              help="the service's base URL [default: http://127.0.0.1:$PORT]")
@click.option("--key", envvar="AMIABLE_API_KEY", default=None,
              help="API key [default: $AMIABLE_API_KEY, else the data dir's development key]")
@click.option("--idempotency-key", default=None, help="makes a retried submission safe")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="also download the PDFs into this ZIP file")
def batch_submit(requests_file: Path, url: str | None, key: str | None,
                 idempotency_key: str | None, zip_path: Path | None) -> None:
    """Send REQUESTS_FILE (one document request per line, JSON Lines) as one batch, show
    its progress, and print each item's document id or error."""
    from service.batches.client import Api, read_jsonl, submit_and_follow
    from service.bootstrap import DEV_KEY_FILE

    settings = Settings.from_env()
    if not key:
        # Only the data dir's development key is left: it must be a real data dir.
        require_initialised(settings)
        dev_key = settings.data_dir / DEV_KEY_FILE
        key = dev_key.read_text().strip() if dev_key.is_file() else None
    if not key:
        raise click.ClickException("give an API key with --key or AMIABLE_API_KEY")
    api = Api(url or f"http://127.0.0.1:{settings.port}", key)
    result = submit_and_follow(api, read_jsonl(requests_file), idempotency_key, zip_path)
    for item in result["documents"]:
        outcome = item.get("id") or f"error: {item['error']['message']}"
        click.echo(f"{item['index']}\t{outcome}")
    click.echo(f"{result['done']} made, {result['failed']} failed", err=True)
    if result["failed"]:
        sys.exit(1)


@main.group()
def seals() -> None:
    """Long-term seals."""


@seals.command("renew")
@click.option("--within-days", default=180, show_default=True,
              help="renew documents whose timestamp chain expires within this many days")
def seals_renew(within_days: int) -> None:
    """Add a fresh archive timestamp to every B-LTA document whose chain nears expiry
    (run it from cron, e.g. monthly)."""
    from datetime import UTC, datetime, timedelta

    from service import create_app
    from service.renewal import renew_archive_timestamps
    from signing import ArchiveRenewalError, SealUnavailableError

    services = create_app(Settings.from_env()).extensions["amiable"]
    before = datetime.now(UTC) + timedelta(days=within_days)
    try:
        report = renew_archive_timestamps(services, before)
    except (ArchiveRenewalError, SealUnavailableError) as exc:
        raise click.ClickException(str(exc)) from None
    for doc_id, reason in report.failed.items():
        click.echo(f"{doc_id}: not renewed: {reason}", err=True)
    click.echo(f"{report.checked} B-LTA documents checked, {len(report.renewed)} renewed, "
               f"{len(report.failed)} failed")
    if report.failed:
        sys.exit(1)


def _operator() -> Any:
    """Who the command line acts as: the operator, who sees every workspace."""
    from service.auth import ROLES, Caller

    return Caller(key_id="cli", name="cli", roles=frozenset(ROLES))


@contextmanager
def _session() -> Iterator[Any]:
    from service.bootstrap import database, prepare

    db = database(prepare(Settings.from_env()))
    try:
        with db.session() as session:
            yield session
    finally:
        db.engine.dispose()


def _fail_on_service_errors() -> Any:
    from service.errors import ServiceError

    @contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None

    return guard()


@main.group()
def keys() -> None:
    """API keys (each belongs to a workspace)."""


@keys.command("create")
@click.option("--workspace", default="default", show_default=True,
              help="the key's workspace (made if it does not exist yet)")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["system", "legal", "admin"]), help="repeat for several roles")
@click.option("--name", default="", help="who or what uses the key")
def keys_create(workspace: str, roles: tuple[str, ...], name: str) -> None:
    """Create an API key; its secret is shown once."""
    from service.auth import create_key
    from service.db import Workspace
    from service.workspaces import registry

    with _fail_on_service_errors(), _session() as session:
        if session.get(Workspace, workspace) is None:
            made = registry.create(session, workspace, workspace)
            click.echo(f"workspace {made.id} created; its webhook secret (shown once): "
                       f"{made.webhook_secret}", err=True)
        key, secret = create_key(session, name or "+".join(roles), list(roles), workspace)
    click.echo(f"{key.id} ({key.workspace}: {key.roles}): {secret}")
    click.echo("Keep this secret now: only its hash is stored.", err=True)


@keys.command("list")
@click.option("--workspace", default=None, help="only this workspace's keys")
def keys_list(workspace: str | None) -> None:
    """List the API keys (never their secrets)."""
    from service.auth import list_keys
    from service.db import iso_utc

    with _session() as session:
        for key in list_keys(session, _operator()):
            if workspace and key.workspace != workspace:
                continue
            state = f"revoked {iso_utc(key.revoked_at)}" if key.revoked_at else "active"
            click.echo(f"{key.id}\t{key.workspace}\t{key.roles}\t{key.name}\t"
                       f"{iso_utc(key.created_at)}\t{state}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke KEY_ID at once: its next request is a 401."""
    from service.auth import revoke_key

    with _fail_on_service_errors(), _session() as session:
        key = revoke_key(session, key_id, _operator())
    click.echo(f"{key.id} ({key.workspace}: {key.name}) revoked")


@main.group()
def workspaces() -> None:
    """Workspaces: tenants whose keys and resources are invisible to each other."""


@workspaces.command("create")
@click.argument("workspace_id")
@click.option("--name", default="", help="a readable name [default: the id]")
@click.option("--max-pending-items", type=click.IntRange(min=0), default=None,
              help="batch items that may wait at once [default: 50000]")
@click.option("--webhook-url", default=None, help="where its signature_request.* events go")
def workspaces_create(workspace_id: str, name: str, max_pending_items: int | None,
                      webhook_url: str | None) -> None:
    """Make a workspace; its webhook secret is shown once."""
    from service.workspaces import registry

    with _fail_on_service_errors(), _session() as session:
        row = registry.create(session, workspace_id, name or workspace_id,
                              registry.DEFAULT_MAX_PENDING_ITEMS if max_pending_items is None
                              else max_pending_items, webhook_url)
    click.echo(f"workspace {row.id} created; webhook secret: {row.webhook_secret}")


@workspaces.command("list")
def workspaces_list() -> None:
    """Each workspace with its batch quota and the items waiting now."""
    from service.batches.queue import waiting_items
    from service.workspaces import registry

    with _session() as session:
        for row in registry.listing(session, _operator()):
            click.echo(f"{row.id}\t{row.name}\t{waiting_items(session, row.id)}/"
                       f"{row.max_pending_items} items waiting\t{row.webhook_url or '-'}")


@workspaces.command("set")
@click.argument("workspace_id")
@click.option("--max-pending-items", type=click.IntRange(min=0), default=None)
@click.option("--webhook-url", default=None, help="'' to remove it")
@click.option("--rotate-secret", is_flag=True, help="a new webhook secret (printed)")
def workspaces_set(workspace_id: str, max_pending_items: int | None, webhook_url: str | None,
                   rotate_secret: bool) -> None:
    """Change a workspace's quota, webhook URL or webhook secret."""
    from service.workspaces import registry

    with _fail_on_service_errors(), _session() as session:
        row = registry.get(session, workspace_id)
        if max_pending_items is not None:
            row.max_pending_items = max_pending_items
        if webhook_url is not None:
            row.webhook_url = webhook_url or None
        if rotate_secret:
            row.webhook_secret = registry.new_webhook_secret()
            click.echo(f"new webhook secret: {row.webhook_secret}")
    click.echo(f"workspace {row.id}: at most {row.max_pending_items} items waiting, "
               f"webhooks to {row.webhook_url or '-'}")


@workspaces.command("secret")
@click.argument("workspace_id")
def workspaces_secret(workspace_id: str) -> None:
    """Print the secret that signs WORKSPACE_ID's webhooks (for its receiver)."""
    from service.workspaces import registry

    settings = Settings.from_env()
    with _fail_on_service_errors(), _session() as session:
        registry.get(session, workspace_id)
        click.echo(registry.webhook_secret(session, workspace_id, settings.webhook_secret))


@main.group()
def audit() -> None:
    """The audit trails."""


@audit.command("verify")
def audit_verify() -> None:
    """Check every hash chain with the audit key; name each event that breaks one."""
    from service import audit as trails
    from service.bootstrap import database, prepare

    settings = prepare(Settings.from_env())
    db = database(settings)
    key = (settings.audit_key or "").encode()
    broken = 0
    try:
        with db.session() as session:
            subjects = trails.subjects(session)
            for subject in subjects:
                check = trails.check_chain(trails.trail(session, subject), key)
                if not check.valid and check.broken is not None:
                    broken += 1
                    ev = check.broken
                    click.echo(f"BROKEN {subject}: event {ev.id} ({ev.type}, "
                               f"{trails.event_json(ev)['at']}): {check.reason}")
    finally:
        db.engine.dispose()
    click.echo(f"{len(subjects)} chains checked, {broken} broken", err=True)
    if broken:
        sys.exit(1)


@main.group()
def rates() -> None:
    """ECB and legal-interest rates."""


@rates.command("set")
@click.argument("semester")
@click.option("--ecb", required=True, help="ECB main refinancing rate on the semester's 1st day")
@click.option("--legal-individual", default=None,
              help="taux légal, créancier particulier (leave out until the arrêté is out)")
@click.option("--legal-other", default=None,
              help="taux légal, autres cas (leave out until the arrêté is out)")
@click.option("--source", required=True, help="where the figures come from (arrêté, JORF...)")
def rates_set(semester: str, ecb: str, legal_individual: str | None, legal_other: str | None,
              source: str) -> None:
    """Enter the rates of SEMESTER (e.g. 2026-S2) without a release."""
    from service import rates as rate_store
    from service.domain.errors import DomainError
    from service.domain.rates import Semester, SemesterRates
    from service.errors import summarize, validation_details
    from service.requests import RatesIn

    try:
        given = RatesIn.model_validate({"ecb_rate": ecb, "legal_rate_individual":
                                        legal_individual, "legal_rate_other": legal_other,
                                        "source": source})
        row = SemesterRates(semester=Semester.parse(semester), ecb=given.ecb_rate,
                            legal_individual=given.legal_rate_individual,
                            legal_other=given.legal_rate_other, source=given.source)
    except ValidationError as exc:
        raise click.ClickException(summarize(validation_details(exc))) from None
    except ValueError as exc:
        raise click.ClickException(f"{semester!r}: {exc}") from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    with _database().session() as session:
        rate_store.set_rates(session, row, "cli")
    click.echo(f"{row.semester.label}: ECB {row.ecb} %, legal {_rate(row.legal_individual)} / "
               f"{_rate(row.legal_other)}")


def _database() -> Any:
    from service.bootstrap import database, prepare

    return database(prepare(Settings.from_env()))


def _rate(rate: Decimal | None) -> str:
    return "unknown" if rate is None else f"{rate} %"


@rates.command("list")
def rates_list() -> None:
    """Print every semester's rates, where each comes from, and what is missing."""
    from service import rates as rate_store
    from service.clock import today_in_paris

    settings = Settings.from_env()
    with _database().session() as session:
        table = rate_store.current_rates(session)
        operator = rate_store.operator_semesters(session)
    click.echo(f"{'semester':<9} {'ECB':>6} {'+10':>6} {'legal ind.':>10} {'legal other':>11}"
               f" {'origin':<8} source")
    for row in table.rows.values():
        origin = "operator" if row.semester.label in operator else "shipped"
        click.echo(f"{row.semester.label:<9} {row.ecb:>6} {row.commercial_rate:>6} "
                   f"{_cell(row.legal_individual):>10} {_cell(row.legal_other):>11} "
                   f"{origin:<8} {row.source}")
    state = rate_store.status(table, today_in_paris(settings.clock))
    click.echo(f"today: {state.current.label} ({'complete' if state.complete else 'incomplete'}"
               f"); first semester with no rates: {state.next_missing.label}, in "
               f"{state.days_left} days", err=True)


def _cell(rate: Decimal | None) -> str:
    return "-" if rate is None else str(rate)


@rates.command("fetch")
@click.option("--apply", "apply_", is_flag=True,
              help="write the proposed semesters (without it, only print them)")
@click.option("--url", default=None, help="the series' URL [default: the ECB Data Portal's]")
@click.option("--from-file", "from_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None, help="read a saved answer instead of the network")
@click.option("--timeout", default=20.0, show_default=True, help="network timeout, seconds")
def rates_fetch(apply_: bool, url: str | None, from_file: Path | None, timeout: float) -> None:
    """Read the ECB main refinancing rate from the ECB Data Portal (SDMX, CSV) and propose
    the semesters the table lacks (ECB rate only: the legal rates need their arrêté)."""
    from service import ecb
    from service import rates as rate_store
    from service.clock import today_in_paris
    from service.domain.rates import Semester

    settings = Settings.from_env()
    source_url = url or ecb.SERIES_URL
    try:
        text = (from_file.read_text(encoding="utf-8-sig") if from_file
                else ecb.download(source_url, timeout))
        observations = ecb.parse_series(text)
    except ecb.EcbError as exc:
        raise click.ClickException(str(exc)) from None
    today = today_in_paris(settings.clock)
    db = _database()
    with db.session() as session:
        table = rate_store.current_rates(session)
    first = min(table.rows) if len(table) else Semester(2019, 1)
    proposals = ecb.propose(table, observations, first, today)
    if not proposals:
        click.echo(f"nothing to add: every semester up to {Semester.of(today).label} has its "
                   "ECB rate")
        return
    for proposal in proposals:
        click.echo(f"{proposal.semester.label}: ECB {proposal.rate} % (in force since "
                   f"{proposal.since.isoformat()}), legal rates unknown")
    if not apply_:
        click.echo("nothing written: run again with --apply to enter these semesters", err=True)
        return
    with db.session() as session:
        for proposal in proposals:
            rate_store.set_rates(session, proposal.rates(source_url, today), "cli:rates-fetch",
                                 event="rates.fetched")
    click.echo(f"{len(proposals)} semester(s) written; enter the legal rates with "
               "`amiable rates set` once their arrêté is published", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print the status as JSON")
def status(as_json: bool) -> None:
    """What needs watching: the rates' coverage, the seal and its expiry, the batch queue,
    the last archive renewal."""
    from types import SimpleNamespace

    from service.bootstrap import prepare
    from service.db import Database, utcnow
    from service.operations import snapshot
    from service.pipeline import today_in_paris
    from service.status_report import status_json, status_lines
    from signing import build_sealer

    settings = prepare(Settings.from_env())
    db = Database(settings.resolved_database_url)
    try:
        state = snapshot(SimpleNamespace(db=db, sealer=build_sealer(settings)), utcnow(),
                         today_in_paris(settings.clock))
    finally:
        db.engine.dispose()
    if as_json:
        click.echo(json.dumps(status_json(settings, state), indent=2, ensure_ascii=False))
    else:
        for line in status_lines(settings, state, today_in_paris(settings.clock)):
            click.echo(line)


@main.command()
@click.argument("shell", type=click.Choice(["bash"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. `eval "$(amiable completion bash)"` in
    ~/.bashrc, or save it to /etc/bash_completion.d/amiable."""
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    assert complete is not None
    click.echo(complete(main, {}, "amiable", "_AMIABLE_COMPLETE").source())


main.add_command(staff)


if __name__ == "__main__":
    sys.exit(main())
