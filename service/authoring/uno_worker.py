"""A LibreOffice conversion worker, run by Debian's /usr/bin/python3 (python3-uno).

Not imported by the service: `service.authoring.libreoffice` starts this script as a child
process, because the UNO bridge only exists for the system Python, not for the virtualenv's.
The worker starts one headless `soffice` with its own profile, connects to it through a
private UNO pipe, then converts one document per line read on stdin:

    stdin  {"in": "/tmp/…/filled.docx", "out": "/tmp/…/filled.pdf"}
    stdout {"ok": true} | {"ok": false, "error": "…"}

It prints {"ready": true} once LibreOffice answers. Closing stdin stops both processes.
Kept dependency-free and compatible with the system Python (3.11 on Debian 12).
"""

import contextlib
import json
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

CONNECT_SECONDS = 60.0
# LibreOffice's PDF export: SelectPdfVersion 3 is PDF/A-3b.
PDF_A_3B = 3
# com.sun.star.document.MacroExecMode.NEVER_EXECUTE and UpdateDocMode.NO_UPDATE: an
# uploaded document runs no macro and fetches no linked content.
NEVER_EXECUTE = 0
NO_UPDATE = 0


def prop(name, value):
    return PropertyValue(Name=name, Value=value)


def answer(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def start_office(soffice, pipe_name, profile_url):
    return subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         "--nolockcheck", f"-env:UserInstallation={profile_url}",
         f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connect(pipe_name, office):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(
                f"uno:pipe,name={pipe_name};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
        except Exception:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def convert(desktop, source, target):
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source), "_blank", 0,
        (prop("Hidden", True), prop("ReadOnly", True),
         prop("MacroExecutionMode", NEVER_EXECUTE), prop("UpdateDocMode", NO_UPDATE)))
    if document is None:
        raise RuntimeError("LibreOffice could not open the document")
    try:
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue",
                              (prop("SelectPdfVersion", PDF_A_3B),))
        uno.invoke(document, "storeToURL", (
            uno.systemPathToFileUrl(target),
            (prop("FilterName", "writer_pdf_Export"), prop("FilterData", filter_data))))
    finally:
        document.close(True)


def main():
    soffice, pipe_name, profile_url = sys.argv[1:4]
    office = start_office(soffice, pipe_name, profile_url)
    desktop = None
    try:
        desktop = connect(pipe_name, office)
        answer({"ready": True})
        for line in sys.stdin:
            request = json.loads(line)
            try:
                convert(desktop, request["in"], request["out"])
                answer({"ok": True})
            except Exception as exc:
                answer({"ok": False, "error": str(exc) or type(exc).__name__})
    finally:
        if desktop is not None:
            with contextlib.suppress(Exception):  # LibreOffice may be gone already
                desktop.terminate()
        try:
            office.wait(timeout=5)
        except Exception:
            office.kill()


if __name__ == "__main__":
    main()
