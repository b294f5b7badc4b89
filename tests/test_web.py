"""The staff web page in a real browser: Debian's chromium, headless, driven by Playwright,
against the real service (real E5 index) on loopback. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PACKAGE_ROOT
from tests.server import running_server

pytestmark = pytest.mark.real_model

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = PACKAGE_ROOT / "tests" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PACKAGE_ROOT / "test-artifacts"
CONFIDENCE_WORDS_NL = {"grote zekerheid", "redelijke zekerheid", "beperkte zekerheid", "lage zekerheid"}
FACT_QUESTION = "Wie is de voorzitter van de Vereniging Groninger Monument Eigenaren?"
LOW_CONFIDENCE_QUESTION = "Uit hoeveel agenten bestaat een wijkteam?"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def base_url(real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server({"QA_INDEX_DIR": str(real_index)}, tmp_path_factory.mktemp("log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    pg = ctx.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    yield pg
    # No request leaves the service: no CDN, no fonts, no trackers.
    assert all(u.startswith(base_url) or u.startswith("data:") for u in requests), requests
    ctx.close()


def ask(page, question: str, mode: str = "ask") -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("Uw vraag, bewering of zoekwoorden").fill(question)
    page.locator(f"input[name=mode][value={mode}]").check()
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_selector("#results:not([hidden])")


def test_ask_shows_answer_with_source_and_shareable_url(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Sinds wanneer bestaat het korps Nationale Politie?")
    answer = page.locator("#answer-box")
    assert "1 januari 2013" in answer.locator("mark").inner_text()
    assert "Gemeente Steenbergen" in answer.inner_text() and "kenmerk 202500466" in answer.inner_text()
    # The answer sentence itself links to its passage in the document view, and says how sure it is.
    assert answer.locator("a[data-passage] mark").count() == 1
    assert answer.locator(".confidence").inner_text() in CONFIDENCE_WORDS_NL
    assert "q=Sinds" in page.url and "mode=ask" in page.url
    page.screenshot(path=str(ARTIFACTS / "ask-desktop.png"), full_page=True)
    # The URL alone reproduces the result page for a colleague.
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_selector("#answer-box")
    assert "1 januari 2013" in page.locator("#answer-box mark").inner_text()


def test_search_mode_and_kind_filter(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("Uw vraag, bewering of zoekwoorden").fill("stikstof natuur")
    page.locator("input[name=mode][value=search]").check()
    page.locator("#filters summary").click()
    page.locator("#form").get_by_label("Soort document").select_option("agreement_section")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_selector("#hits li")
    metas = page.locator("#hits .meta").all_inner_texts()
    assert metas and all("coalitieakkoord" in m for m in metas)
    assert "kind=agreement_section" in page.url


def test_repeated_text_is_shown_once_with_links_to_its_other_places(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Met deze brief wend ik mij tot U om mijn zorg uit te spreken over de Tweede Kamer", mode="search")
    page.wait_for_selector("#hits li")
    also = page.locator("#hits .also").first
    assert "Dezelfde tekst staat ook in" in also.inner_text()
    also.locator("a").first.click()
    page.wait_for_selector("#cited")
    assert "Kieswet" in page.locator("#doc-text").inner_text()


def test_document_view_highlights_and_scrolls_to_the_passage(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Wat vraagt de NVZ van het nieuwe kabinet?", mode="search")
    page.locator("#hits a.open").first.click()
    page.wait_for_selector("#cited")
    cited = page.locator("#cited")
    assert cited.is_visible() and cited.evaluate("el => el === document.activeElement")
    box = cited.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900
    assert page.locator("#passage-links a").count() >= 1
    assert "NVZ" in page.locator("#doc-meta").inner_text()
    page.screenshot(path=str(ARTIFACTS / "document-desktop.png"), full_page=False)
    page.get_by_role("link", name="← Terug naar de resultaten").first.click()
    page.wait_for_selector("#results:not([hidden])")


def test_document_view_links_a_letter_and_the_reply_to_it(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/v1/documents?sender=NVZ&kind=letter&limit=50") as r:
        letter = next(d for d in json.load(r)["documents"] if d["sender"] == "NVZ")
    page.goto(f"{base_url}/?doc={letter['id']}")
    page.wait_for_selector("#doc-related:not([hidden])")
    item = page.locator("#related-links li", has_text="Antwoord van de informateur")
    reply = item.locator("a")
    title = reply.inner_text()
    reply.click()
    page.wait_for_function("t => document.getElementById('doc-title').textContent === t", arg=title)
    back = page.locator("#related-links li", has_text="Antwoord op").locator("a")
    assert back.inner_text() == letter["title"]
    page.go_back()
    page.wait_for_function("t => document.getElementById('doc-title').textContent === t", arg=letter["title"])


def test_factcheck_and_honest_empty(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Het kabinet verhoogt de minimumleeftijd voor sekswerk naar 21 jaar.", mode="factcheck")
    assert "Gevonden bewijs" in page.locator("#answer").inner_text()
    assert "van 18 naar 21" in page.locator("#hits").inner_text()
    ask(page, "Wat is de hoofdstad van Peru?")
    assert "geen duidelijk antwoord" in page.locator("#answer").inner_text()


def test_keyboard_only(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.className") == "skip"
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert "q" in focused
    page.focus("#q")
    page.keyboard.type("Wat vraagt de NVZ van het nieuwe kabinet?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results:not([hidden])")
    assert page.locator("#status").inner_text()
    # After a search the focus moves to the outcome, so Tab goes on from there.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'results-heading'")


def test_english_labels_and_phone_width(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, base_url=base_url, is_mobile=True)
    pg = ctx.new_page()
    pg.goto("/?lang=en")
    assert pg.locator("label[for=q]").inner_text() == "Your question, claim or keywords"
    pg.fill("#q", "What will happen to Ukrainian refugees when EU temporary protection ends?")
    pg.get_by_role("button", name="Search").click()
    pg.wait_for_selector("#results:not([hidden])")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll at phone width: {width}px"
    pg.screenshot(path=str(ARTIFACTS / "ask-phone-en.png"), full_page=True)
    for name, q in (("fact", FACT_QUESTION), ("candidates", LOW_CONFIDENCE_QUESTION)):
        pg.goto("/?" + urlencode({"q": q, "mode": "ask"}))
        pg.wait_for_selector("#results:not([hidden])")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 375
        pg.screenshot(path=str(ARTIFACTS / f"ask-{name}-phone.png"))
    ctx.close()


def test_error_state_is_announced(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/?q=" + "x" * 2500 + "&mode=search")
    page.wait_for_selector("#status.error")
    assert page.locator("#status").get_attribute("role") == "alert"
    assert "te lang" in page.locator("#status").inner_text()


def axe_serious(page) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """axe-core's serious and critical violations (WCAG 2 A/AA, 2.1 AA) of what the page shows, folded parts opened."""
    page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    res = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})")
    return [v for v in res["violations"] if v["impact"] in ("serious", "critical")]


