"""What a template of a kind may use: every variable and filter, with an example value.

The list is derived from the code that builds the context, so it cannot drift from it: the
request model (`DocumentRequest`, its fields under their own names), the domain's `Figures`
dataclasses (under `figures`) and `document` (id, verification link). Example values come
from the kind's sample request in `samples/<kind>.json`, the same data previews use.
Items of a list are written `invoices[].number`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel

from service.domain.figures import compute_figures
from service.domain.model import Figures
from service.domain.rates import RateTable
from service.pipeline import DocumentMeta, template_context, to_case
from service.rates import shipped_rates
from service.rendering.formatting import FILTERS
from service.requests import DocumentRequest

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
SAMPLE_AS_OF = datetime.date(2025, 10, 6)
ITEM = "[]"

DOCUMENT_FIELDS = {
    "id": "identifiant du document (doc_…), imprimé pour le retrouver",
    "verify_url": "adresse où vérifier le document et son cachet",
    "issued_on": "date d’émission du document",
}
EXTRA_DESCRIPTIONS = {
    "as_of": "date à laquelle le décompte est arrêté (la date d’émission si la demande n’en "
             "donne pas)",
    "issued_on": "date d’émission : la date de la lettre, le point de départ de ses délais",
    "salutation": "l’appel de la lettre : « Monsieur », « Madame » ou « Madame, Monsieur »",
    "figures": "les montants calculés (principal, pénalités, indemnités, échéancier)",
    "document": "le document lui-même",
}


@dataclass(frozen=True)
class Variable:
    name: str
    type: str  # text | integer | decimal | date | boolean | choice | list | object
    optional: bool
    example: Any
    description: str = ""
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "type": self.type, "optional": self.optional,
                                "example": self.example, "description": self.description}
        if self.choices:
            body["choices"] = list(self.choices)
        return body


@dataclass(frozen=True)
class FilterDoc:
    name: str
    example: str
    description: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "example": self.example, "description": self.description}


@dataclass(frozen=True)
class KindContext:
    """The documented context of one kind."""

    kind: str
    variables: dict[str, Variable]
    filters: tuple[FilterDoc, ...]

    @property
    def roots(self) -> set[str]:
        return {name for name in self.variables if "." not in name and ITEM not in name}

    def get(self, path: str) -> Variable | None:
        return self.variables.get(path)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside Optional[...] / Annotated[...], and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation, optional


def _fields(cls: type) -> list[tuple[str, Any, str]]:
    """(name, type, description) of a pydantic model's or a dataclass's public fields."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [(name, info.annotation, info.description or "")
                for name, info in cls.model_fields.items()]
    hints = typing.get_type_hints(cls)
    found = [(f.name, hints[f.name], "") for f in dataclasses.fields(cls)]
    for name, member in vars(cls).items():
        if isinstance(member, property) and not name.startswith("_"):
            doc = (member.__doc__ or "").strip().splitlines()
            found.append((name, typing.get_type_hints(member.fget).get("return", Any),
                          doc[0] if doc else ""))
    return found


def _is_structure(annotation: Any) -> bool:
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation))


def _walk(prefix: str, cls: type, out: list[tuple[str, str, bool, str, tuple[str, ...]]]) -> None:
    for name, annotation, description in _fields(cls):
        path = f"{prefix}{name}"
        inner, optional = _unwrap(annotation)
        origin = typing.get_origin(inner)
        if origin in (list, tuple):
            out.append((path, "list", optional, description, ()))
            item, _ = _unwrap(typing.get_args(inner)[0])
            if _is_structure(item):
                out.append((f"{path}{ITEM}", "object", False, "un élément de la liste", ()))
                _walk(f"{path}{ITEM}.", item, out)
        elif _is_structure(inner):
            out.append((path, "object", optional, description, ()))
            _walk(f"{path}.", inner, out)
        elif origin is Literal:
            out.append((path, "choice", optional, description,
                        tuple(str(a) for a in typing.get_args(inner))))
        else:
            out.append((path, _scalar_type(inner), optional, description, ()))


def _scalar_type(annotation: Any) -> str:
    for python_type, label in ((bool, "boolean"), (int, "integer"), (Decimal, "decimal"),
                               (datetime.date, "date")):
        if isinstance(annotation, type) and issubclass(annotation, python_type):
            return label
    return "text"


def _shape() -> list[tuple[str, str, bool, str, tuple[str, ...]]]:
    out: list[tuple[str, str, bool, str, tuple[str, ...]]] = []
    _walk("", DocumentRequest, out)
    out.append(("as_of", "date", False, EXTRA_DESCRIPTIONS["as_of"], ()))
    out.append(("issued_on", "date", False, EXTRA_DESCRIPTIONS["issued_on"], ()))
    out.append(("salutation", "text", False, EXTRA_DESCRIPTIONS["salutation"], ()))
    out.append(("figures", "object", False, EXTRA_DESCRIPTIONS["figures"], ()))
    _walk("figures.", Figures, out)
    out.append(("document", "object", False, EXTRA_DESCRIPTIONS["document"], ()))
    hints = typing.get_type_hints(DocumentMeta)
    out.extend((f"document.{f.name}", _scalar_type(hints[f.name]), False,
                DOCUMENT_FIELDS.get(f.name, ""), ()) for f in dataclasses.fields(DocumentMeta))
    # `as_of` appears twice (the request's optional one, then the resolved one): keep the last.
    return list({entry[0]: entry for entry in out}.values())


def load_sample(kind: str) -> dict[str, Any]:
    """The kind's sample request, as JSON (a fresh dict)."""
    return json.loads((SAMPLES_DIR / f"{kind}.json").read_text(encoding="utf-8"))


def sample_context(kind: str, request: DocumentRequest | None = None,
                   rates: RateTable | None = None) -> dict[str, Any]:
    """A full template context for previews: the sample request (or `request`), its figures
    (with the shipped rates unless given), and a placeholder document id."""
    request = request or DocumentRequest.model_validate(load_sample(kind))
    as_of = request.as_of or SAMPLE_AS_OF
    figures = compute_figures(to_case(request, as_of), rates or shipped_rates())
    # A preview is dated as if issued on its figures' day, so it reads like the real letter.
    meta = DocumentMeta(id="doc_APERCU", verify_url="https://exemple.invalid/verify/doc_APERCU",
                        issued_on=as_of)
    return template_context(request, as_of, figures, meta)


def _example(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.replace(ITEM, ".0").split("."):
        if value is None:
            return None
        if part.isdigit():
            value = value[0] if value else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | datetime.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, list | tuple):
        return f"[{len(value)} éléments]"
    return "{…}"


def _filter_docs() -> tuple[FilterDoc, ...]:
    docs = []
    for name, function in FILTERS.items():
        first = (function.__doc__ or "").strip().splitlines()[0]
        example, _, description = first.partition(" — ")
        docs.append(FilterDoc(name, example.strip(), description.strip() or first))
    return tuple(docs)


@cache
def kind_context(kind: str) -> KindContext:
    """The documented context of `kind` (computed once per process)."""
    context = sample_context(kind)
    variables = {
        path: Variable(path, type_, optional, _example(context, path), description, choices)
        for path, type_, optional, description, choices in _shape()}
    return KindContext(kind, variables, _filter_docs())
