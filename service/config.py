"""Settings read once from the environment (all optional, with embedded defaults).

No I/O at import: `Settings.from_env()` is called by the app factory and the CLI.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from service.clock import Clock, system_clock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"


@dataclass(frozen=True)
class Settings:
    """Everything the service can be told from outside; see the README's configuration table."""

    data_dir: Path = Path("var")
    port: int = 8000
    host: str = "127.0.0.1"
    api_key: str | None = None
    database_url: str | None = None
    public_url: str = "http://localhost:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    tsa_url: str | None = None
    seal_p12: Path | None = None
    seal_password: str | None = None
    seal_pkcs11_module: Path | None = None  # an HSM instead of seal_p12 (PKCS#11 .so)
    seal_pkcs11_token: str | None = None
    seal_pkcs11_key: str | None = None  # label of the key and of its certificate
    seal_pkcs11_pin: str | None = None
    trust_roots: Path | None = None  # PEM: roots trusted besides the seal's own (TSA, rotation)
    seal_lta: bool = True  # with a TSA and revocation data: B-LTA (else B-LT)
    signer_ca_password: str | None = None  # encrypts the signer CA's key; None: development one
    max_body_bytes: int = 2 * 1024 * 1024
    broker_url: str | None = None
    batch_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    batch_lease_seconds: float = 60.0
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    mail_from: str = "Amiable <no-reply@localhost>"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    trusted_proxies: tuple[str, ...] = ()  # IPs or CIDRs whose X-Forwarded-For is believed
    blob_url: str | None = None  # s3://bucket/prefix; unset: the data dir's blobs folder
    s3_endpoint_url: str | None = None  # an S3-compatible store other than AWS
    metrics_port: int | None = None  # /metrics on its own port, without a key
    environment: str = "development"  # "production": no development seal or generated key
    audit_key: str | None = None  # keys the audit hash chains; else keys/audit.key
    webhook_allow_http: bool = False  # AMIABLE_ALLOW_HTTP_WEBHOOKS=1: development only
    # Tests only (loopback receivers): never read from the environment, see destinations.py.
    webhook_allow_private: bool = False
    batch_max_items: int = 10_000
    batch_max_bytes: int = 50 * 1024 * 1024
    # What time it is: the day documents are issued on and their deadlines start from.
    # Real time unless a test (or an embedding program) gives another clock.
    clock: Clock = field(default=system_clock, compare=False, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        get = env.get
        data_dir = Path(get("AMIABLE_DATA_DIR") or "var")
        port = int(get("PORT") or 8000)
        return cls(
            data_dir=data_dir,
            port=port,
            host=get("AMIABLE_HOST") or "127.0.0.1",
            api_key=get("AMIABLE_API_KEY") or None,
            database_url=get("AMIABLE_DATABASE_URL") or None,
            public_url=(get("AMIABLE_PUBLIC_URL") or f"http://localhost:{port}").rstrip("/"),
            smtp_host=get("AMIABLE_SMTP_HOST") or None,
            smtp_port=int(get("AMIABLE_SMTP_PORT") or 25),
            tsa_url=get("AMIABLE_TSA_URL") or None,
            seal_p12=Path(p) if (p := get("AMIABLE_SEAL_P12")) else None,
            seal_password=get("AMIABLE_SEAL_PASSWORD") or None,
            seal_pkcs11_module=Path(m) if (m := get("AMIABLE_SEAL_PKCS11_MODULE")) else None,
            seal_pkcs11_token=get("AMIABLE_SEAL_PKCS11_TOKEN") or None,
            seal_pkcs11_key=get("AMIABLE_SEAL_PKCS11_KEY") or None,
            seal_pkcs11_pin=get("AMIABLE_SEAL_PKCS11_PIN") or None,
            trust_roots=Path(t) if (t := get("AMIABLE_TRUST_ROOTS")) else None,
            seal_lta=(get("AMIABLE_SEAL_LTA") or "1").strip().lower() not in {"0", "false", "no"},
            signer_ca_password=get("AMIABLE_SIGNER_CA_PASSWORD") or None,
            workers=int(get("AMIABLE_WORKERS") or (os.cpu_count() or 1)),
            broker_url=get("AMIABLE_BROKER_URL") or None,
            batch_workers=int(get("AMIABLE_BATCH_WORKERS") or (os.cpu_count() or 1)),
            batch_lease_seconds=float(get("AMIABLE_BATCH_LEASE_SECONDS") or 60),
            mail_from=get("AMIABLE_MAIL_FROM") or "Amiable <no-reply@localhost>",
            webhook_url=get("AMIABLE_WEBHOOK_URL") or None,
            webhook_secret=get("AMIABLE_WEBHOOK_SECRET") or None,
            blob_url=get("AMIABLE_BLOB_URL") or None,
            s3_endpoint_url=get("AMIABLE_S3_ENDPOINT_URL") or None,
            metrics_port=int(m) if (m := get("AMIABLE_METRICS_PORT")) else None,
            environment=(get("AMIABLE_ENV") or "development").strip().lower(),
            audit_key=get("AMIABLE_AUDIT_KEY") or None,
            webhook_allow_http=(get("AMIABLE_ALLOW_HTTP_WEBHOOKS") or "").strip() == "1",
            batch_max_items=int(get("AMIABLE_BATCH_MAX_ITEMS") or 10_000),
            batch_max_bytes=int(get("AMIABLE_BATCH_MAX_BYTES") or 50 * 1024 * 1024),
            trusted_proxies=tuple(
                p.strip() for p in (get("AMIABLE_TRUSTED_PROXIES") or "").split(",") if p.strip()
            ),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'amiable.db').resolve()}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def metrics_dir(self, role: str) -> Path:
        """prometheus-client's multiprocess files (PROMETHEUS_MULTIPROC_DIR) of this machine's
        `amiable serve` or `amiable worker`: one folder each, since each empties its own at
        start, and per host, since a data dir may be a mount several machines share."""
        return self.data_dir / "metrics" / f"{socket.gethostname()}-{role}"
    @property
    def audit_key_file(self) -> Path:
        return self.keys_dir / "audit.key"