def test_accessibility_axe(page, base_url) -> None:  # type: ignore[no-untyped-def]
    """Every mode of the page, and its error states, in Dutch and English: no serious or critical violation."""
    if not AXE.exists():
        pytest.fail("axe-core missing: npm install --prefix tests/web")
    letter = _api(base_url, "/v1/documents?kind=letter&limit=1")["documents"][0]["id"]
    section = _api(base_url, "/v1/documents?kind=agreement_section&limit=1")["documents"][0]["id"]
    cited = _api(base_url, f"/v1/documents/{letter}")["passage_ids"][1]
    pages = (
        ("/", "#q"),
        ("/?" + urlencode({"q": LOW_CONFIDENCE_QUESTION, "mode": "ask"}), "#candidates-box"),
        ("/?" + urlencode({"q": FACT_QUESTION, "mode": "ask"}), "#answer-box"),
        ("/?" + urlencode({"q": "Sinds wanneer bestaat het korps Nationale Politie?", "mode": "ask"}), "#answer-box"),
        ("/?" + urlencode({"q": "Wat is de hoofdstad van Peru?", "mode": "ask"}), "#answer .answer.none"),
        ("/?" + urlencode({"q": "stikstof natuur", "mode": "search"}), "#hits li"),
        (
            "/?"
            + urlencode(
                {"q": "Het kabinet verhoogt de minimumleeftijd voor sekswerk naar 21 jaar.", "mode": "factcheck"}
            ),
            "#hits li",
        ),
        ("/?mode=asks&by=org", "#org option:nth-child(2)"),
        ("/?" + urlencode({"mode": "asks", "by": "org", "org": _first_org(base_url)}), ".ask-card"),
        ("/?mode=asks&by=chapter", "#chapter option:nth-child(2)"),
        ("/?mode=asks&by=overview", "#overview-table"),
        ("/?" + urlencode({"mode": "asks", "by": "search", "q": "meer geld voor de zorg"}), ".org-group"),
        ("/?" + urlencode({"mode": "asks", "by": "letter", "letter": letter}), "#asks-results:not([hidden])"),
        ("/?mode=docs", "#docs-list li"),
        ("/?mode=docs&doctype=letter&org=VNG&sort=new", "#docs-list li"),
        ("/?mode=docs&text=zzzqqqxyz", "#docs-list li.none"),
        ("/?" + urlencode({"doc": letter, "p": cited}), "#cited"),
        ("/?" + urlencode({"mode": "docs", "doc": section}), "#passage-links li"),
        # Error states: a refused query, a reversed date range, a document that does not exist, an unknown chapter.
        ("/?q=" + "x" * 2500 + "&mode=search", "#status.error"),
        ("/?mode=docs&since=2025-12-12&until=2025-12-01", "#status.error"),
        ("/?doc=bestaat-niet", "#status.error"),
        ("/?" + urlencode({"mode": "asks", "by": "chapter", "chapter": "Bestaat niet"}), "#status.error"),
        ("/?lang=en&mode=docs", "#docs-list li"),
        ("/?" + urlencode({"lang": "en", "doc": letter, "p": cited}), "#cited"),
        ("/?" + urlencode({"lang": "en", "q": LOW_CONFIDENCE_QUESTION, "mode": "ask"}), "#candidates-box"),
    )
    found = []
    for url, wait in pages:
        page.goto(url)
        page.wait_for_selector(wait, state="attached")
        page.wait_for_function("!/…$/.test(document.getElementById('status').textContent)")  # nothing loading
        found += [(url[:80], v) for v in axe_serious(page)]
    (ARTIFACTS / "axe.json").write_text(json.dumps([[u, v] for u, v in found], indent=1))
    assert not found, [(u, v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for u, v in found]


def test_fact_answer_gives_confidence_in_words_citation_and_its_origin(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, FACT_QUESTION)
    answer = page.locator("#answer-box")
    text = answer.inner_text()
    assert "Derk K. Kremer" in text
    assert "uit de gegevens van de brief" in text
    assert answer.locator(".confidence").inner_text() in {"grote zekerheid", "redelijke zekerheid"}
    assert "Brief van Vereniging Groninger Monument Eigenaren aan de informateur" in text
    assert "kenmerk 202500342" in text
    assert answer.locator("a.open").count() == 1
    page.screenshot(path=str(ARTIFACTS / "ask-fact-desktop.png"), full_page=True)


def test_low_confidence_shows_candidates_and_no_answer(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, LOW_CONFIDENCE_QUESTION)
    assert page.locator("#answer-box").count() == 0
    box = page.locator("#candidates-box")
    assert "Het antwoord staat waarschijnlijk in een van deze passages" in box.inner_text()
    candidates = box.locator("li.candidate")
    assert 1 <= candidates.count() <= 3
    texts = [c.locator(".candidate-text").inner_text() for c in candidates.all()]
    assert len(set(texts)) == len(texts), texts
    for c in candidates.all():
        assert c.locator(".candidate-label").inner_text().startswith("Mogelijke passage")
        assert "Bron:" in c.locator(".citation").inner_text()
        assert c.locator("a[data-passage]").count() == 1
    # A candidate is not presented as an answer: nothing in the box is highlighted as one.
    assert box.locator("mark").count() == 0
    page.screenshot(path=str(ARTIFACTS / "ask-candidates-desktop.png"), full_page=True)
    candidates.first.locator("a[data-passage]").click()
    page.wait_for_selector("#cited")
    assert page.locator("#cited").inner_text().strip()


def test_english_pages_never_show_null_or_undefined(page) -> None:  # type: ignore[no-untyped-def]
    for q, mode in (
        ("What is the capital of Peru?", "ask"),
        ("What does the NVZ ask of the new cabinet?", "ask"),
        ("What is the capital of Peru?", "search"),
    ):
        page.goto("/?" + urlencode({"q": q, "mode": mode, "lang": "en"}))
        page.wait_for_selector("#results:not([hidden])")
        body = page.evaluate("document.body.innerText")
        assert not re.search(r"\b(null|undefined|NaN)\b", body), (q, mode, body[:2000])
        if mode == "ask" and "Peru" in q:
            assert "The documents give no clear answer" in body


def test_outcome_sentence_is_shown_once(page) -> None:  # type: ignore[no-untyped-def]
    sentence = "De documenten geven geen duidelijk antwoord op deze vraag."
    ask(page, "Wat is de hoofdstad van Peru?")
    assert page.locator("#results").inner_text().count(sentence) == 1
    assert page.locator("#results-heading").inner_text() == "Antwoord"
    # The status line still announces it, to screen readers only.
    status = page.locator("#status")
    assert status.inner_text() == sentence and "visually-hidden" in (status.get_attribute("class") or "")


def test_supporting_lists_each_document_once(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, FACT_QUESTION)
    cards = page.locator("#hits > li.hit").all()
    assert cards
    doc_ids = []
    for card in cards:
        ids = set(card.locator(".doc-passage a.open").evaluate_all("els => els.map(e => e.dataset.doc)"))
        assert len(ids) == 1, ids
        doc_ids.append(ids.pop())
    assert len(doc_ids) == len(set(doc_ids)), doc_ids
    # The same letter's several passages sit in one card (this question hits four of them).
    assert max(card.locator(".doc-passage").count() for card in cards) > 1
    # Two copies of one text in different documents: shown once, the copy as an "also in" link.
    folded = page.evaluate(
        """() => {
        const doc = (id) => ({ id, kind: "letter", title: id });
        const hit = (pid, id, text) => ({ passage_id: pid, text, document: doc(id), duplicates: [] });
        return foldByDocument([hit("a-p1", "a", "Zelfde  tekst."), hit("b-p1", "b", "zelfde tekst."),
                               hit("a-p2", "a", "Andere tekst."), hit("c-p1", "c", "Derde tekst.")])
          .map((g) => g.map((h) => [h.passage_id, h.duplicates.map((d) => d.document.id)]));
    }"""
    )
    assert folded == [[["a-p1", ["b"]], ["a-p2", []]], [["c-p1", []]]]


# -- "Wie vraagt wat": asks traced into the coalition agreement --------------------------------

STATUS_WORDS_NL = {"Overgenomen", "Besproken, niet toegezegd", "Niet in het akkoord"}


def _api(base_url: str, path: str) -> dict:  # type: ignore[type-arg]
    import httpx

    r = httpx.get(base_url + path, timeout=30)
    r.raise_for_status()
    data: dict = r.json()  # type: ignore[type-arg]
    return data


def _first_org(base_url: str) -> str:
    """The organisation the picker lists first (it sorts names), from the overview the page also reads."""
    ov = _api(base_url, "/v1/asks/overview")
    names = [o["organisation"] for o in ov["organisations"] if o["organisation"] != "onbekende afzender"]
    return sorted(names, key=str.casefold)[0]


def test_asks_by_organisation_shows_status_words_and_bar_counts(page, base_url) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("radio", name="Wie vraagt wat").check()
    page.wait_for_selector("#org option:nth-child(3)", state="attached")
    assert "mode=asks" in page.url
    org = page.locator("#org option").nth(2).get_attribute("value")
    assert org
    page.get_by_label("Organisatie", exact=True).select_option(org)
    page.get_by_role("button", name="Toon verzoeken").click()
    page.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    # The API takes at most 200 characters of a sender (a part of the name matches), as the page sends it.
    api = _api(base_url, "/v1/asks?" + urlencode({"sender": org[:200], "limit": 1}))
    meters = page.locator("[role=meter]").all()
    bar = {m.get_attribute("data-status"): int(m.get_attribute("aria-valuenow") or -1) for m in meters}
    assert bar == api["counts"] and sum(bar.values()) == api["total"]
    legend = page.locator(".bar-legend").inner_text()
    assert all(f"{page.evaluate('(k) => I18N.nl.status[k]', k)}: {n}" in legend for k, n in api["counts"].items())
    assert org in page.locator("#asks-heading").inner_text()
    cards = page.locator(".ask-card")
    assert cards.count() == min(api["total"], 50)
    if api["total"] > 50:  # 50 a page; the rest on request, the bar already counting them all
        page.locator("#asks-more").click()
        page.wait_for_function("(n) => document.querySelectorAll('.ask-card').length === n", arg=min(api["total"], 100))
    first = cards.first
    assert first.locator(".status-badge").inner_text().lstrip("✓≈✗ ").strip() in STATUS_WORDS_NL
    assert first.locator(".confidence").inner_text() in CONFIDENCE_WORDS_NL
    assert first.locator(".ask-text").inner_text().strip()
    # A traced ask quotes the agreement's sentence, highlighted, with its chapter and a link to it.
    traced = page.locator(".ask-card:not(.absent)").first
    assert traced.locator(".agreement-side mark").first.inner_text().strip()
    assert "Coalitieakkoord" in traced.locator(".citation").first.inner_text()
    assert "org=" in page.url and "by=org" in page.url
    page.screenshot(path=str(ARTIFACTS / "asks-org-desktop.png"), full_page=False)
    # The letter link opens the letter with the ask itself highlighted; back returns to the asks.
    ask_text = " ".join(first.locator(".ask-text").inner_text().split())
    letter_href = first.locator(".ask-source a").get_attribute("href")
    first.locator(".ask-source a").click()
    page.wait_for_selector("#cited")
    assert " ".join(page.locator("#cited").inner_text().split()) == ask_text
    page.get_by_role("link", name="← Terug naar de resultaten").first.click()
    page.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    # The asks are shown as they were, the focus back on the letter link that was followed.
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=letter_href)


