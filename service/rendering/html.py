"""Fill an HTML template (given as source text) in a Jinja2 sandbox.

Templates are edited by legal staff and stored as versions in the database, so the
source is untrusted: the environment is sandboxed (no attribute tricks, no mutation),
autoescapes everything, fails on undefined names and refuses to print ``None``.
Reads only the template's asset folder (for ``{% extends "_letter.html" %}``).
"""

from __future__ import annotations

import hashlib
import threading
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from service.rendering.builtin import SHARED_DIR
from service.rendering.formatting import FILTERS, FilterError
from service.rendering.limits import BoundedSandbox, LimitExceeded

# Compiled versions kept per process; a few dozen template versions are in use at once.
CACHE_SIZE = 64


class TemplateError(Exception):
    """A template could not be compiled or filled; the message says where and why."""


class TemplateSecurityError(TemplateError):
    """A template tried something the sandbox forbids (``''.__class__``, ``[].append``)."""


class RenderLimitExceeded(TemplateError):
    """A render went past a size or time bound (service.rendering.limits)."""


# What hostile or careless template code raises besides Jinja's own errors (`1/0`,
# `10.0 ** 1e9`, `"%d" % "x"`, a macro calling itself): the template's fault, not a 500.
TEMPLATE_CODE_ERRORS = (ArithmeticError, TypeError, ValueError, LookupError)


def _refuse_none(value: Any) -> Any:
    # Printing an optional field that is missing would put "None" in a signed letter:
    # make the template author guard it with {% if %} instead.
    if value is None:
        raise FilterError("a value to print is None: guard optional fields with {% if %}")
    return value


def _where(exc: BaseException) -> str:
    """Name the template line an error comes from (Jinja rewrites tracebacks to it)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.name or 'template'}, line {exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>" or frame.filename.endswith(".html"):
            name = Path(frame.filename).name if frame.filename != "<template>" else "template"
            return f"{name}, line {frame.lineno}"
    return "template"


class HtmlTemplates:
    """Render template sources that live with the assets of one folder."""

    def __init__(self, assets_dir: Path) -> None:
        self.assets_dir = assets_dir
        self._env = BoundedSandbox(
            # The kind's folder first (its _letter.html...), then the shared partials.
            loader=jinja2.FileSystemLoader([assets_dir, SHARED_DIR]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=_refuse_none,
        )
        self._env.filters.update(FILTERS)
        self._compiled: OrderedDict[str, jinja2.Template] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """Fill ``source`` with ``context``; raise TemplateError with the line at fault."""
        try:
            return self._compile(source).render(context)
        except SecurityError as exc:
            raise TemplateSecurityError(f"{_where(exc)}: forbidden in templates: {exc}") from exc
        except LimitExceeded as exc:
            raise RenderLimitExceeded(f"{_where(exc)}: {exc}") from exc
        except RecursionError as exc:
            raise RenderLimitExceeded(f"{_where(exc)}: a macro calls itself too deeply") from exc
        except (jinja2.TemplateError, FilterError, *TEMPLATE_CODE_ERRORS) as exc:
            raise TemplateError(f"{_where(exc)}: {exc}") from exc

    def check(self, source: str) -> None:
        """Compile ``source`` without filling it: reject a broken template at upload."""
        try:
            self._compile(source)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{_where(exc)}: {exc}") from exc

    def _compile(self, source: str) -> jinja2.Template:
        key = hashlib.sha256(source.encode()).hexdigest()
        with self._lock:
            template = self._compiled.get(key)
            if template is not None:
                self._compiled.move_to_end(key)
                return template
        # Compiled outside the lock: two threads may compile the same source once each,
        # which is cheaper than serialising every compilation.
        template = self._env.from_string(source)
        with self._lock:
            self._compiled[key] = template
            while len(self._compiled) > CACHE_SIZE:
                self._compiled.popitem(last=False)
        return template
