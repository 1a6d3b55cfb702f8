"""The documented context is the real one: derived from the code, checked against a fill."""

from __future__ import annotations

from typing import Any

import pytest

from service.authoring.variables import ITEM, kind_context, load_sample, sample_context
from service.catalog import KIND_ASSETS
from service.requests import DocumentRequest


def resolve(context: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) of a documented path in a real context; lists are read at item 0."""
    value: Any = context
    for part in path.split("."):
        name, is_item = (part[: -len(ITEM)], True) if part.endswith(ITEM) else (part, False)
        if value is None:
            return True, None  # an optional parent that the sample leaves out
        if isinstance(value, dict):
            if name not in value:
                return False, None
            value = value[name]
        elif hasattr(value, name):
            value = getattr(value, name)
        else:
            return False, None
        if is_item:
            value = value[0] if value else None
    return True, value


@pytest.mark.parametrize("kind", list(KIND_ASSETS))
def test_every_documented_variable_exists_in_a_real_context(kind: str) -> None:
    context = sample_context(kind)
    documented = kind_context(kind)
    assert set(context) == documented.roots
    missing = [p for p in documented.variables if not resolve(context, p)[0]]
    assert missing == []


@pytest.mark.parametrize("kind", list(KIND_ASSETS))
def test_the_samples_are_valid_requests_of_their_kind(kind: str) -> None:
    assert DocumentRequest.model_validate(load_sample(kind)).kind == kind


def test_examples_are_the_sample_values() -> None:
    variables = kind_context("mise_en_demeure").variables
    sample = load_sample("mise_en_demeure")
    assert variables["creditor.address.city"].example == sample["creditor"]["address"]["city"]
    assert variables["invoices[].amount"].example == sample["invoices"][0]["amount"]
    assert variables["debtor.type"].choices == ("company", "consumer")
    assert variables["plan"].optional is True
