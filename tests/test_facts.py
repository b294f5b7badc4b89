"""Document facts: signature parsing, question typing, envelope passages, fact answers, confidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest

from qa_service.answer import Answerer
from qa_service.chunking import ChunkingSettings, chunk_documents
from qa_service.confidence import has_entity, missing_names
from qa_service.config import Settings
from qa_service.corpus import load_corpus
from qa_service.corpus.signatures import parse_signatures
from qa_service.errors import InvalidQuery
from qa_service.questions import classify
from qa_service.search import Filters
from qa_service.service import open_service
from tests.conftest import CORPUS
from tests.server import running_server


def test_signature_shapes() -> None:
    # name, then role and organisation on the next line
    (s,) = parse_signatures(["", "Jan de Vries  ", "Voorzitter Stichting Zeehondenzorg", "", "Kopie naar:", "- X"])
    assert (s.name, s.role, s.organisation) == ("Jan de Vries", "Voorzitter", "Stichting Zeehondenzorg")
    assert s.describe() == "Jan de Vries, voorzitter Stichting Zeehondenzorg"
    # one line per signatory of a joint letter
    joint = parse_signatures(["Anna Bakker, voorzitter ActiZ", "Piet Smit, directeur-bestuurder ANBO-PCOB"])
    assert [(x.name, x.role, x.organisation) for x in joint] == [
        ("Anna Bakker", "voorzitter", "ActiZ"),
        ("Piet Smit", "directeur-bestuurder", "ANBO-PCOB"),
    ]
    # the organisation above the name, a redacted signature, the role before the name
    (s,) = parse_signatures(["Sociale Fondsbank", "[redacted]", "Mw. drs. A. B. Jansen", "Voorzitter Raad van Bestuur"])
    assert s.organisation == "Sociale Fondsbank" and s.role == "Voorzitter Raad van Bestuur"
    (s,) = parse_signatures(["burgemeester Van den Berg"])
    assert (s.name, s.role) == ("Van den Berg", "burgemeester")
    # an organisation's name wrapped over lines, a double function
    (s,) = parse_signatures(
        ["Jan Jansen", "Algemeen voorzitter", "", "Raad voor", "Strafrecht", "en Jeugd", "Postbus 1"]
    )
    assert (s.role, s.organisation) == ("Algemeen voorzitter", "Raad voor Strafrecht en Jeugd")
    joint = parse_signatures(
        ["Anna Bakker, voorzitter ActiZ", "", "4 Zie het SER-advies", "", "Theo Smit, voorzitter FME"]
    )
    assert [x.organisation for x in joint] == ["ActiZ", "FME"]  # a footnote between signatories
    (s,) = parse_signatures(["Anna de Groot, voorzitter-bestuurder Verenso"])
    assert (s.role, s.organisation) == ("voorzitter-bestuurder", "Verenso")
    # an address block is not a signature
    assert parse_signatures(["Postbus 20018", "2500 EA Den Haag"]) == []


@pytest.mark.parametrize(
    ("question", "wants", "fact"),
    [
        ("Wie heeft de brief van de NVZ ondertekend?", "person", "signatory"),
        ("Who signed the letter from VNG?", "person", "signatory"),
        ("Wie is de voorzitter van ROM-Nederland?", "person", "role"),
        ("Who chairs the Vereniging Gehandicaptenzorg Nederland?", "person", "role"),
        ("Wanneer stuurde VluchtelingenWerk zijn brief?", "date", "date"),
        ("Wanneer schreef de NVZ de informateur?", "date", "date"),
        ("When did the NVZ write to the informateur?", "date", "date"),
        ("When did the informateur reply to the letter from NVZ?", "date", "reply"),
        ("Wat is het kenmerk van de brief van de RSJ?", "other", "registration"),
        ("Welke organisaties ondertekenden de gezamenlijke brief?", "organisation", "organisations"),
        ("In welk hoofdstuk van het coalitieakkoord staat de AOW?", "other", "chapter"),
        ("Wie ondertekende het antwoord aan de NVZ?", "person", "reply"),
        ("Wie ondertekende de brief met kenmerk 202500736?", "person", "signatory"),
        ("Wanneer kwam het antwoord op de brief van de NVZ?", "date", "reply"),
        # questions about the content, not about a document's own facts
        ("Wanneer komt het antwoord op de woningnood?", "date", None),
        ("Wie is verantwoordelijk voor het antwoord op de wooncrisis?", "person", None),
        ("Wanneer werd het Korps Rijkspolitie opgericht?", "date", None),
        ("Hoeveel extra geld is er jaarlijks nodig voor schoolgebouwen?", "number", None),
        ("Welk bedrag vraagt de Vereniging Waddenvogelwacht?", "amount", None),
        ("How much money does the council ask for?", "amount", None),
        ("Wat kost de infiltratie in kreekruggen?", "amount", None),
        ("By when does the foundation want to hear from the cabinet?", "date", None),
        ("Welke organisatie pleit voor waakvlam-ondersteuning voor jongeren?", "organisation", None),
        ("What does the coalition agreement say about nitrogen?", "other", None),
    ],
)
def test_question_types(question: str, wants: str, fact: str | None) -> None:
    q = classify(question)
    assert (q.wants, q.fact) == (wants, fact)


def test_entities_and_missing_names() -> None:
    assert has_entity("Dit gebeurt per 1 januari 2027.", "date")
    assert not has_entity("Dit gebeurt snel.", "date")
    assert has_entity("Er komen 900 agenten bij.", "number")
    assert has_entity("Wat dan ook.", "other") is None
    assert has_entity("Wij vragen € 1,2 miljoen per jaar.", "amount")
    assert has_entity("A budget of 3.4 million euros.", "amount")
    assert not has_entity("Wij tellen 2.100 vrijwilligers en 3.800 broedparen.", "amount")


def test_a_sentence_without_the_asked_date_or_amount_is_only_a_candidate() -> None:
    from qa_service.confidence import LOOKUP_SENTENCE, Features, confidence

    sure = Features(0.95, 0.2, 1.0, 0.95, -1.0, 1.0, 1.0, 0.0, 0.5, 0.0)
    assert confidence(sure) > 0.9  # the model alone is sure of the letter's opening sentence
    assert confidence(sure, "amount") == LOOKUP_SENTENCE == confidence(sure, "date")
    assert confidence(sure, "number") == confidence(sure)  # "een" is a number: lacking one says little
    assert missing_names("Hoeveel kost een kerncentrale in Frankrijk?", "Nederland bouwt kerncentrales") == 1
    assert missing_names("Hoeveel kost een kerncentrale in Nederland?", "Nederland bouwt kerncentrales") == 0


def test_corpus_metadata_and_envelope_passages() -> None:
    docs = load_corpus(CORPUS)
    letters = [d for d in docs if d.kind == "letter" and not d.duplicate_of]
    # Replies name the organisation they answer, never "Informateur".
    replies = [d for d in docs if d.kind == "reply"]
    assert replies and all("aan Informateur" not in d.title for d in replies)
    assert sum("de afzender" not in d.title for d in replies) >= len(replies) - 2
    # Most letters have a signatory with a role, and answered letters know their reply's date.
    assert sum(bool(d.signatory_role) for d in letters) >= 0.7 * len(letters)
    answered = [d for d in letters if d.reply_id]
    assert answered and all(d.reply_date and d.reply_signatory for d in answered)
    joint = [d for d in letters if len(d.signatories) >= 10]
    assert joint and all(s["name"] and s["organisation"] for d in joint for s in d.signatories[:5])
    # Heads and tails are passages of their own, marked as envelope, holding the signature.
    passages = chunk_documents(docs, lambda t: len(t.split()) * 2, ChunkingSettings())
    envelope = [p for p in passages if p.role == "envelope"]
    assert len(envelope) >= len(letters)
    tails = {p.doc_id: p for p in envelope if p.id.endswith("-tail")}
    signed = [d for d in letters if d.signatory and d.id in tails]
    assert sum(d.signatory in tails[d.id].text for d in signed) >= 0.8 * len(signed)
    assert all(p.sentences == [(p.char_start, p.char_end)] for p in envelope)
    # ...and content passages no longer carry copy lists or signatures.
    body = [p for p in passages if p.role == "body"]
    assert not any(p.text.startswith("Kopie naar") for p in body)


@pytest.fixture(scope="module")
def answerer(real_service) -> Answerer:  # type: ignore[no-untyped-def]
    return Answerer(real_service)


@pytest.mark.real_model
def test_fact_answers(answerer: Answerer) -> None:
    a = answerer.ask("Wie is de voorzitter van de Vereniging Groninger Monument Eigenaren?")
    assert a.answer is not None and a.answer.kind == "fact" and a.answer.confidence >= 0.8
    assert "Derk K. Kremer" in a.answer.text and "voorzitter" in a.answer.text
    assert "24 november 2025" in a.answer.citation and "Groninger Monument" in a.answer.citation
    a = answerer.ask("When did the informateur reply to the letter from the NVZ?")
    assert a.answer is not None and "10 december 2025" in a.answer.text
    assert a.answer.citation.startswith("Antwoord van de informateur aan NVZ")
    a = answerer.ask("Wat is het kenmerk van de brief van de NVZ?")
    assert a.answer is not None and a.answer.text == "202500736"


@pytest.mark.real_model
def test_the_reply_is_answered_for_not_the_letter(answerer: Answerer) -> None:
    for q in ("Wie ondertekende het antwoord aan de NVZ?", "Who signed the reply to the NVZ?"):
        a = answerer.ask(q)
        assert a.answer is not None and a.answer.kind == "fact", q
        assert a.answer.text.startswith("Sybrand Buma") and "Melkert" not in a.answer.text
        assert a.answer.citation.startswith("Antwoord van de informateur aan NVZ")


@pytest.mark.real_model
@pytest.mark.parametrize(
    "question",
    [
        "Wie ondertekende de brief van de ANWB?",  # organisations the corpus has no letter of
        "Wanneer stuurde Ajax de brief?",
        "Wat is het kenmerk van de brief van Greenpeace?",
        "Wie ondertekende de brief van D66?",  # named in letters, but the sender of none
        "Wie ondertekende de brief van het COA?",
        "Who signed the letter from the banks?",
        "Wie ondertekende de brief van de Vereniging?",  # names no letter in particular
        "Wie ondertekende de brief van de informateur?",
        "Wie ondertekende de brief met kenmerk 202500999?",  # no such kenmerk
        "Wie ondertekende de brief van 26 november 2025?",  # no letter of that date
    ],
)
def test_a_letter_the_corpus_lacks_gets_no_fact(answerer: Answerer, question: str) -> None:
    a = answerer.ask(question)
    assert a.answer is None, a.answer  # and no sentence stands in for the fact asked
    assert a.confidence is None or a.confidence <= 0.4
    assert all((c.confidence or 0.0) <= 0.4 for c in a.candidates)


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("Wat zegt het coalitieakkoord over asielzoekers?", True),
        ("How many new nuclear power stations does the coalition want to build?", True),
        ("Binnen hoeveel tijd belooft de organisator van een formatie-hackathon een regeerakkoord?", False),
        ("Met welk akkoord vergelijkt de brede coalitie van maatschappelijke organisaties hun doel?", False),
        ("Wat vraagt de NVZ van het nieuwe kabinet?", False),
    ],
)
def test_questions_about_what_the_agreement_says(question: str, about: bool) -> None:
    assert classify(question).about_agreement is about


@pytest.mark.real_model
def test_what_the_agreement_says_is_not_answered_from_a_letter(answerer: Answerer) -> None:
    a = answerer.ask("Wat zegt het coalitieakkoord over asielzoekers?")
    assert a.answer is None or a.answer.document.kind == "agreement_section"


@pytest.mark.real_model
def test_a_role_known_only_from_the_replys_addressee(answerer: Answerer) -> None:
    # The Steenbergen letter has no closing formula; the reply is addressed "T.a.v. burgemeester ..."
    a = answerer.ask("Wie is de burgemeester van Steenbergen?")
    assert a.answer is not None and a.answer.kind == "fact" and "Van den Belt" in a.answer.text


@pytest.mark.real_model
def test_an_organisations_own_letter_before_a_joint_one(answerer: Answerer) -> None:
    a = answerer.ask("Wie ondertekende de brief van de NVB?")  # the NVB also co-signed a joint letter
    assert a.answer is not None and a.answer.text == "Medy van der Laan, voorzitter NVB"


def test_a_letter_is_named_by_its_co_signing_organisations(settings: Settings) -> None:
    from qa_service.facts import FactBook

    book = FactBook(open_service(settings).store)

    def first(question: str) -> str:
        named = book.named(question)
        assert named, question
        return named[0][1].id

    docs = {d.id: d for d in book.documents.values()}
    # "mede namens" an organisation: the letter speaks for it too
    assert docs[first("Wie ondertekende de brief van de Economic Board Zuid-Holland?")].sender == "Gemeente Rotterdam"
    # one of 28 organisations under a joint letter the VNG sent
    assert docs[first("Wie ondertekende de brief van Divosa?")].reference == "COS/U202500738"
    # the VNG's own member letter before the joint letter it sent for 27 others
    vng = docs[first("Wat is de datum van de brief van de VNG?")]
    assert vng.parent_id is None and vng.source_file.startswith("003")
    # The reply names the RSJ by its full name as its addressee; the letter it answers is still
    # the one asked about, not the letter the RSJ enclosed with it.
    q = classify("Wie ondertekende de brief van de Raad voor Strafrechtstoepassing en Jeugdbescherming?")
    fact = book.answer(q, [], [])
    assert fact is not None and fact.text.startswith("Jan Moraal") and fact.document.registration_number
    q = classify("Wat is het kenmerk van de brief van de RSJ?")
    fact = book.answer(q, [], [])
    assert fact is not None and fact.text == "202500744" and fact.document.parent_id is None
    # An enclosed letter was registered with its cover: its kenmerk is the cover's.
    enclosed = next(d for d in docs.values() if d.parent_id == fact.document.id and d.kind == "letter")
    assert enclosed.registration_number is None and book._fact_text(q, enclosed) == "202500744"


@pytest.mark.real_model
def test_a_letter_named_by_its_kenmerk(answerer: Answerer) -> None:
    a = answerer.ask("Wie ondertekende de brief met kenmerk 202500736?")
    assert a.answer is not None and "Melkert" in a.answer.text and "NVZ" in a.answer.citation
    a = answerer.ask("Wanneer antwoordde de informateur op de brief met kenmerk 202500736?")
    assert a.answer is not None and a.answer.text.startswith("10 december 2025")
    hits = answerer.search.search("202500736", mode="keyword").hits
    assert hits and "202500736" in hits[0].passage.text  # the letter's head, found by its number


@pytest.mark.real_model
def test_candidates_of_a_fact_answer_are_most_confident_first(answerer: Answerer) -> None:
    a = answerer.ask("Wat is het kenmerk van de brief van de NVZ?")
    assert a.answer is not None and a.answer.kind == "fact"
    confs = [c.confidence or 0.0 for c in a.candidates]
    assert confs == sorted(confs, reverse=True) and all(c <= (a.confidence or 0.0) for c in confs)


@pytest.mark.real_model
def test_fact_answers_respect_the_filters(answerer: Answerer) -> None:
    q = "Wie ondertekende de brief van de NVZ?"
    assert answerer.ask(q).answer is not None
    for f in (Filters(kind=["agreement_section"]), Filters(date_from=dt.date(2025, 12, 10))):
        a = answerer.ask(q, filters=f)
        assert a.answer is None or (a.answer.kind != "fact" and f.admits(a.answer.document)), f
    a = answerer.ask(q, filters=Filters(sender="NVZ"))
    assert a.answer is not None and "Melkert" in a.answer.text


@pytest.mark.real_model
@pytest.mark.parametrize(
    "question", ["Wat vraagt de NVZ van het nieuwe kabinet?", "Wie ondertekende de brief van de VNG?", "Who signed?"]
)
def test_candidates_never_outrank_the_answer(answerer: Answerer, question: str) -> None:
    a = answerer.ask(question)
    top = a.confidence or 0.0
    assert all((c.confidence or 0.0) <= top + 1e-9 for c in a.candidates)
    words = [" ".join(c.text.lower().split()) for c in a.candidates + ([a.answer] if a.answer else [])]
    assert len(words) == len(set(words)), "a sentence is offered twice"


@pytest.mark.real_model
def test_factcheck_finds_nothing_for_nonsense_and_evidence_has_no_confidence(answerer: Answerer) -> None:
    for claim in ("De maan is van kaas", "Ajax wint de Champions League", "The moon is made of cheese"):
        f = answerer.factcheck(claim)
        assert f.status == "no_evidence" and f.reason, claim
    f = answerer.factcheck("We voeren een lobbyregister in")
    assert f.status == "evidence_found" and all(e.confidence is None for e in f.evidence)


@pytest.mark.parametrize("text", ["\u200b", "\x00", "\x01\x02", "???", " \t "])
def test_a_question_without_words_is_refused(settings: Settings, text: str) -> None:
    ans = Answerer(open_service(settings))
    with pytest.raises(InvalidQuery):
        ans.ask(text)
    with pytest.raises(InvalidQuery):
        ans.factcheck(text)
    with pytest.raises(InvalidQuery):
        ans.search.search(text)


@pytest.mark.real_model
def test_envelope_passages_only_for_lookups(answerer: Answerer) -> None:
    res = answerer.search.search("Wie ondertekende de brief van de Vereniging Groninger Monument Eigenaren?", top_k=5)
    assert any(h.passage.role == "envelope" and "Kremer" in h.passage.text for h in res.hits)
    for q in ("Wat vraagt de NVZ van het nieuwe kabinet?", "Wat willen de Groningse monumenteigenaren?"):
        assert all(h.passage.role == "body" for h in answerer.search.search(q, top_k=10).hits)


@pytest.mark.real_model
def test_low_confidence_gives_candidates_not_an_answer(answerer: Answerer) -> None:
    a = Answerer(answerer.search, answer_threshold=1.01).ask("Wat vraagt de NVZ van het nieuwe kabinet?")
    assert a.answer is None and a.reason and "low confidence" in a.reason
    assert 1 <= len(a.candidates) <= 3 and a.confidence is not None
    assert len({c.passage_id for c in a.candidates}) == len(a.candidates)
    assert all(c.citation and c.document.text[c.char_start : c.char_end] == c.text for c in a.candidates)


@pytest.mark.real_model
def test_http_fact_answer(real_index: Path, tmp_path: Path) -> None:
    env = {"QA_INDEX_DIR": str(real_index), "QA_CACHE_DIR": str(tmp_path / "c")}
    with running_server(env, tmp_path / "log") as base:
        body = httpx.post(
            base + "/v1/ask", json={"question": "Who signed the letter from the NVZ to the informateur?"}, timeout=30
        ).json()
    assert body["answer"]["kind"] == "fact" and body["answer"]["similarity"] is None
    assert "Melkert" in body["answer"]["text"] and body["confidence"] == body["answer"]["confidence"]
    assert isinstance(body["candidates"], list)