def test_asks_by_chapter_lists_organisations(page, base_url) -> None:  # type: ignore[no-untyped-def]
    ov = _api(base_url, "/v1/asks/overview")
    per_chapter = {c: sum(o["chapters"][c] for o in ov["organisations"]) for c in ov["chapters"]}
    chapter = max(per_chapter, key=lambda c: per_chapter[c])
    orgs = {o["organisation"] for o in ov["organisations"] if o["chapters"][chapter]}
    page.goto("/?" + urlencode({"mode": "asks", "by": "chapter", "chapter": chapter}))
    page.wait_for_selector("#asks-results:not([hidden]) .org-group")
    shown = set(page.locator(".org-group").evaluate_all("els => els.map(e => e.dataset.organisation)"))
    assert shown == orgs
    assert chapter in page.locator("#asks-heading").inner_text()
    assert page.locator("#chapter").input_value() == chapter
    # An unknown chapter in a shared URL: the API's own message, in the Dutch error line.
    page.goto("/?" + urlencode({"mode": "asks", "by": "chapter", "chapter": "Bestaat niet"}))
    page.wait_for_selector("#status.error")
    status = page.locator("#status")
    assert status.get_attribute("role") == "alert"
    assert "Er ging iets mis" in status.inner_text() and "Bestaat niet" in status.inner_text()
    assert page.locator("#asks-results").is_hidden()
    # A letter that asks nothing says so in words (shown in the page, no reload).
    letter = next(
        d["id"]
        for d in _api(base_url, "/v1/documents?limit=200")["documents"]
        if d["kind"] == "letter" and not _api(base_url, f"/v1/documents/{d['id']}/asks")["asks"]
    )
    page.evaluate(
        "(id) => { history.pushState(null, '', '/?mode=asks&by=letter&letter=' + encodeURIComponent(id)); route(); }",
        letter,
    )
    page.wait_for_selector("#asks-results:not([hidden])")
    assert "Deze brief bevat geen verzoeken die de dienst herkent" in page.locator("#asks-body").inner_text()
    assert page.locator(".ask-card").count() == 0


