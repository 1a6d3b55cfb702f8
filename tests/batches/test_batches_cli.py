"""`amiable batch submit` against a running service: progress, outcomes, the ZIP."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

from tests.conftest import load_example
from tests.service_process import AMIABLE, ServiceProcess

KEY = "amk_cli_test_key_0123456789"


def test_submit_a_jsonl_file(tmp_path: Path) -> None:
    requests = tmp_path / "month-end.jsonl"
    good = load_example("relance-level1")
    bad = load_example("relance-level1")
    bad["debtor"]["type"] = "alien"
    requests.write_text("\n".join(json.dumps(r) for r in (good, bad, good)) + "\n")
    service = ServiceProcess(tmp_path / "data", KEY, AMIABLE_WORKERS="1",
                             AMIABLE_BATCH_WORKERS="1")
    try:
        out = subprocess.run(
            [str(AMIABLE), "batch", "submit", str(requests), "--url", service.base, "--key",
             KEY, "--zip", str(tmp_path / "pdfs.zip")],
            capture_output=True, text=True, timeout=300, check=False)
    finally:
        service.stop()
    assert out.returncode == 1, out.stderr  # one item failed: the exit status says so
    lines = out.stdout.splitlines()
    assert lines[0].startswith("0\tdoc_")
    assert lines[1] == ("1\terror: the request is invalid (debtor.type): "
                        "Input should be 'company' or 'consumer'")
    assert lines[2].startswith("2\tdoc_")
    assert "2 made, 1 failed" in out.stderr
    assert "documents" in out.stderr  # the progress bar's label
    with zipfile.ZipFile(tmp_path / "pdfs.zip") as archive:
        assert len(archive.namelist()) == 2
