"""Attack class: a Word template forced past the upload checks still reaches nothing.

Proves the second wall: a template linking a loopback URL or a file of the blob store is
refused at upload (and the URL is never contacted), and when such a file is handed straight
to the converter, LibreOffice — jailed with no network, the data dir hidden, an unprivileged
user — neither contacts the URL nor embeds the file. A control conversion outside the jail
shows the attack is real (LibreOffice does fetch both). Inside the jail: no route to
loopback, no data dir, no root, no other process, a memory limit. If the jail cannot be built, Word
conversion is refused with a message instead of running unconfined.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.authoring.libreoffice import (
    SYSTEM_PYTHON,
    IsolationUnavailable,
    LibreOfficePool,
    PoolSettings,
    jailed,
)
from service.config import Settings
from tests.conftest import MASTER_KEY
from tests.security.sandbox_docx import linked_picture, png

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


class Recorder:
    """A loopback HTTP server that answers a PNG to anything and records every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                body = png()
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def __getattr__(self, name: str) -> Any:  # do_GET, do_OPTIONS, do_PROPFIND…
                if name.startswith("do_"):
                    return self._any
                raise AttributeError(name)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/logo.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("jail"), api_key=MASTER_KEY,
                               public_url="https://amiable.test"))


@pytest.fixture(scope="module")
def blob(app: Flask) -> Path:
    """A picture kept in the app's blob store: what a linked file would steal."""
    store = app.extensions["amiable"].store
    return store.path(store.put(png())).resolve()


@pytest.fixture(scope="module")
def pool(app: Flask) -> Iterator[LibreOfficePool]:
    data_dir = str(app.extensions["amiable"].settings.data_dir.resolve())
    office = LibreOfficePool(PoolSettings(size=1, hidden=(data_dir,)))
    yield office
    office.close()


def images(pdf: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        listing = subprocess.run(["pdfimages", "-list", handle.name], capture_output=True,
                                 text=True, check=True).stdout
    return listing.splitlines()[2:]


def upload(client: FlaskClient, data: bytes) -> Any:
    import io

    return client.post("/v1/templates/relance/versions", headers=AUTH,
                       data={"file": (io.BytesIO(data), "modele.docx")},
                       content_type="multipart/form-data")


def test_a_template_linking_a_loopback_url_is_refused_at_upload(
        app: Flask, recorder: Recorder) -> None:
    answer = upload(app.test_client(), linked_picture(recorder.url))
    assert answer.status_code == 422
    assert "externe" in answer.get_json()["error"]["message"]
    assert recorder.requests == []


def test_a_template_linking_a_file_of_the_blob_store_is_refused_at_upload(
        app: Flask, blob: Path) -> None:
    for target, mode in ((blob.as_uri(), ' TargetMode="External"'), (blob.as_uri(), ""),
                         ("../" * 12 + str(blob).lstrip("/"), "")):
        answer = upload(app.test_client(), linked_picture(target, mode))
        assert answer.status_code == 422, target
        assert "externe" in answer.get_json()["error"]["message"]


def _convert_unjailed(docx: bytes) -> bytes:
    """The control: plain `soffice --convert-to pdf`, as the service did before the jail."""
    work = Path(tempfile.mkdtemp(prefix="amiable-control-"))
    try:
        (work / "in.docx").write_bytes(docx)
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(work / 'p').as_uri()}",
                        "--convert-to", "pdf", "--outdir", str(work), str(work / "in.docx")],
                       capture_output=True, timeout=120, check=True)
        return (work / "in.pdf").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_forced_past_the_check_the_conversion_fetches_no_url(
        pool: LibreOfficePool, recorder: Recorder) -> None:
    hostile = linked_picture(recorder.url)
    _convert_unjailed(hostile)
    assert recorder.requests, "control: unjailed LibreOffice fetches a linked picture"
    recorder.requests.clear()

    pdf = pool.convert(hostile)
    assert pdf.startswith(b"%PDF")
    assert recorder.requests == []
    assert images(pdf) == []


def test_forced_past_the_check_the_conversion_reads_no_file_of_the_data_dir(
        pool: LibreOfficePool, blob: Path) -> None:
    hostile = linked_picture(blob.as_uri())
    assert len(images(_convert_unjailed(hostile))) == 1, "control: the blob is embedded"
    assert images(pool.convert(hostile)) == []