def test_asks_overview_table_is_accessible(page, base_url) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core missing: npm install --prefix tests/web")
    ov = _api(base_url, "/v1/asks/overview")
    page.goto("/?mode=asks&by=overview")
    table = page.locator("#overview-table")
    table.wait_for()
    assert "per organisatie" in table.locator("caption").inner_text().lower()
    assert table.locator("thead th[scope=col]").count() == len(ov["chapters"]) + 3
    assert table.locator("tbody th[scope=row]").count() == len(ov["organisations"])
    assert table.locator("tfoot td.total").inner_text() == str(sum(o["total"] for o in ov["organisations"]))
    # A count opens the asks behind it: that organisation's asks in that chapter, as many as it said.
    link = table.locator("tbody td a").first
    n = int(link.inner_text())
    assert link.get_attribute("aria-label")
    link.click()
    page.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    assert "chapter=" in page.url and "by=org" in page.url
    meters = page.locator("[role=meter]").evaluate_all("els => els.map(e => Number(e.getAttribute('aria-valuenow')))")
    assert sum(meters) == n
    violations = []
    for url, wait in (
        ("/?mode=asks&by=overview", "#overview-table"),
        ("/?" + urlencode({"mode": "asks", "by": "org", "org": _first_org(base_url)}), ".ask-card"),
    ):
        if not page.url.endswith(url):
            page.goto(url)
        page.wait_for_selector(wait)
        page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
        page.add_script_tag(path=str(AXE))
        res = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})")
        violations += res["violations"]
    (ARTIFACTS / "axe-asks.json").write_text(json.dumps(violations, indent=1))
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]


