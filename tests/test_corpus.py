"""Parsing the bundled corpus into documents: anatomy, metadata, cleaning."""

from __future__ import annotations

import re

import pytest

from qa_service.config import PACKAGE_ROOT
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
    letters = [d for d in docs if d.kind == "letter" and d.parent_id is None]
    assert 26 <= len(letters) <= 29
    assert sum(1 for d in letters if d.duplicate_of) == 1
    enclosed = [d for d in docs if d.kind == "letter" and d.parent_id is not None]
    assert 4 <= len(enclosed) <= 6


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


def at_line(docs: list[Document], source: str, line: int) -> Document:
    """The document whose lines hold `line` of the corpus file starting with `source`."""
    return next(d for d in docs if d.source_file.startswith(source) and d.line_start <= line <= d.line_end)


def test_an_enclosed_joint_letter_is_a_letter_of_its_own(docs: list[Document]) -> None:
    cover = at_line(docs, "003", 29)
    joint = at_line(docs, "003", 146)
    assert joint.kind == "letter" and joint.id != cover.id
    assert joint.parent_id == cover.id
    # Its head (address, labels) is its own, not the end of the member letter.
    assert joint.line_start == 131 and cover.line_end < 131
    assert joint.date == "2025-11-20" and cover.date == "2025-12-05"
    assert joint.subject and joint.subject.startswith("Gezamenlijke brief")
    assert joint.subject in joint.title and "tussenverslag" not in joint.title
    assert joint.addressee == "Geachte heer Buma, beste Sybrand"
    # The sender's own reference, never a registration number.
    assert joint.reference == "COS/U202500738"
    assert joint.registration_number is None and joint.registration_raw is None
    assert len(joint.signatories) == 28
    # The Bouwstenen after it are the joint letter's own attachment.
    bouwstenen = at_line(docs, "003", 300)
    assert bouwstenen.kind == "attachment" and bouwstenen.parent_id == joint.id


@pytest.mark.parametrize(
    ("source", "cover_line", "letter_line", "head_line", "date", "subject_part"),
    [
        # a letter to two state secretaries, offered to the informateur by its cover letter
        ("000", 800, 836, 816, "2025-12-04", "Focus op jeugd"),
        # a second letter of the same day, to the parliamentary group leaders
        ("000", 613, 668, 655, "2025-12-04", "Reactie tussenverslag formatie"),
        # a citizen's letter to the King, enclosed with the letter to the informateur
        ("000", 1134, 1174, 1150, None, "Kieswet"),
    ],
)
def test_enclosed_letters_keep_their_head_date_and_subject(
    docs: list[Document],
    source: str,
    cover_line: int,
    letter_line: int,
    head_line: int,
    date: str | None,
    subject_part: str,
) -> None:
    cover = at_line(docs, source, cover_line)
    letter = at_line(docs, source, letter_line)
    assert letter.kind == "letter" and letter.parent_id == cover.id
    assert letter.line_start == head_line and cover.line_end < head_line
    assert letter.date == date
    assert letter.subject and subject_part in letter.subject and subject_part in letter.title
    assert letter.registration_number is None
    assert cover.registration_number is not None


def test_an_acknowledgement_without_salutation_is_a_letter(docs: list[Document]) -> None:
    ack = at_line(docs, "000", 1285)
    assert ack.kind == "letter" and ack.date == "2025-11-19" and ack.reference == "REK2025001523"
    assert ack.line_start == 1271
    assert at_line(docs, "000", 1192).kind == "attachment"


def test_a_business_card_after_the_signature_signs_nothing(docs: list[Document]) -> None:
    letter = at_line(docs, "000", 668)
    assert [s["name"] for s in letter.signatories] == ["Frank Candel"]


@pytest.mark.parametrize(
    ("source", "line", "expected"),
    [
        ("002", 140, ["De Nederlandse GGZ", "NIP", "MIND", "NVvP"]),
        (
            "002",
            567,
            ["Gemeente Rotterdam", "Provincie Zuid-Holland", "Havenbedrijf Rotterdam", "Deltalinqs"]
            + ["Economic Board Zuid-Holland"],
        ),
        (
            "001",
            1290,
            ["Ondersteunend Bureau Gaswinning", "Provincie Groningen", "Gemeente Eemsdelta", "Gemeente Het Hogeland"]
            + ["Gemeente Groningen", "Gemeente Midden-Groningen", "Gemeente Oldambt"],
        ),
    ],
)
def test_organisations_of_joint_letters(docs: list[Document], source: str, line: int, expected: list[str]) -> None:
    assert at_line(docs, source, line).organisations == expected


