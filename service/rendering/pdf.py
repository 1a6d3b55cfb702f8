"""Turn filled HTML into PDF/A-3b bytes with WeasyPrint.

Tuned as in perf-notes.md: one FontConfiguration per process, stylesheets parsed once,
font subsetting by HarfBuzz (Debian libharfbuzz-subset0), never full fonts.

WeasyPrint fetches whatever a document mentions (``file://``, ``http://``, ``data:``).
The fetcher below serves only regular files under the template's asset folder and the
shared fonts folder, and refuses everything else: nothing leaves the process, no local
file leaks into a document.

Reads: the asset folders and the fonts folder. Writes: nothing.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import logging
import mimetypes
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from service.rendering.builtin import SHARED_DIR

LOGGER = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"  # archival, and allows attachments (evidence, Factur-X) later
FONTS_STYLESHEET = "fonts.css"
OUTPUT_INTENT = "amiable-srgb"

# PDF/A needs an output intent. WeasyPrint 70's default ("srgb") opens its ICC file on
# every render and never closes it (a ResourceWarning and a file descriptor left to the
# garbage collector), so the same profile is read once here and handed over instead.
_SRGB_ICC = (importlib.resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _srgb_profile() -> ColorProfile:
    # A new object per render: WeasyPrint stores the PDF object number on it.
    return ColorProfile(
        io.BytesIO(_SRGB_ICC), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )


class ForbiddenResourceError(ValueError):
    """The document asked for a resource outside its asset folders."""


class AssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only files under ``roots``."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file",))
        self.roots = tuple(root.resolve() for root in roots)

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = self.resolve(url)
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url=path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": mime_type or "application/octet-stream"},
        )

    def resolve(self, url: str) -> Path:
        """Return the file ``url`` names if it is served, else raise ForbiddenResourceError."""
        reason = self._refusal(url)
        if isinstance(reason, Path):
            return reason
        # Logged here as well as by WeasyPrint: a refusal means a template or the data
        # tried to reach outside the assets, which someone should look at.
        LOGGER.warning("refused to fetch %.200r: %s", url, reason)
        raise ForbiddenResourceError(f"refused to fetch {url[:200]!r}: {reason}")

    def _refusal(self, url: str) -> Path | str:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            return f"scheme {parts.scheme or 'none'!r} is not served"
        if parts.netloc not in ("", "localhost"):
            return "remote file URLs are not served"
        raw_path = unquote(parts.path)
        if ".." in raw_path.split("/") or "\x00" in raw_path:
            return "'..' is not allowed"
        # resolve() follows symlinks, so a link pointing outside the roots is refused too.
        path = Path(raw_path).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            return "outside the template's asset folders"
        if not path.is_file():
            return "no such file"
        return path


@dataclass(frozen=True)
class _Assets:
    base_url: str
    fetcher: AssetFetcher
    font_config: FontConfiguration
    stylesheets: tuple[CSS, ...]
    signature: tuple[tuple[str, int], ...]  # the CSS files and their mtimes


class PdfRenderer:
    """Render HTML to PDF/A-3b; create one per process (after a fork) and reuse it.

    The stylesheets of a document are the shared ``*.css`` (fonts first, then the seal
    block) and its asset folder's ``*.css``; templates need no ``<link>`` and cannot skip
    them.
    """

    def __init__(self, shared_dir: Path = SHARED_DIR) -> None:
        self.shared_dir = shared_dir.resolve()
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        # Built on first use so that a parent process that imports this module before
        # forking workers does not share font state with them.
        self._font_config: FontConfiguration | None = None
        self._shared_css: tuple[CSS, ...] = ()
        self._assets: dict[Path, _Assets] = {}
        # WeasyPrint's image cache, by URL: only asset files can get in (and refused URLs,
        # which stay refused). An image changed on disk shows after a restart.
        self._image_cache: dict[str, object] = {}

    def render(self, html: str, assets_dir: Path) -> bytes:
        """Lay out ``html`` (relative URLs resolve in ``assets_dir``) as PDF/A-3b."""
        assets = self._assets_for(assets_dir)
        # One render at a time per process: Pango and the shared font configuration are not
        # thread-safe (a concurrent render aborted a test process). Processes give the
        # parallelism (gunicorn and batch workers).
        with self._render_lock:
            document = HTML(string=html, base_url=assets.base_url, url_fetcher=assets.fetcher)
            pdf = document.write_pdf(
                stylesheets=list(assets.stylesheets),
                font_config=assets.font_config,
                pdf_variant=PDF_VARIANT,
                output_intent=OUTPUT_INTENT,
                color_profiles={OUTPUT_INTENT: _srgb_profile()},
                full_fonts=False,
                cache=self._image_cache,
            )
        assert pdf is not None  # write_pdf returns bytes when no target is given
        return pdf

    def _assets_for(self, assets_dir: Path) -> _Assets:
        folder = assets_dir.resolve()
        css_files = sorted(folder.glob("*.css"))
        # Re-parse only when a stylesheet changed (a stat per file, ~µs).
        signature = tuple((path.name, path.stat().st_mtime_ns) for path in css_files)
        with self._lock:
            font_config, shared_css = self._shared()
            cached = self._assets.get(folder)
            if cached is not None and cached.signature == signature:
                return cached
            fetcher = AssetFetcher((folder, self.shared_dir))
            sheets = [
                CSS(filename=path, url_fetcher=fetcher, font_config=font_config)
                for path in css_files
            ]
            assets = _Assets(
                base_url=folder.as_uri() + "/",
                fetcher=fetcher,
                font_config=font_config,
                stylesheets=(*shared_css, *sheets),
                signature=signature,
            )
            self._assets[folder] = assets
            return assets

    def _shared(self) -> tuple[FontConfiguration, tuple[CSS, ...]]:
        # Called under self._lock.
        if self._font_config is None:
            font_config = FontConfiguration()
            fetcher = AssetFetcher((self.shared_dir,))
            names = sorted(self.shared_dir.glob("*.css"), key=lambda p: p.name != FONTS_STYLESHEET)
            self._shared_css = tuple(
                CSS(filename=path, url_fetcher=fetcher, font_config=font_config)
                for path in names
            )
            self._font_config = font_config
        return self._font_config, self._shared_css


class _RecordList(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def rendering_warnings() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings and refused fetches while the block runs.

    WeasyPrint only logs bad CSS or a failed fetch and still makes a PDF; tests fail on
    any record, and a template preview can show them to the author. Loggers are global:
    records of renders running in other threads at the same time are collected too.
    """
    handler = _RecordList()
    loggers = [logging.getLogger("weasyprint"), LOGGER]
    saved_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)
    try:
        yield handler.records
    finally:
        for logger, level in zip(loggers, saved_levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