def test_asks_keyboard_only(page, base_url) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    active = "document.activeElement.id || document.activeElement.name"

    def tab_to(target: str) -> None:
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate(active) == target:
                return
        raise AssertionError(f"Tab never reached {target}")

    # The mode radios: the arrow keys go round to "Wie vraagt wat", which shows the asks mode at once;
    # Enter there keeps it (it does not run a search).
    tab_to("mode")
    page.keyboard.press("ArrowLeft")  # round to the last mode, "Documenten bekijken", shown at once
    page.wait_for_selector("#docs-view:not([hidden])")
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector("#asks-view:not([hidden])")
    assert page.locator("#docs-view").is_hidden()
    page.keyboard.press("Enter")
    assert "mode=asks" in page.url and page.locator("#results").is_hidden()
    page.wait_for_selector("#org option:nth-child(2)", state="attached")
    tab_to("org")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'asks-heading'")
    first = _first_org(base_url)
    assert first in page.locator("#asks-heading").inner_text()
    # Arrow keys alone also load the next organisation's asks, the old ones cleared first.
    page.focus("#org")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(n) => !document.getElementById('asks-heading').innerText.includes(n)", arg=first)
    page.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    second = page.locator("#org").input_value()
    assert second != first and second in page.locator("#asks-heading").inner_text()
    # The collapsed other matches open with the keyboard.
    summary = page.locator(".other-matches summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert summary.evaluate("s => s.parentElement.open")


def test_asks_search_and_letter_view_in_english_at_phone_width(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, base_url=base_url, is_mobile=True)
    pg = ctx.new_page()
    pg.goto("/?" + urlencode({"mode": "asks", "by": "search", "q": "more money for healthcare", "lang": "en"}))
    pg.wait_for_selector("#asks-results:not([hidden]) .org-group .ask-card")
    assert pg.locator("label[for=who-q]").inner_text() == "Who asks for …?"
    words = {"Adopted", "Discussed, not committed", "Not in the agreement"}
    badges = pg.locator(".status-badge").all_inner_texts()
    assert badges and all(b.lstrip("✓≈✗ ").strip() in words for b in badges)
    body = pg.evaluate("document.body.innerText")
    assert not re.search(r"\b(null|undefined|NaN)\b", body), body[:2000]
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    pg.screenshot(path=str(ARTIFACTS / "asks-search-phone-en.png"))
    # From a letter in the document view to that letter's own asks.
    pg.locator(".ask-source a").first.click()
    pg.wait_for_selector("#cited")
    pg.get_by_role("link", name="What does this letter ask?").click()
    pg.wait_for_selector("#asks-results:not([hidden]) .ask-card")
    assert pg.locator("#asks-heading").inner_text().startswith("Asks in:")
    assert "by=letter" in pg.url
    ctx.close()


# -- Honest at the edges: errors in the reader's language ----------------------------------------


def test_reversed_date_range_is_named_in_dutch_and_english(page) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/" in r.url else None)
    page.goto("/?" + urlencode({"q": "stikstof", "mode": "search", "from": "2025-12-12", "to": "2025-12-01"}))
    page.wait_for_selector("#status.error")
    text = page.locator("#status").inner_text()
    assert "De begindatum (12 december 2025) ligt na de einddatum (1 december 2025)" in text, text
    assert "schema" not in text and not sent, sent
    reversed_en = {"q": "nitrogen", "mode": "ask", "from": "2025-12-12", "to": "2025-12-01", "lang": "en"}
    page.goto("/?" + urlencode(reversed_en))
    page.wait_for_selector("#status.error")
    text = page.locator("#status").inner_text()
    assert "The start date (12 December 2025) is after the end date (1 December 2025)" in text, text


def test_errors_speak_the_readers_language_with_the_apis_reason(page) -> None:  # type: ignore[no-untyped-def]
    # A link with a query over the limit: the reason in Dutch (English on the English page).
    page.goto("/?q=" + "x" * 3000 + "&mode=search")
    page.wait_for_selector("#status.error")
    text = page.locator("#status").inner_text()
    assert "te lang" in text and "2.000 tekens" in text, text
    page.goto("/?q=" + "x" * 3000 + "&mode=ask&lang=en")
    page.wait_for_selector("#status.error")
    text = page.locator("#status").inner_text()
    assert "too long" in text and "2,000 characters" in text, text
    # A 422 names the field the API's details point at, not "does not match the schema".
    page.goto("/")
    reasons = page.evaluate(
        """() => [
        errorReason({ code: "validation_error", status: 422, message: "request does not match the schema",
                      details: [{ loc: ["body", "filters"], msg: "Value error, date_from is after date_to" }] },
                    { from: "2025-12-12", to: "2025-12-01" }),
        errorReason({ code: "validation_error", status: 422, message: "request does not match the schema",
                      details: [{ loc: ["body", "filters", "date_to"],
                                  msg: "Value error, date must be YYYY-MM-DD" }] }),
        errorReason({ code: "unavailable", status: 503, message: "index is not ready" }),
        errorReason(new TypeError("Failed to fetch")),
        errorText({ code: "invalid_query", status: 400, message: "text is longer than 2000 characters" }),
    ]"""
    )
    assert "De begindatum (12 december 2025) ligt na de einddatum (1 december 2025)" in reasons[0]
    assert "datum" in reasons[1] and "tijdelijk niet beschikbaar" in reasons[2] and "Geen verbinding" in reasons[3]
    assert reasons[4].startswith("Er ging iets mis: Uw tekst is te lang: de grens is 2.000 tekens")
    assert "text is longer than 2000 characters" in reasons[4]


def test_a_typed_query_over_the_limit_is_refused_aloud_never_cut(page) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/" in r.url else None)
    page.goto("/")
    long = "stikstof " * 250  # 2,250 characters
    page.fill("#q", long)
    assert len(page.input_value("#q")) == len(long)  # nothing cut by the input
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_selector("#status.error")
    text = page.locator("#status").inner_text()
    assert "te lang" in text and "2.249 tekens" in text and "2.000 tekens" in text, text
    assert not sent and page.evaluate("document.activeElement.id") == "q"
    assert len(page.input_value("#q")) == len(long)


def test_old_results_are_cleared_when_a_new_request_starts_or_fails(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "Wat vraagt de NVZ van het nieuwe kabinet?", mode="search")
    assert page.locator("#hits li").count() > 0
    page.fill("#q", "")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_selector("#status.error")
    assert page.locator("#results").is_hidden()
    assert page.locator("#hits li").count() == 0 and page.locator("#answer > *").count() == 0
    # A failing request (reversed dates) after results: nothing of the old outcome stays either.
    ask(page, "Wat vraagt de NVZ van het nieuwe kabinet?", mode="search")
    page.locator("#filters summary").click()
    page.fill("#from", "2025-12-12")
    page.fill("#to", "2025-12-01")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_selector("#status.error")
    assert page.locator("#hits li").count() == 0 and page.locator("#results").is_hidden()


def test_no_sentence_twice_in_a_card(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    sentences = page.evaluate(
        """() => {
        const doc = { id: "a", kind: "letter", title: "Brief", source_file: "a.md", line_start: 1, line_end: 2 };
        const s1 = "De NVZ geeft namens de ziekenhuizen een reactie.", s2 = "Wij vragen meer geld.";
        const hit = (pid, text, sentence) => ({ passage_id: pid, text, document: doc, duplicates: [], char_start: 0,
          scores: { dense: 0.9 }, highlight: { sentence, char_start: text.indexOf(sentence),
                                               char_end: text.indexOf(sentence) + sentence.length } });
        const card = groupItem([hit("a-p1", s1 + " " + s2, s2), hit("a-p2", s1 + " Verder.", s1),
                                hit("a-p3", "Iets  anders. " + s1, s1),
                                hit("a-p4", "Nieuw punt hier.", "Nieuw punt hier.")]);
        return [...card.querySelectorAll(".passage")].map((p) => p.textContent);
    }"""
    )
    joined = " ".join(sentences)
    assert joined.count("De NVZ geeft namens de ziekenhuizen") == 1, sentences
    assert "Nieuw punt hier." in joined
    # On the real index: no card repeats a sentence.
    for q, mode in ((LOW_CONFIDENCE_QUESTION, "ask"), (LOW_CONFIDENCE_QUESTION, "search"), (FACT_QUESTION, "ask")):
        page.goto("/?" + urlencode({"q": q, "mode": mode}))
        page.wait_for_selector("#results:not([hidden])")
        for card in page.locator("#hits li.hit").all():
            text = " ".join(card.locator(".passage").all_inner_texts())
            parts = [p.strip(" …") for p in re.split(r"(?<=[.!?])\s+", text) if len(p.strip(" …")) > 30]
            assert len(parts) == len(set(parts)), parts


def test_one_confidence_vocabulary_for_one_sentence(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, LOW_CONFIDENCE_QUESTION)
    candidates = page.locator("#candidates-box .candidate-text").all_inner_texts()
    assert candidates
    paired = 0
    for block in page.locator("#hits .doc-passage").all():
        passage = " ".join(block.locator(".passage").inner_text().split())
        if any(" ".join(c.split()) in passage for c in candidates):
            paired += 1
            # The card judges the candidate's sentence in the same words, never "verband met uw vraag".
            assert block.locator(".confidence").count() == 1 and block.locator(".strength").count() == 0
    # The same rule on a made-up pair, so the test holds whatever the index returns.
    words = page.evaluate(
        """() => {
        const doc = { id: "a", kind: "letter", title: "Brief", source_file: "a.md", line_start: 1, line_end: 2 };
        const h = { passage_id: "a-p1", text: "Eerste zin. De NVZ vraagt geld.", document: doc, duplicates: [],
                    char_start: 0, scores: { dense: 0.95 }, highlight: null };
        const judged = sentenceJudge([{ text: "De NVZ vraagt geld.", confidence: 0.1 }]);
        return groupItem([h], judged).querySelector(".doc-passage").innerText;
    }"""
    )
    assert "lage zekerheid" in words and "verband" not in words, (paired, words)


def test_factcheck_speaks_of_the_claim(page) -> None:  # type: ignore[no-untyped-def]
    claim = "Het kabinet verhoogt de minimumleeftijd voor sekswerk naar 21 jaar."
    ask(page, claim, mode="factcheck")
    text = page.locator("#results").inner_text()
    assert "uw bewering" in text and "uw vraag" not in text, text[:1500]
    claim_en = "The cabinet raises the minimum age for sex work to 21."
    page.goto("/?" + urlencode({"q": claim_en, "mode": "factcheck", "lang": "en"}))
    page.wait_for_selector("#results:not([hidden])")
    text = page.locator("#results").inner_text()
    assert "your question" not in text, text[:1500]
    if page.locator("#hits li.hit").count():
        assert "your claim" in text


# -- Honest at the edges: passage links by name, "Terug" near and back to where the reader was ---


def _focused(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("document.activeElement.id || document.activeElement.getAttribute('href') || ''"))


def test_passage_links_are_named_by_their_content(page, base_url) -> None:  # type: ignore[no-untyped-def]
    for kind in ("letter", "agreement_section"):
        docs = _api(base_url, f"/v1/documents?kind={kind}&limit=500")["documents"]
        doc = max((_api(base_url, f"/v1/documents/{d['id']}") for d in docs[:12]), key=lambda d: len(d["passage_ids"]))
        current = doc["passage_ids"][-1]
        page.goto("/?" + urlencode({"doc": doc["id"], "p": current}))
        page.wait_for_selector("#cited")
        links = page.locator("#passage-links a")
        names = links.evaluate_all("els => els.map(e => e.textContent.trim())")
        assert len(names) == len(doc["passage_ids"]) > 1, (kind, names)
        # Each name is the passage's own words (its heading may come first), and no two are alike.
        assert len(set(names)) == len(names), names
        text = " ".join(doc["text"].split())
        for name in names:
            assert not re.fullmatch(r"Passage \d+", name), name
            words = name.split(": ")[-1].removesuffix(" (geciteerd)").rstrip(" …")
            assert words and words in text, (name, words)
        # The accessible name is that same text (no aria-label overriding it), the cited one marked current.
        assert links.first.evaluate("e => !e.hasAttribute('aria-label')")
        marked = page.locator("#passage-links a[aria-current=true]")
        assert marked.count() == 1 and marked.get_attribute("href").endswith("p=" + current.replace(":", "%3A"))
        assert page.locator("#passages-heading").inner_text() == f"{len(names)} passages in dit document"


def test_terug_is_near_the_cited_passage_and_focus_returns_to_the_opening_link(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, LOW_CONFIDENCE_QUESTION, mode="search")
    opens = page.locator("#hits a.open")
    assert opens.count() >= 3
    opener = opens.nth(2)
    href = opener.get_attribute("href")
    opener.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#cited")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'cited'")
    # A few Shift+Tabs from the cited passage reach "Terug" (the passage list is folded), not dozens.
    presses = 0
    while _focused(page) != "back":
        page.keyboard.press("Shift+Tab")
        presses += 1
        assert presses <= 4, f"'Terug' not reached in 4 Shift+Tabs (at {_focused(page)})"
    assert page.locator("#back").inner_text() == "← Terug naar de resultaten"
    page.keyboard.press("Enter")
    page.wait_for_selector("#results:not([hidden])")
    # The focus is back on the very link that opened the document, not on the page body.
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)
    assert opener.evaluate("e => e === document.activeElement")
    # The browser's back button and Escape do the same.
    opener.press("Enter")
    page.wait_for_selector("#doc-view:not([hidden]) #cited")
    page.go_back()
    page.wait_for_selector("#results:not([hidden])")
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)
    opener.press("Enter")
    page.wait_for_selector("#doc-view:not([hidden]) #cited")
    page.keyboard.press("Escape")
    page.wait_for_selector("#results:not([hidden])")
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)
    # Opened from a shared link (nothing was shown before): Terug shows the results with the focus on that link.
    page.goto(base_url_of(page) + href)
    page.wait_for_selector("#cited")
    page.locator("#back").click()
    page.wait_for_selector("#results:not([hidden])")
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)


