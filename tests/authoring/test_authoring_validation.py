"""Each kind of bad template is refused at upload, with a message that says where and why."""

from __future__ import annotations

import pytest

from service.authoring.docx_template import MAX_UNCOMPRESSED
from service.authoring.validation import MAX_UPLOAD_BYTES, TemplateRefused, check_upload
from service.catalog import KIND_ASSETS, builtin_path
from tests.authoring.conftest import make_docx, rewrite_zip


def refusal(kind: str, filename: str, data: bytes) -> list[str]:
    with pytest.raises(TemplateRefused) as caught:
        check_upload(kind, filename, data)
    return [problem["message"] for problem in caught.value.details]


@pytest.mark.parametrize("kind", list(KIND_ASSETS))
def test_the_built_in_templates_pass_their_own_checks(kind: str) -> None:
    checked = check_upload(kind, f"{kind}.html", builtin_path(kind).read_bytes())
    assert checked.format == "html"
    assert "figures.total" in checked.variables or "figures.penalties" in checked.variables


def test_an_unknown_variable_is_named_with_the_closest_known_one() -> None:
    source = "<p>Madame,</p>\n<p>{{ debtor.nme }} doit {{ figures.totl|amount }}</p>"
    assert refusal("relance", "t.html", source.encode()) == [
        "ligne 2 : variable inconnue « debtor.nme » — vouliez-vous dire « debtor.name » ?",
        "ligne 2 : variable inconnue « figures.totl » — vouliez-vous dire « figures.total » ?"]


def test_loop_variables_are_checked_against_the_items_of_their_list() -> None:
    source = "{% for inv in invoices %}\n<p>{{ inv.nmber }} {{ inv.due_date|date_long }}</p>" \
             "{% endfor %}"
    assert refusal("relance", "t.html", source.encode()) == [
        "ligne 2 : variable inconnue « inv.nmber » — vouliez-vous dire « inv.number » ?"]


def test_a_known_loop_and_local_names_are_accepted() -> None:
    source = ("{% set total = figures.total %}{% for line in figures.invoices|sort(attribute="
              "'number') %}<p>{{ line.number }} {{ line.total|amount }} {{ loop.index }}</p>"
              "{% endfor %}<p>{{ total|amount_words }}</p>")
    checked = check_upload("relance", "t.html", source.encode())
    assert {"figures.invoices[].number", "figures.invoices[].total"} <= set(checked.variables)


def test_an_unknown_top_level_name_and_filter_get_suggestions() -> None:
    messages = refusal("relance", "t.html", b"<p>{{ debitor.name }} {{ as_of|date_lng }}</p>")
    assert messages == [
        "ligne 1 : variable inconnue « debitor » — vouliez-vous dire « debtor » ?",
        "ligne 1 : filtre inconnu « date_lng » — vouliez-vous dire « date_long » ?"]


@pytest.mark.parametrize("trick", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ debtor['__class__'] }}",
    "{{ debtor|attr('__class__') }}",
    "{{ lipsum.__globals__ }}",
])
def test_attribute_tricks_are_refused_at_upload(trick: str) -> None:
    messages = refusal("relance", "t.html", f"<p>{trick}</p>".encode())
    assert any("accès interdit" in m and "_" in m for m in messages), messages


def test_a_syntax_error_gives_its_line() -> None:
    messages = refusal("relance", "t.html", b"<p>a</p>\n<p>b</p>\n{% if %}<p>c</p>")
    assert len(messages) == 1
    assert messages[0].startswith("ligne 3 : erreur de syntaxe")


def test_an_optional_field_printed_unguarded_fails_the_trial_fill() -> None:
    # The relance sample has no second address line: printed as is it would say "None".
    messages = refusal("relance", "t.html", b"<p>{{ debtor.address.line2 }}</p>")
    assert len(messages) == 1
    assert messages[0].startswith("essai avec les données d’exemple")
    assert "guard optional fields" in messages[0]


