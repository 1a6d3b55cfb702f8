"""DOCX → PDF/A-3b with a small pool of warm LibreOffice processes.

A cold `soffice --convert-to pdf` costs about a second per document; a LibreOffice kept
running converts a one-page letter in a fraction of that. Each worker is
`uno_worker.py` run by the system Python (the only one with the UNO bridge) and owns one
`soffice` with its own profile. A worker converts one document at a time, so the pool holds
a few of them; it is started lazily, on the first conversion, so a service without Word
templates never starts LibreOffice.

A worker is replaced after `max_conversions` documents (LibreOffice grows over time), when
it crashes, and when a conversion outlives `timeout` (its whole process group is killed).

Uploads are checked for links (`package_guard`), and LibreOffice is jailed as a second wall
(`lo_jail.py`): its own network namespace with no interface up, a mount namespace where the
data dir, the project and every shared folder are empty, its own PID namespace, a memory
limit and an unprivileged user. If this machine cannot build the jail, Word conversion is
refused with a message saying why; it never runs unconfined.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import pwd
import queue
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"
HERE = Path(__file__).resolve().parent
WORKER_SCRIPT = HERE / "uno_worker.py"
JAIL_SCRIPT = HERE / "lo_jail.py"
PROJECT_ROOT = HERE.parent.parent
START_TIMEOUT = 60.0
PROBE_TIMEOUT = 20.0
JAIL_USER = "nobody"
NAMESPACES = ("--net", "--mount", "--pid", "--fork", "--mount-proc")


class ConversionError(RuntimeError):
    """LibreOffice could not turn a document into a PDF (bad file, crash or timeout)."""


class DocumentNotConvertible(ConversionError):
    """This document made LibreOffice fail or stop (not the machine): a 422, not a retry."""


class ConversionTimeout(DocumentNotConvertible):
    """The conversion outlived its time bound: the worker was killed."""


class IsolationUnavailable(ConversionError):
    """This machine cannot jail LibreOffice, so Word documents are not converted at all."""


@dataclass(frozen=True)
class PoolSettings:
    size: int = 2
    max_conversions: int = 200
    timeout: float = 30.0
    soffice: str = "soffice"
    # Named to the jail as hidden besides all non-system folders: the data dir, blobs, keys.
    hidden: tuple[str, ...] = ()
    memory_bytes: int = 2 * 1024**3  # address space of the worker and its soffice
    unshare: str = "unshare"


def _jail_identity() -> tuple[list[str], int, int]:
    """Extra unshare flags and the uid/gid LibreOffice runs as. As root: a real unprivileged
    user. Otherwise a user namespace (where we stay ourselves, mapped to its root)."""
    if os.geteuid() == 0:
        user = pwd.getpwnam(JAIL_USER)
        return [], user.pw_uid, user.pw_gid
    return ["--user", "--map-root-user"], 0, 0


def jailed(settings: PoolSettings, keep: Path, command: list[str]) -> list[str]:
    """`command` wrapped in the namespaces and lo_jail.py, seeing only `keep`."""
    flags, uid, gid = _jail_identity()
    # lo_jail.py hides all but the system folders; these are named as well, in case one
    # lives under a visible folder (a data dir in /var/cache, say).
    hidden = [str(PROJECT_ROOT), *settings.hidden]
    return [shutil.which(settings.unshare) or settings.unshare, *flags, *NAMESPACES,
            SYSTEM_PYTHON, str(JAIL_SCRIPT), str(keep), str(uid), str(gid),
            str(settings.memory_bytes), ":".join(hidden), "--", *command]


def probe_isolation(settings: PoolSettings) -> None:
    """Build the jail once around `true`; IsolationUnavailable, saying why, if it cannot."""
    keep = Path(tempfile.mkdtemp(prefix="amiable-lo-probe-"))
    try:
        done = subprocess.run(jailed(settings, keep, ["/bin/true"]), capture_output=True,
                              text=True, timeout=PROBE_TIMEOUT, env=_jail_env(keep),
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise IsolationUnavailable(_refusal(str(exc))) from exc
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    if done.returncode != 0:
        why = (done.stdout.strip() or done.stderr.strip() or f"exit {done.returncode}")
        with contextlib.suppress(ValueError, AttributeError, IndexError, KeyError, TypeError):
            why = json.loads(done.stdout.splitlines()[0])["error"]
        raise IsolationUnavailable(_refusal(why[:300]))


def _refusal(why: str) -> str:
    return ("Word templates cannot be converted on this server: LibreOffice cannot be "
            f"isolated (no network, only its job folder) here ({why}); run the service as "
            "root or allow unprivileged user namespaces (unshare -rn)")


def _jail_env(home: Path) -> dict[str, str]:
    # Not the service's environment: it holds the seal password and the database URL.
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "TMPDIR": str(home)}


def _read_line(stream: Any, timeout: float) -> str | None:
    """One line from a worker's stdout, or None when it does not come in time."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return stream.readline()


