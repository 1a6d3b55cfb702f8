"""Check an uploaded template before it becomes a version: every problem, said plainly.

In order, stopping at the first stage that finds something: the file itself (size, type,
a real .docx or UTF-8 HTML), the Jinja syntax (line, or paragraph of the Word file), the
variables and filters against the kind's documented context (with the closest known name),
attribute tricks, and last a trial fill with the kind's sample data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from jinja2 import nodes

from service.authoring.docx_template import (
    BadPackage,
    JinjaPart,
    check_package,
    docx_environment,
    fill_docx,
    jinja_parts,
)
from service.authoring.inspect import Inspection, Inspector, Problem
from service.authoring.variables import KindContext, kind_context, sample_context
from service.errors import Unprocessable
from service.rendering.html import HtmlTemplates, RenderLimitExceeded, TemplateError
from service.rendering.limits import RENDER_SECONDS, BoundedSandbox, RenderTimeout, time_limit

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
FORMATS = {".html": "html", ".htm": "html", ".docx": "docx"}
LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z!/]|\{%-?\s*extends\b")
TRIAL = "essai avec les données d’exemple"


@dataclass(frozen=True)
class CheckedTemplate:
    format: str
    data: bytes
    variables: list[str]


class TemplateRefused(Unprocessable):
    """422 whose details list every problem found, for staff to fix in one go."""

    code = "invalid_template"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        summary = str(problems[0]) if count == 1 else (
            f"{problems[0]} (et {count - 1} autre{'s' if count > 2 else ''} problème"
            f"{'s' if count > 2 else ''})")
        super().__init__(f"modèle refusé : {summary}",
                         details=[{"field": "file", "message": str(p)} for p in problems])
        self.problems = problems


def format_of(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise TemplateRefused([Problem("", "envoyez un fichier .html ou .docx "
                                           f"(reçu : « {filename or 'sans nom'} »)")])
    return FORMATS[suffix]


def check_upload(kind: str, filename: str, data: bytes) -> CheckedTemplate:
    """The checked template, or TemplateRefused listing what to fix."""
    fmt = format_of(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise TemplateRefused([Problem("", f"le fichier dépasse {MAX_UPLOAD_BYTES // 2**20} Mo")])
    if not data:
        raise TemplateRefused([Problem("", "le fichier est vide")])
    context = kind_context(kind)
    inspection = (_check_html(kind, data, context) if fmt == "html"
                  else _check_docx(kind, data, context))
    if inspection.problems:
        raise TemplateRefused(inspection.problems)
    return CheckedTemplate(fmt, data, sorted(inspection.used))


@cache
def _parser() -> jinja2.Environment:
    return BoundedSandbox()


@cache
def _html_templates(assets_dir: Path) -> HtmlTemplates:
    return HtmlTemplates(assets_dir)


def _syntax(source: str, where: callable) -> tuple[nodes.Template | None, list[Problem]]:  # type: ignore[valid-type]
    try:
        return _parser().parse(source), []
    except jinja2.TemplateSyntaxError as exc:
        return None, [Problem(where(exc.lineno), f"erreur de syntaxe : {exc.message}")]


def _inspect(tree: nodes.Template, context: KindContext, where: callable) -> Inspection:  # type: ignore[valid-type]
    filters = set(docx_environment().filters)
    return Inspector(context, filters, set(_parser().globals), where).run(tree)


def _check_html(kind: str, data: bytes, context: KindContext) -> Inspection:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Inspection(problems=[Problem("", "le fichier HTML doit être encodé en UTF-8")])
    if "\x00" in text or not LOOKS_LIKE_HTML.search(text):
        return Inspection(problems=[Problem("", "ce fichier n’est pas un modèle HTML")])

    def where(lineno: int | None) -> str:
        return f"ligne {lineno}" if lineno else ""

    tree, problems = _syntax(text, where)
    if tree is None:
        return Inspection(problems=problems)
    inspection = _inspect(tree, context, where)
    if not inspection.problems:
        from service.catalog import KIND_ASSETS

        try:
            with time_limit():
                _html_templates(KIND_ASSETS[kind]).render(text, sample_context(kind))
        except TemplateError as exc:
            inspection.problems.append(Problem(TRIAL, str(exc)))
        except RenderTimeout:
            inspection.problems.append(Problem(TRIAL, str(_too_slow())))
    return inspection


def _check_docx(kind: str, data: bytes, context: KindContext) -> Inspection:
    try:
        check_package(data)
        parts = jinja_parts(data)
    except BadPackage as exc:
        return Inspection(problems=[Problem("", str(exc))])
    except Exception:  # python-docx/lxml refuse a broken package in many ways
        return Inspection(problems=[Problem("", "ce fichier n’est pas un document Word "
                                                "(.docx) lisible")])
    merged = Inspection()
    for part in parts:
        _merge(merged, _check_part(part, context))
    if not merged.problems:
        try:
            with time_limit():
                fill_docx(data, sample_context(kind))
        except TemplateError as exc:
            merged.problems.append(Problem(TRIAL, str(exc)))
        except RenderTimeout:
            merged.problems.append(Problem(TRIAL, str(_too_slow())))
    return merged


def _too_slow() -> RenderLimitExceeded:
    return RenderLimitExceeded(f"le modèle met plus de {RENDER_SECONDS:g} s à se remplir")


def _check_part(part: JinjaPart, context: KindContext) -> Inspection:
    tree, problems = _syntax(part.source, part.where)
    if tree is None:
        return Inspection(problems=problems)
    return _inspect(tree, context, part.where)


def _merge(into: Inspection, other: Inspection) -> None:
    into.used |= other.used
    into.problems.extend(other.problems)