@pytest.mark.parametrize(("filename", "data", "expected"), [
    ("t.pdf", b"%PDF-1.7", "envoyez un fichier .html ou .docx (reçu : « t.pdf »)"),
    ("t.html", b"", "le fichier est vide"),
    ("t.html", b"just words, no markup", "ce fichier n’est pas un modèle HTML"),
    ("t.html", "<p>é</p>".encode("latin-1"), "le fichier HTML doit être encodé en UTF-8"),
    ("t.docx", b"<p>not a zip</p>", "ce fichier n’est pas un document Word (.docx) valide"),
    ("t.html", b"<p>" + b"x" * MAX_UPLOAD_BYTES + b"</p>", "le fichier dépasse 5 Mo"),
])
def test_files_that_are_not_templates_are_refused(filename: str, data: bytes,
                                                  expected: str) -> None:
    assert refusal("relance", filename, data) == [expected]


def test_a_docx_syntax_error_names_the_paragraph_and_its_text() -> None:
    data = make_docx("Madame, Monsieur,", "Vous nous devez {{ figures.total|amount }}.",
                     "Merci de régler {% if figures.total %} sans délai.")
    messages = refusal("relance", "t.docx", data)
    assert len(messages) == 1
    assert messages[0].startswith("document, paragraphe 3 (« Merci de régler")
    assert "erreur de syntaxe" in messages[0]


def test_docx_variables_are_checked_in_body_tables_and_footers() -> None:
    data = make_docx("{{ debtor.nme }}", table=[["Facture", "{{ figures.totl|amount }}"]],
                     footer="{{ creditor.nam }}")
    messages = refusal("relance", "t.docx", data)
    assert any("« debtor.nme » — vouliez-vous dire « debtor.name »" in m for m in messages)
    assert any("« figures.totl » — vouliez-vous dire « figures.total »" in m for m in messages)
    assert any(m.startswith("pied de page") and "« creditor.name »" in m for m in messages)


def test_a_docx_attribute_trick_is_refused() -> None:
    messages = refusal("relance", "t.docx", make_docx("{{ debtor.__class__ }}"))
    assert any("accès interdit à « __class__ »" in m for m in messages)


def test_a_valid_docx_lists_the_variables_it_uses() -> None:
    data = make_docx("{{ debtor.name }}", "{% for inv in invoices %}{{ inv.number }} "
                     "{% endfor %}", footer="{{ document.id }}")
    checked = check_upload("relance", "t.docx", data)
    assert checked.format == "docx"
    assert {"debtor.name", "invoices[].number", "document.id"} <= set(checked.variables)


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = rewrite_zip(make_docx("x"), lambda _name, content: content,
                       extra={"word/media/filler.bin": b"\0" * (MAX_UNCOMPRESSED + 1)})
    assert len(bomb) < MAX_UPLOAD_BYTES
    assert refusal("relance", "t.docx", bomb) == [
        "ce document Word est anormalement volumineux une fois décompressé"]


def test_a_docx_without_its_document_part_is_refused() -> None:
    broken = rewrite_zip(make_docx("x"),
                         lambda name, content: None if name == "word/document.xml" else content)
    assert refusal("relance", "t.docx", broken) == [
        "ce fichier n’est pas un document Word (.docx) : il lui manque word/document.xml"]


def test_a_docx_linking_an_external_image_is_refused() -> None:
    def link(name: str, content: bytes) -> bytes:
        if name != "word/_rels/document.xml.rels":
            return content
        return content.replace(b"</Relationships>", (
            b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/image" Target="http://evil.example/p.png" '
            b'TargetMode="External"/></Relationships>'))

    assert refusal("relance", "t.docx", rewrite_zip(make_docx("x"), link)) == [
        "ce document Word fait référence à un fichier ou une image externe : "
        "insérez les images dans le document"]


def test_a_docx_with_a_dtd_is_refused() -> None:
    def entities(name: str, content: bytes) -> bytes:
        if name != "word/document.xml":
            return content
        return content.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>', 1)

    assert refusal("relance", "t.docx", rewrite_zip(make_docx("x"), entities)) == [
        "ce document Word contient des déclarations XML interdites (DTD)"]
