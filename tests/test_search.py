"""Search plumbing with the fake encoder: modes, filters, empty answers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from qa_service.config import Settings
from qa_service.errors import InvalidQuery
from qa_service.retrieval import legs
from qa_service.search import Filters, SearchService
from qa_service.service import open_service


@pytest.fixture(scope="module")
def svc(hashing_index) -> SearchService:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    return open_service(make_settings(hashing_index))


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_modes_return_ranked_hits(svc: SearchService, mode: str) -> None:
    q = "We verhogen daarom in drie jaar tijd de minimumleeftijd voor sekswerk van 18 naar 21"
    res = svc.search(q, top_k=5, mode=mode, min_score=-1)  # type: ignore[arg-type]
    assert [h.rank for h in res.hits] == [1, 2, 3, 4, 5]
    assert any("sekswerk" in h.passage.text for h in res.hits)


def test_filters_apply_before_ranking(svc: SearchService) -> None:
    res = svc.search("zorg", top_k=10, min_score=-1, filters=Filters(kind=["agreement_section"]))
    assert len(res.hits) == 10 and all(h.document.kind == "agreement_section" for h in res.hits)
    res = svc.search("zorg", top_k=7, min_score=-1, filters=Filters(sender="nvz"))
    assert len(res.hits) == 7 and all("NVZ" in [h.document.sender, *h.document.aliases] for h in res.hits)
    res = svc.search(
        "zorg", top_k=5, min_score=-1, filters=Filters(date_from=dt.date(2025, 12, 10), date_to=dt.date(2025, 12, 10))
    )
    assert res.hits and all(h.document.date == "2025-12-10" for h in res.hits)


def test_sender_filter_knows_organisations_and_short_names(svc: SearchService) -> None:
    # "VNG" is no part of "Vereniging van Nederlandse Gemeenten": the short name is.
    res = svc.search("gemeenten", top_k=10, min_score=-1, filters=Filters(sender="VNG"))
    assert res.hits and "Vereniging van Nederlandse Gemeenten" in {h.document.sender for h in res.hits}
    for h in res.hits:  # the VNG's letters, or a letter naming a VNG committee among its organisations
        assert "VNG" in h.document.aliases or any("VNG" in o for o in h.document.organisations)
    # A co-signing organisation finds the joint letter it signed, not only its own letters.
    res = svc.search("gemeenten", top_k=10, min_score=-1, filters=Filters(sender="divosa"))
    assert res.hits and all("Divosa" in h.document.organisations for h in res.hits)
    # A short name matches whole, a name in part.
    vng = svc.store.documents("letter", "VNG", None, 0, 50)[1]
    member_letter = next(d for d in vng if d.parent_id is None and d.source_file.startswith("003"))
    assert member_letter.sender == "Vereniging van Nederlandse Gemeenten"
    assert Filters(sender="vng").admits(member_letter) and Filters(sender="Nederlandse Gem").admits(member_letter)
    assert not Filters(sender="VN").admits(member_letter)


def test_replies_only_when_asked(svc: SearchService) -> None:
    res = svc.search("Dank voor de brief die ik van u mocht ontvangen", top_k=10, min_score=-1)
    assert all(h.document.kind != "reply" for h in res.hits)
    res = svc.search("Dank voor de brief", top_k=3, min_score=-1, filters=Filters(kind=["reply"]))
    assert res.hits and all(h.document.kind == "reply" for h in res.hits)


def test_empty_filter_result_and_threshold(svc: SearchService) -> None:
    # A sender no document has: the reason names the filter, not the question.
    assert svc.search("zorg", filters=Filters(sender="no such sender")).reason == (
        "no document matches sender 'no such sender'"
    )
    # The sender exists, but not with the other filters.
    res = svc.search("zorg", filters=Filters(sender="nvz", date_from=dt.date(2030, 1, 1)))
    assert res.reason == "no passages match the filters"
    res = svc.search("zorg", min_score=1.0)
    assert res.hits == [] and "threshold" in (res.reason or "")


def test_blank_query(svc: SearchService) -> None:
    with pytest.raises(InvalidQuery):
        svc.search("   ")


def test_a_keyword_search_that_matches_no_term_says_so(svc: SearchService) -> None:
    res = svc.search("xyzzyplugh", mode="keyword")
    assert res.hits == [] and res.reason and "terms" in res.reason and "cosine" not in res.reason
    res = svc.search("de het een", mode="keyword")
    assert res.hits == [] and res.reason and "stopwords" in res.reason


def test_highlight_points_into_the_document(svc: SearchService) -> None:
    h = svc.search("minimumleeftijd sekswerk", top_k=1, min_score=-1).hits[0]
    assert h.highlight is not None
    assert h.document.text[h.highlight.char_start : h.highlight.char_end] == h.highlight.sentence
    assert "<mark>" in h.highlight.marked


def test_a_letter_head_is_never_the_highlight_of_a_content_passage() -> None:
    from qa_service.chunking import Passage
    from qa_service.retrieval.highlight import highlight
    from qa_service.store.keyword import analyze

    text = (
        "Contactgegevens: Postbus 123, 2500 AB Den Haag, info@scholen.example\n\n"
        "Investeren in onderwijs loont\n\nDe scholen vragen om onderwijs dat niet verder wordt bezuinigd."
    )
    terms = set(analyze("Den Haag scholen onderwijs contact"))
    body = highlight(Passage("p", "d", 0, text, 100, 100 + len(text)), terms)
    assert body is not None and body.sentence.startswith("De scholen vragen")  # not the head, not run together
    assert body.char_start == 100 + text.index("De scholen")
    head = highlight(Passage("p", "d", 0, text, 0, len(text), role="envelope"), set(analyze("Postbus Den Haag")))
    assert head is not None and head.sentence.startswith("Contactgegevens")  # a who/where lookup's own head


def test_settings_defaults() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.encoder == "e5" and s.default_top_k == 5


def test_language_bias_lowers_texts_in_the_query_language_for_ranking_only(hashing_index) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    plain = open_service(make_settings(hashing_index, language_bias=0.0))
    biased = open_service(make_settings(hashing_index, language_bias=0.05))
    all_rows = plain.allowed_rows(Filters(kind=["letter", "attachment", "agreement_section", "reply"]))
    english = biased.store.passage_english(all_rows)
    assert english.any(), "the bundled corpus has a few English passages"
    q = "What does the committee recommend on water knowledge?"
    qvec = plain.encode_query(q)
    d0, _ = legs.dense_leg(plain.store, qvec, Filters(), 2000, True, plain.language_bias, plain.sentence_weight)
    d1, _ = legs.dense_leg(biased.store, qvec, Filters(), 2000, True, biased.language_bias, biased.sentence_weight)
    flags = dict(zip(all_rows.tolist(), english.tolist(), strict=True))
    for r in d0:
        expected = d0[r] - (0.05 if flags[r] else 0.0)
        assert d1[r] == pytest.approx(expected, abs=1e-6)
    # Scores people see, and the relevance threshold, stay raw cosines.
    h0 = plain.search(q, top_k=3, min_score=-1).hits
    h1 = biased.search(q, top_k=50, min_score=-1).hits
    raw = {h.row: h.dense for h in h0}
    assert all(h.dense == pytest.approx(raw[h.row]) for h in h1 if h.row in raw)


def test_folding_keeps_passages_with_another_figure(svc: SearchService) -> None:
    from qa_service.retrieval import ranking

    text = "Wij vragen het kabinet om het natuurgebied uit te breiden tot {} vierkante kilometer, met heide en venen."
    hit = svc.search("natuurgebied", top_k=1, min_score=-1).hits[0]
    kept = dataclasses.replace(hit, passage=dataclasses.replace(hit.passage, text=text.format(400)))
    other_doc = dataclasses.replace(hit.document, id="another-document")
    same = dataclasses.replace(hit.passage, text=text.format(400))
    differs = dataclasses.replace(hit.passage, text=text.format(500))
    assert ranking.duplicate_of(same, other_doc, [kept], 0.6) is kept
    assert ranking.duplicate_of(differs, other_doc, [kept], 0.6) is None
    # a figure the kept hit also shows hides nothing
    both = dataclasses.replace(kept, passage=dataclasses.replace(hit.passage, text=text.format(400) + " Niet 500."))
    assert ranking.duplicate_of(same, other_doc, [both], 0.6) is both
    assert ranking.numbers("1.000 en 2,5 en 1.000 op 12-3") == {"1.000": 2, "2,5": 1, "12": 1, "3": 1}


def test_empty_reason_speaks_of_the_mode() -> None:
    from qa_service.retrieval.ranking import empty_reason

    assert "terms" in empty_reason("keyword", 0, -1.0, 0.8) and "cosine" not in empty_reason("keyword", 0, -1.0, 0.8)
    assert "dense cosine 0.500 < threshold 0.80" in empty_reason("keyword", 3, 0.5, 0.8)
    assert "dense cosine 0.000 < threshold 0.80" in empty_reason("hybrid", 0, -1.0, 0.8)