def base_url_of(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("location.origin"))


# -- "Documenten bekijken": who wrote, when, about what -------------------------------------------


def test_documents_view_lists_filters_and_opens_a_document(page, base_url) -> None:  # type: ignore[no-untyped-def]
    everything = _api(base_url, "/v1/documents?limit=500")
    page.goto("/")
    page.get_by_role("radio", name="Documenten bekijken").check()
    page.wait_for_selector("#docs-list li")
    assert "mode=docs" in page.url
    assert page.locator("#docs-heading").inner_text() == f"Alle {everything['total']} documenten"
    items = page.locator("#docs-list > li.doc-item")
    assert items.count() == min(100, everything["total"])
    if everything["total"] > 100:
        page.locator("#docs-more").click()
        count = "(n) => document.querySelectorAll('#docs-list > li').length === n"
        page.wait_for_function(count, arg=everything["total"])
    first = everything["documents"][0]
    card = page.locator(f"#docs-list li[data-doc='{first['id']}']")
    meta = card.locator(".meta").inner_text()
    assert card.locator("h4 a").inner_text() == first["title"]
    assert first["sender"] in meta and first["subject"] in meta and (first["registration_number"] or "") in meta
    day = page.evaluate("(iso) => dateWords(iso)", first["date"])
    assert re.fullmatch(r"\d{1,2} [a-z]+ \d{4}", day) and day in meta

    # By organisation (a short name whole, as the API matches it) and kind: what the API lists.
    form = page.locator("#docs-form")
    form.get_by_label("Organisatie of afkorting").fill("VNG")
    form.get_by_label("Soort document").select_option("letter")
    form.get_by_role("button", name="Toon documenten").click()
    api_docs = _api(base_url, "/v1/documents?" + urlencode({"sender": "VNG", "kind": "letter", "limit": 500}))
    page.wait_for_function(
        "(n) => document.getElementById('docs-heading').innerText.startsWith(n + ' van de')", arg=api_docs["total"]
    )
    page.wait_for_function("document.activeElement.id === 'docs-heading'")
    shown = page.locator("#docs-list > li.doc-item").evaluate_all("els => els.map(e => e.dataset.doc)")
    assert shown == [d["id"] for d in api_docs["documents"]] and shown
    assert "org=VNG" in page.url and "doctype=letter" in page.url

    # By words of the title or subject (case and accents aside), and by date: on the page alone.
    page.goto("/?mode=docs&text=ZORG")
    page.wait_for_selector("#docs-list li")
    titles = page.locator("#docs-list > li.doc-item").evaluate_all("els => els.map(e => e.innerText.toLowerCase())")
    docs = everything["documents"]
    expected = [d for d in docs if "zorg" in " ".join([d["title"], d["subject"] or "", *d["heading_path"]]).lower()]
    assert len(titles) == len(expected) and all("zorg" in t for t in titles)
    page.goto("/?mode=docs&since=2025-12-01&until=2025-12-05&sort=old")
    page.wait_for_selector("#docs-list li")
    dates = [d["date"] for d in everything["documents"] if d["date"] and "2025-12-01" <= d["date"] <= "2025-12-05"]
    shown = page.locator("#docs-list > li.doc-item").evaluate_all("els => els.map(e => e.dataset.doc)")
    by_id = {d["id"]: d for d in everything["documents"]}
    assert len(shown) == len(dates) and [by_id[i]["date"] for i in shown] == sorted(dates)
    # Nothing found says so; a reversed range is refused in words, nothing listed.
    page.goto("/?mode=docs&text=zzzqqqxyz")
    page.wait_for_selector("#docs-list li.none")
    assert "Geen documenten die aan deze filters voldoen" in page.locator("#docs-list").inner_text()
    page.goto("/?mode=docs&since=2025-12-12&until=2025-12-01")
    page.wait_for_selector("#status.error")
    refused = page.locator("#status").inner_text()
    assert "De begindatum (12 december 2025) ligt na de einddatum (1 december 2025)" in refused, refused
    assert page.locator("#docs-results").is_hidden()

    # A document opens in the document view; Terug returns to the same filtered list, focus on its link.
    page.goto("/?mode=docs&doctype=letter&org=VNG")
    page.wait_for_selector("#docs-list li")
    link = page.locator("#docs-list a").nth(min(1, api_docs["total"] - 1))
    title, href = link.inner_text(), link.get_attribute("href")
    link.click()
    page.wait_for_selector("#doc-view:not([hidden])")
    page.wait_for_function("(t) => document.getElementById('doc-title').innerText === t", arg=title)
    assert page.evaluate("document.activeElement.id") == "doc-title"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "back"
    assert page.locator("#back").inner_text() == "← Terug naar de documenten"
    page.keyboard.press("Enter")
    page.wait_for_selector("#docs-view:not([hidden])")
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)
    assert page.locator("#d-org").input_value() == "VNG" and page.locator("#d-kind").input_value() == "letter"
    page.screenshot(path=str(ARTIFACTS / "documents-desktop.png"))