def test_signature_roles_and_portfolios_are_no_organisations(docs: list[Document]) -> None:
    rotterdam = at_line(docs, "002", 567)
    weverling = next(s for s in rotterdam.signatories if s["name"] == "Arne Weverling")
    assert weverling["organisation"] == "Provincie Zuid-Holland"
    assert weverling["role"] == "Gedeputeerde Haven en Industrie"
    rapporteur = at_line(docs, "001", 1642)
    orgs = rapporteur.organisations
    assert orgs[0] == "Nationaal Rapporteur Mensenhandel en Seksueel Geweld tegen Kinderen"
    assert {"Gemeente Amsterdam", "Gemeente Rotterdam", "Gemeente Den Haag", "Sterk Huis", "Levvel"} <= set(orgs)
    assert "Strategisch Overleg Mensenhandel" in orgs
    for junk in ("Mensenhandel en", "Opvang", "Zorg, Ouderen en", "Haven en Industrie"):
        assert junk not in orgs


def test_joint_letter_organisations_and_short_names(docs: list[Document]) -> None:
    joint = at_line(docs, "003", 146)
    assert joint.organisations[0] == "Vereniging van Nederlandse Gemeenten"
    assert len(joint.organisations) == 28
    assert {"Aedes", "Divosa", "Nederlandse Vereniging van Ziekenhuizen", "VO-raad"} <= set(joint.organisations)
    assert {"VNG", "NVZ", "NJR"} <= set(joint.aliases)
    elderly = by_reg(docs, "202500791")
    assert len(elderly.organisations) == 17
    # Replies speak for the informateur; attachments for their letter.
    reply = next(d for d in docs if d.kind == "reply")
    assert reply.organisations == ["Informateur"]
    bouwstenen = at_line(docs, "003", 300)
    assert bouwstenen.organisations == joint.organisations


def test_short_names_come_from_the_text() -> None:
    from qa_service.corpus.organisations import abbreviations, short_names

    defined = abbreviations(
        [
            "De Raad voor Strafrechtstoepassing en Jeugdbescherming (hierna: de RSJ) adviseert.",
            "NVZ (Nederlandse Vereniging van Ziekenhuizen)",
        ]
    )
    assert short_names(["Raad voor Strafrechtstoepassing en Jeugdbescherming"], "", defined) == ["RSJ"]
    assert short_names(["Nederlandse Vereniging van Ziekenhuizen"], "", defined) == ["NVZ"]
    # Initials count only when the text uses them as a word.
    assert short_names(["Vereniging van Nederlandse Gemeenten"], "De VNG herkent dit.", {}) == ["VNG"]
    assert short_names(["Vereniging van Nederlandse Gemeenten"], "Geen afkorting hier.", {}) == []


def test_document_round_trip_keeps_the_new_fields(docs: list[Document]) -> None:
    joint = next(d for d in docs if d.reference == "COS/U202500738")
    copy = Document.from_dict({**joint.to_dict(), "paragraphs": [vars(p) for p in joint.paragraphs]})
    assert copy.organisations == joint.organisations and copy.aliases == joint.aliases
    assert copy.reference == joint.reference and copy.text == joint.text


def test_letters_outside_the_corpus_get_their_organisations() -> None:
    from qa_service.corpus.loader import parse_file

    own = PACKAGE_ROOT / "tests" / "data" / "own_letters"
    (joint,) = parse_file(own / "04_alliantie_veilige_schoolroutes.txt")
    # No reply, no letterhead: the four organisations that signed send it.
    assert len(joint.organisations) == 4 and joint.sender and joint.sender.startswith(joint.organisations[0])
    (board,) = parse_file(own / "03_dorpshuizen_achterhoek.txt")
    assert board.organisations == ["Coöperatie Dorpshuizen Achterhoek"]  # "namens het bestuur" is its own board
    assert board.sender == "Coöperatie Dorpshuizen Achterhoek"
