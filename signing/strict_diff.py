"""A diff policy stricter than pyHanko's default on what a "validation data" update may change.

pyHanko's `DEFAULT_DIFF_POLICY` qualifies any change of the Info dictionary or the XMP
metadata after a signature as `LTA_UPDATES`, the level of a harmless DSS or document
timestamp revision. A forger who retitles a sealed letter "Quittance – dette soldée" in an
incremental update would pass as untouched. Every pyHanko write does update the Info and
XMP modification date and producer (its writer's `_update_meta`), so a genuine B-LTA file or
renewal changes those two and nothing else: this policy allows exactly that, and leaves
any other metadata change unexplained, which pyHanko reports as `OTHER`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DSSCompareRule,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.rules.metadata_rules import DocInfoRule, MetadataUpdateRule
from pyhanko.sign.diff_analysis.rules_api import ReferenceUpdate

# What pyHanko's writer rewrites on every incremental save (Info keys, XMP local names)
_INFO_BOOKKEEPING = frozenset({"/ModDate", "/Producer"})
_XMP_BOOKKEEPING = frozenset({"ModifyDate", "MetadataDate", "Producer"})


def _info(resolver: HistoricalResolver) -> dict[str, str]:
    ref = resolver.trailer_view.get_value_as_reference("/Info", optional=True)
    if ref is None:
        return {}
    info = resolver(ref)
    if not isinstance(info, generic.DictionaryObject):
        return {"": repr(info)}
    return {str(k): repr(v.get_object()) for k, v in info.items()
            if str(k) not in _INFO_BOOKKEEPING}


class InfoBookkeepingRule(DocInfoRule):
    """Whitelist an Info update only when it changes the modification date and producer."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver
              ) -> Iterable[ReferenceUpdate]:
        if _info(old) != _info(new):
            return  # nothing whitelisted: the changed Info object stays unexplained
        yield from super().apply(old, new)


def _xmp_facts(resolver: HistoricalResolver) -> Counter[tuple[str, str]] | None:
    """Every element's and attribute's value in the XMP, but the bookkeeping ones."""
    from lxml import etree

    ref = resolver.root.get_value_as_reference("/Metadata", optional=True) \
        if "/Metadata" in resolver.root else None
    if ref is None:
        return None
    stream = resolver(ref)
    if not isinstance(stream, generic.StreamObject):
        return Counter({("", "not a stream"): 1})
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    # pyHanko's decoding limits for XMP (a few MB), not the generic 256 MB: a compressed bomb
    # in place of the metadata must cost little (issue 10.4)
    root = etree.fromstring(stream.read_data(DecodePurpose.XMP_METADATA), parser=parser)
    facts: Counter[tuple[str, str]] = Counter()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in _XMP_BOOKKEEPING:
            continue
        if len(element) == 0 and (element.text or "").strip():
            facts[(element.tag, element.text.strip())] += 1
        for key, value in element.attrib.items():
            if etree.QName(key).localname not in _XMP_BOOKKEEPING:
                facts[(f"{element.tag}@{key}", value)] += 1
    return facts


class XmpBookkeepingRule(MetadataUpdateRule):
    """Whitelist an XMP update only when it changes the modification dates and producer."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver
              ) -> Iterable[ReferenceUpdate]:
        try:
            same = _xmp_facts(old) == _xmp_facts(new)
        except Exception:  # unparsable XMP: not a bookkeeping update
            return
        if same:
            yield from super().apply(old, new)


STRICT_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        InfoBookkeepingRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XmpBookkeepingRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormUpdatingRule(field_rules=[
        SigFieldCreationRule(), SigFieldModificationRule(), GenericFieldModificationRule()]),
)
"""pyHanko's default policy, with the two metadata rules above in place of its own."""
