"""`amiable staff …`: manage the accounts of the legal team's web pages (/staff)."""

from __future__ import annotations

import sys

import click

from service.config import Settings


@click.group()
def staff() -> None:
    """Staff accounts for the template pages at /staff."""


@staff.command()
@click.option("--email", required=True, help="sign-in email")
@click.option("--name", required=True, help="name shown in the pages and the audit trail")
@click.option("--workspace", default="default", show_default=True,
              help="the workspace whose templates the person edits")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of stdin instead of prompting")
def create(email: str, name: str, workspace: str, password_stdin: bool) -> None:
    """Create a staff account (the password is asked twice, never shown)."""
    from service.authoring import staff_accounts
    from service.bootstrap import database, prepare
    from service.errors import ServiceError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = prepare(Settings.from_env())
    db = database(settings)
    try:
        with db.session() as session:
            account = staff_accounts.create(session, email, name, password, workspace)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.engine.dispose()
    click.echo(f"staff account {account.id} created for {account.email} "
               f"(workspace {account.workspace})")