def test_documents_view_in_english_at_phone_width(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, base_url=base_url, is_mobile=True)
    pg = ctx.new_page()
    pg.goto("/?mode=docs&lang=en")
    pg.wait_for_selector("#docs-list li")
    assert pg.locator("label[for=d-org]").inner_text() == "Organisation or short name"
    assert pg.locator("#docs-heading").inner_text().startswith("All ")
    assert "Type" in pg.locator("#docs-list li").first.inner_text()
    body = pg.evaluate("document.body.innerText")
    assert not re.search(r"\b(null|undefined|NaN)\b", body), body[:2000]
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    pg.screenshot(path=str(ARTIFACTS / "documents-phone-en.png"))
    pg.locator("#docs-list a").first.click()
    pg.wait_for_selector("#doc-view:not([hidden]) #passage-links li", state="attached")
    assert pg.locator("#back").inner_text() == "← Back to the documents"
    assert pg.locator("#passages-heading").inner_text().endswith("in this document")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 375
    ctx.close()


def test_documents_view_keyboard_only(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "mode":
            break
    page.keyboard.press("ArrowLeft")  # the last mode: "Documenten bekijken", shown at once
    page.wait_for_selector("#docs-list li")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "d-text"
    page.keyboard.type("zorg")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'docs-heading'")
    assert "text=zorg" in page.url and " van de " in page.locator("#docs-heading").inner_text()
    page.keyboard.press("Tab")
    href = page.evaluate("document.activeElement.getAttribute('href')")
    assert href and "doc=" in href
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'doc-title'")
    page.keyboard.press("Escape")
    page.wait_for_selector("#docs-view:not([hidden])")
    page.wait_for_function("(h) => document.activeElement.getAttribute('href') === h", arg=href)
