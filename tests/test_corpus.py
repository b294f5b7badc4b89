"""Parsing the bundled corpus into documents: anatomy, metadata, cleaning."""

from __future__ import annotations

import re

import pytest

from qa_service.corpus import Document, load_corpus
from qa_service.corpus.markup import clean_inline
from qa_service.corpus.metadata import parse_date
from qa_service.corpus.paragraphs import recover_paragraphs
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return load_corpus(CORPUS)


def by_reg(docs: list[Document], reg: str) -> Document:
    return next(d for d in docs if d.kind == "letter" and d.registration_number == reg and not d.duplicate_of)


def test_replies_are_found_with_their_references(docs: list[Document]) -> None:
    replies = [d for d in docs if d.kind == "reply"]
    assert len(replies) == 23
    assert {r.registration_number for r in replies} == {
        f"202500{n}"
        for n in (
            737,
            739,
            741,
            743,
            745,
            747,
            750,
            343,
            790,
            796,
            798,
            800,
            802,
            935,
            937,
            458,
            460,
            462,
            464,
            467,
            469,
            471,
            473,
        )
    }
    for r in replies:
        assert r.date and r.date.startswith("2025-1")


def test_incoming_letters(docs: list[Document]) -> None:
    letters = [d for d in docs if d.kind == "letter"]
    assert 26 <= len(letters) <= 29
    assert sum(1 for d in letters if d.duplicate_of) == 1


@pytest.mark.parametrize(
    ("reg", "sender", "date", "subject_part"),
    [
        ("202500736", "NVZ", "2025-11-26", "Transformatie van de zorg"),
        ("202500742", "VluchtelingenWerk Nederland", "2025-12-04", "VluchtelingenWerk"),
        ("202500457", "NVO", "2025-11-26", "Input NVO"),
        ("202500797", "Patiëntenfederatie Nederland", "2025-12-11", None),
        ("202500468", "Stichting AIC4NL", "2025-11-26", "AI Coalitie"),
    ],
)
def test_letter_metadata(docs: list[Document], reg: str, sender: str, date: str, subject_part: str | None) -> None:
    d = by_reg(docs, reg)
    assert d.sender == sender
    assert d.date == date
    if subject_part:
        assert d.subject and subject_part in d.subject
    assert d.line_start < d.line_end


def test_corrupted_registration_is_repaired_from_the_reply(docs: list[Document]) -> None:
    d = by_reg(docs, "202500740")
    assert d.registration_raw == "202560740"
    assert d.reply_id is not None


def test_displaced_attachment_goes_to_the_answered_letter(docs: list[Document]) -> None:
    nvz = by_reg(docs, "202500736")
    atts = [d for d in docs if d.parent_id == nvz.id]
    assert any("AANBEVELINGEN ZIEKENHUISZORG" in d.text for d in atts)
    dup = next(d for d in docs if d.duplicate_of)
    assert dup.registration_number == "202500342"


def test_agreement_sections_have_heading_paths(docs: list[Document]) -> None:
    sections = [d for d in docs if d.kind == "agreement_section"]
    assert 85 <= len(sections) <= 101
    assert sections[0].heading_path == ["Inleiding"]
    paths = [" > ".join(s.heading_path) for s in sections]
    assert "Grote keuzes voor Nederland > Bouwen en wonen > Bouwen: ruim baan voor nieuwe huizen" in paths
    assert any(p.endswith("Budgettaire afspraken") for p in paths)
    # A part opens a page and its first chapter's title follows at once; a section title followed
    # at once by another title gets a subsection, not a part of its own.
    assert "Nederland werkt > Goed onderwijs en wetenschap" in paths
    assert "Nederland werkt > Werk en zekerheid > Meer ruimte op de arbeidsmarkt > Werkagenda korte termijn" in paths
    assert not any(p.startswith("Meer ruimte op de arbeidsmarkt") for p in paths)


def test_clean_text_has_no_markup_or_postal_noise(docs: list[Document]) -> None:
    for d in docs:
        for junk in ("Port Betaald", "#0000#", "[Redacted", "<sup>", "**", "](#)"):
            assert junk not in d.text, (d.id, junk)


def test_page_break_is_rejoined() -> None:
    lines = [
        "Dit is een lange zin die over de pagina heen loopt en daarom midden in de",
        "",
        "<sup>1</sup> Een voetnoot.",
        "",
        "zin verder gaat.",
    ]
    paras = recover_paragraphs(lines)
    assert paras[0].text == "Dit is een lange zin die over de pagina heen loopt en daarom midden in de zin verder gaat."
    assert paras[-1].kind == "footnote"


def test_inline_cleanup() -> None:
    assert clean_inline("**Vet** en [link](http://x.nl) kritisch<sup>1</sup> 2<sup>de</sup> NOC\\*NSF") == (
        "Vet en link kritisch 2de NOC*NSF"
    )


def test_dates() -> None:
    assert parse_date("Delft, 9-12-2025")[0] == "2025-12-09"
    assert parse_date("Datum : 26/11/2025")[0] == "2025-11-26"
    assert parse_date("Den Haag, 3 december 2025")[0] == "2025-12-03"
    assert parse_date("December 2025") == (None, "December 2025")


def test_offsets_and_lines_are_consistent(docs: list[Document]) -> None:
    for d in docs:
        for p in d.paragraphs:
            assert d.text[p.char_start : p.char_end] == p.text
        assert re.search(r"\w", d.text)


def test_joint_letter_names_every_signing_organisation(docs: list[Document]) -> None:
    d = by_reg(docs, "202500791")
    assert d.sender is not None
    orgs = d.sender.split(", ")
    assert len(orgs) >= 10 and "ActiZ" in orgs and "VNO-NCW" in orgs
    assert d.title.startswith("Brief van ") and "andere organisaties" in d.title
    assert len(d.title) < 200


def test_signatory_list_rule() -> None:
    from qa_service.corpus.senders import signatory_orgs

    lines = [
        "Jan Jansen, voorzitter Vereniging Een",
        "Piet de Vries, directeur-bestuurder TWEE",
        "Els Bos, bestuurslid van de Stichting Drie",
    ]
    assert signatory_orgs(lines) == ["Vereniging Een", "TWEE", "Stichting Drie"]
    assert signatory_orgs(lines[:2]) == []  # two signatures are a normal letter's, not a list