PROBE = r"""
import json, os, socket, subprocess, sys
url_port, data_dir, blob = int(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = {"uid": os.getuid()}
try:
    socket.create_connection(("127.0.0.1", url_port), timeout=2).close()
    seen["connect"] = "connected"
except OSError as exc:
    seen["connect"] = type(exc).__name__
seen["data_dir"] = os.listdir(data_dir) if os.path.isdir(data_dir) else None
seen["blob"] = os.path.exists(blob)
seen["service_env"] = sorted(k for k in os.environ if k.startswith("AMIABLE"))
seen["umount"] = subprocess.run(["umount", "/tmp"], capture_output=True).returncode
seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
seen["limits"] = [line for line in open("/proc/self/limits") if "address space" in line]
seen["no_new_privs"] = [s.split()[1] for s in open("/proc/self/status") if "NoNewPrivs" in s]
print(json.dumps(seen))
"""


def test_inside_the_jail_there_is_no_network_no_data_dir_and_no_privilege(
        app: Flask, recorder: Recorder, blob: Path) -> None:
    data_dir = app.extensions["amiable"].settings.data_dir.resolve()
    keep = Path(tempfile.mkdtemp(prefix="amiable-lo-test-"))
    try:
        (keep / "probe.py").write_text(PROBE)
        port = recorder.server.server_address[1]
        command = jailed(PoolSettings(hidden=(str(data_dir),), memory_bytes=3 * 1024**3), keep,
                         [SYSTEM_PYTHON, str(keep / "probe.py"), str(port), str(data_dir),
                          str(blob)])
        done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "AMIABLE_SEAL_PASSWORD": "x"})
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["connect"] != "connected"
    assert recorder.requests == []
    assert seen["data_dir"] in (None, [])
    assert seen["blob"] is False
    assert seen["umount"] != 0  # unprivileged: the hiding mounts cannot be undone
    assert seen["pids"] == [1]  # its own PID namespace: no /proc/<service>/environ to read
    assert seen["uid"] != 0
    assert seen["no_new_privs"] == ["1"]  # set-user-id programs grant nothing
    assert seen["limits"][0].split()[3:5] == [str(3 * 1024**3)] * 2  # memory bound, soft/hard


def test_without_isolation_word_conversion_is_refused_not_run_unconfined() -> None:
    office = LibreOfficePool(PoolSettings(size=1, unshare="/bin/false"))
    try:
        with pytest.raises(IsolationUnavailable, match="cannot be isolated"):
            office.convert(linked_picture("http://127.0.0.1:9/x.png"))
        assert office.worker_pids() == []
    finally:
        office.close()


UNPRIVILEGED_PROBE = r"""
import ctypes, json, os, socket, sys
hidden = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
seen = {"umount": libc.umount2(b"/root", 0), "errno": ctypes.get_errno(),
        "secret": os.path.exists(hidden)}
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    seen["connect"] = "connected"
except OSError as exc:
    seen["connect"] = type(exc).__name__
print(json.dumps(seen))
"""


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder `nobody` can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="amiable-jail-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_started_by_an_unprivileged_service_the_jail_still_holds(
        open_tmp: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    # A service not running as root gets a user namespace instead of a user switch: the
    # hiding mounts must still not come undone (umount of a locked mount fails: EINVAL).
    from service.authoring import libreoffice

    secret = open_tmp / "data"
    secret.mkdir()
    (secret / "amiable.db").write_text("debtors")
    keep = open_tmp / "keep"
    keep.mkdir()
    (keep / "probe.py").write_text(UNPRIVILEGED_PROBE)
    for path in (open_tmp, secret, keep):
        os.chmod(path, 0o755)
    os.chown(keep, 65534, 65534)
    monkeypatch.setattr(libreoffice, "_jail_identity", lambda: (["--user", "--map-root-user"],
                                                                 0, 0))
    port = str(recorder.server.server_address[1])
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
               *jailed(PoolSettings(hidden=(str(secret),)), keep,
                       [SYSTEM_PYTHON, str(keep / "probe.py"), str(secret), port])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert (seen["umount"], seen["errno"]) == (-1, 22)  # EINVAL: a locked mount
    assert seen["secret"] is False
    assert seen["connect"] != "connected"
    assert recorder.requests == []