class Worker:
    """One system-Python UNO worker and its soffice, in their own process group."""

    def __init__(self, settings: PoolSettings) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="amiable-lo-"))
        self.conversions = 0
        _flags, self.uid, self.gid = _jail_identity()
        # The worker runs from its own folder: the project's folder is hidden in the jail.
        script = self.home / WORKER_SCRIPT.name
        shutil.copyfile(WORKER_SCRIPT, script)
        pipe_name = f"amiable-{os.getpid()}-{self.home.name}"
        command = [SYSTEM_PYTHON, str(script), shutil.which(settings.soffice) or settings.soffice,
                   pipe_name, (self.home / "profile").as_uri()]
        self.process = subprocess.Popen(
            jailed(settings, self.home, command),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, start_new_session=True, env=_jail_env(self.home))
        ready = self._answer(START_TIMEOUT)
        if not ready.get("ready"):
            self.stop()
            raise ConversionError(f"LibreOffice did not start: {ready.get('error', '?')}")

    def _answer(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = _read_line(self.process.stdout, timeout)
        if line is None:
            self.kill()
            raise ConversionTimeout(f"the Word conversion did not finish in time (limit "
                                    f"{timeout:g} s) and was stopped")
        if not line:
            self.kill()
            raise DocumentNotConvertible("LibreOffice stopped (the document may be too large)")
        return json.loads(line)

    def convert(self, docx: bytes, timeout: float) -> bytes:
        assert self.process.stdin is not None
        job = Path(tempfile.mkdtemp(prefix="job-", dir=self.home))
        if os.geteuid() == 0:  # LibreOffice, unprivileged, writes the PDF here
            os.chown(job, self.uid, self.gid)
        try:
            source, target = job / "document.docx", job / "document.pdf"
            source.write_bytes(docx)
            try:
                self.process.stdin.write(json.dumps({"in": str(source), "out": str(target)})
                                         + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self.kill()
                raise ConversionError("LibreOffice stopped") from exc
            result = self._answer(timeout)
            self.conversions += 1
            if not result.get("ok"):
                raise DocumentNotConvertible(f"LibreOffice could not convert the document: "
                                             f"{result.get('error')}")
            return target.read_bytes()
        finally:
            shutil.rmtree(job, ignore_errors=True)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Close stdin so the worker shuts LibreOffice down, then make sure it is gone."""
        if self.alive and self.process.stdin is not None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        shutil.rmtree(self.home, ignore_errors=True)


class LibreOfficePool:
    """Up to `size` warm workers; `convert()` borrows one, or waits for one to be free."""

    def __init__(self, settings: PoolSettings | None = None) -> None:
        self.settings = settings or PoolSettings()
        self._idle: queue.LifoQueue[Worker | None] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._started = False
        self._all: set[Worker] = set()
        self._owner = os.getpid()
        self._isolation_checked = False

    def _start_slots(self) -> None:
        # Slots (None) are turned into workers on first use: no soffice until needed.
        with self._lock:
            if self._started and self._owner == os.getpid():
                return
            if self._owner != os.getpid():  # forked: the parent's workers are not ours
                self._idle, self._all, self._owner = queue.LifoQueue(), set(), os.getpid()
            for _ in range(self.settings.size):
                self._idle.put(None)
            self._started = True
            atexit.register(self.close)

    def convert(self, docx: bytes) -> bytes:
        """The PDF/A-3b LibreOffice makes of `docx`; ConversionError if it cannot."""
        self._check_isolation()
        self._start_slots()
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = self._spawn()
            return worker.convert(docx, self.settings.timeout)
        finally:
            self._idle.put(self._recycle(worker))

    def _check_isolation(self) -> None:
        # Once per pool (the answer depends on the machine, not the document); a failure
        # is not remembered, so a fixed machine works again without a restart.
        if not self._isolation_checked:
            probe_isolation(self.settings)
            self._isolation_checked = True

    def _spawn(self) -> Worker:
        started = time.monotonic()
        worker = Worker(self.settings)
        with self._lock:
            self._all.add(worker)
        log.info("LibreOffice worker started in %.1f s", time.monotonic() - started)
        return worker

    def _recycle(self, worker: Worker | None) -> Worker | None:
        if worker is None:
            return None
        if worker.alive and worker.conversions < self.settings.max_conversions:
            return worker
        worker.stop()
        with self._lock:
            self._all.discard(worker)
        return None

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for operators and tests)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.alive]

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()
