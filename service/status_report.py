"""`amiable status`: the operations snapshot, worded for a person (or as JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.config import Settings
from service.db import iso_utc
from service.operations import Snapshot

SEAL_WARNING_DAYS = 60  # renew a seal certificate well before it lapses


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status_lines(settings: Settings, state: Snapshot, today: date) -> list[str]:
    lines = [f"data dir      {settings.data_dir.resolve()}"]
    rates = state.rates
    if rates.last is None:
        lines.append("rates         none known")
    else:
        entered = (f"; entered by operators: {', '.join(rates.operator_entered)}"
                   if rates.operator_entered else "")
        if rates.covers_today and rates.days_left is not None:
            coverage = f"covers today; the last semester ends in {rates.days_left} days"
        else:
            coverage = (f"DOES NOT COVER TODAY ({today.isoformat()}): documents needing "
                        f"{rates.next_missing} are refused until someone runs `amiable rates "
                        f"set {rates.next_missing} …`")
        lines.append(f"rates         {rates.first} to {rates.last}{entered}; {coverage}")
    seal = state.seal
    warning = ""
    if seal.days_left < 0:
        warning = " — EXPIRED: documents cannot be sealed"
    elif seal.days_left < SEAL_WARNING_DAYS:
        warning = " — renew it soon"
    development = (" (DEVELOPMENT certificate, not for production)"
                   if seal.development and "DEVELOPMENT" not in (seal.subject or "") else "")
    lines.append(f"seal          {seal.subject}, issued by {seal.issuer}{development}; "
                 f"expires {seal.not_after:%Y-%m-%d} (in {seal.days_left} days){warning}")
    queue = state.queue
    oldest = (f"; oldest pending waits for {_age(queue.oldest_pending_age_seconds)}"
              if queue.oldest_pending_age_seconds is not None else "")
    lines.append(f"batch queue   {queue.pending} pending, {queue.running} running{oldest}")
    if state.signature_requests:
        counts = ", ".join(f"{n} {status}" for status, n in
                           sorted(state.signature_requests.items()))
        lines.append(f"signatures    {counts}")
    renewal = state.last_renewal
    if renewal is None:
        lines.append("last renewal  never run (`amiable seals renew`, monthly from cron)")
    else:
        lines.append(f"last renewal  {renewal.at:%Y-%m-%d %H:%M} UTC: {renewal.checked} B-LTA "
                     f"documents checked, {renewal.renewed} renewed, {renewal.failed} failed")
    return lines


def status_json(settings: Settings, state: Snapshot) -> dict[str, Any]:
    renewal = state.last_renewal
    return {
        "data_dir": str(settings.data_dir.resolve()),
        "rates": {"first": state.rates.first, "last": state.rates.last,
                  "operator_entered": list(state.rates.operator_entered),
                  "covers_today": state.rates.covers_today,
                  "days_left": state.rates.days_left, "next_missing": state.rates.next_missing},
        "seal": {"subject": state.seal.subject, "issuer": state.seal.issuer,
                 "not_after": iso_utc(state.seal.not_after), "days_left": state.seal.days_left,
                 "development": state.seal.development},
        "batch_queue": {"pending": state.queue.pending, "running": state.queue.running,
                        "oldest_pending_age_seconds": state.queue.oldest_pending_age_seconds},
        "signature_requests": state.signature_requests,
        "last_renewal": None if renewal is None else {
            "at": iso_utc(renewal.at), "checked": renewal.checked, "renewed": renewal.renewed,
            "failed": renewal.failed},
    }
