// Moving between the page's views: the document view (one document, its cited passage, the
// documents it belongs with), and "Terug" to what was shown before, as it was, with the focus back
// on the link that was followed. The URL holds the state; route() shows it. Uses app.js's helpers.
"use strict";

// What the page shows now besides the document view, so "Terug" can show it again as it was (its
// scroll, open details and "more" pages kept) and put the focus back on the link that was followed.
let rendered = null;   // { key, view, status } of the search results, asks or document list on the page
let opener = null;     // the link that opened the document view: { node, href, index }
let lastDocHref = null; // the address of the document view last shown

function viewKey(s) {
  const keys = Object.keys(s).filter((k) => s[k] && !["doc", "p", "at"].includes(k)).sort();
  return `${lang}|${keys.map((k) => `${k}=${s[k]}`).join("&")}`;
}

// `view` has finished showing state `s`: remember it (and announce it again on return).
function keepView(s, view) {
  rendered = { key: viewKey(s), view, status: $("status").textContent };
}

// Which part of the page shows: "search" (the search modes), "asks", "docs" or "doc" (one document).
function setView(name) {
  // An answer that arrives after the reader left its mode must not overwrite what is shown.
  if (name !== "asks") cancelAsks();
  if (name !== "docs") cancelDocs();
  $("doc-view").hidden = name !== "doc"; $("search-view").hidden = name === "doc";
  $("asks-view").hidden = name !== "asks"; $("docs-view").hidden = name !== "docs";
  const browsing = name === "asks" || name === "docs";
  $("ask-row").hidden = browsing; $("filters").hidden = browsing;
  if (browsing) $("results").hidden = true;
}

const VIEW_HEADINGS = { search: "results-heading", asks: "asks-heading", docs: "docs-heading" };

// Back from a document: the link that opened it gets the focus again (found by its address and place
// when the list was drawn anew, e.g. after a reload); else the heading of what is shown.
function returnFocus() {
  // Opened from a shared link, nothing was followed: the list's link to the document last shown stands in.
  if (!opener && lastDocHref) opener = { node: null, href: lastDocHref, index: 0 };
  let target = opener && opener.node && opener.node.isConnected ? opener.node : null;
  if (!target && opener) {
    const same = [...document.querySelectorAll("main a")].filter((a) => a.getAttribute("href") === opener.href);
    target = same[opener.index] || same[0] || null;
  }
  if (!target || !target.getClientRects().length) {
    const view = ["search", "asks", "docs"].find((v) => !$(v === "search" ? "results" : `${v}-view`).hidden);
    target = view ? $(VIEW_HEADINGS[view]) : null;
    if (target && !target.getClientRects().length) target = null;
  }
  if (!target) return;
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

const words = (text, n) => {
  const all = text.replace(/\s+/g, " ").trim().split(" ");
  return all.length > n ? `${all.slice(0, n).join(" ")} …` : all.join(" ");
};

// Each passage link is named by what the passage holds: its own heading (when the document's title does
// not already say it) and its first words, so a screen-reader user can choose from the list of links.
function passageNames(doc) {
  const own = (h) => (doc.heading_path || []).includes(h) || (doc.title || "").includes(h);
  const seen = new Map();
  return (doc.passages || []).map((p, i) => {
    const heading = (p.heading_path || []).filter((h) => !own(h)).slice(-1)[0];
    const start = words(doc.text.slice(p.char_start, p.char_end), heading ? 8 : 12);
    let name = heading && !start.startsWith(heading) ? `${heading}: ${start}` : start || `${t("passage")} ${i + 1}`;
    const n = (seen.get(name) || 0) + 1;
    seen.set(name, n);
    if (n > 1) name += ` (${n})`;
    return { id: p.id, name };
  });
}

function backLabel(s) {
  return t(s.mode === "docs" ? "backDocs" : s.mode === "asks" || s.q ? "back" : "backStart");
}

async function showDocument(docId, passageId, at) {
  const state = stateFromUrl();
  lastDocHref = location.pathname + location.search;
  setView("doc");
  for (const b of [$("back"), $("back-end")]) b.textContent = backLabel(state);
  setStatus(t("loadingDoc"));
  try {
    const doc = await api(`/v1/documents/${encodeURIComponent(docId)}`);
    // `at` ("start-end") marks a span of the text itself, such as an ask in its letter.
    const span = /^(\d+)-(\d+)$/.exec(at || "");
    const found = (doc.passages || []).find((x) => x.id === passageId);
    const p = span ? { char_start: Number(span[1]), char_end: Number(span[2]) }
      : found || (passageId ? await api(`/v1/passages/${encodeURIComponent(passageId)}`) : null);
    $("doc-title").textContent = doc.title;
    $("doc-meta").replaceWith(Object.assign(metaList(doc), { id: "doc-meta" }));
    fill($("doc-asks"), doc.kind === "letter" || doc.kind === "attachment"
      ? el("a", { href: urlFor({ mode: "asks", by: "letter", letter: docId }) }, t("letterAsks")) : null);
    // Its letter, attachments and the informateur's reply: where a reader of this document goes on to.
    const related = doc.related || [];
    $("doc-related").hidden = related.length === 0;
    $("related-links").replaceChildren(...related.map((r) => el("li", {},
      `${t("relation")[r.relation]}: `, el("a", { href: urlFor({ ...state, doc: r.id, p: null, at: null }) }, r.title))));
    const names = passageNames(doc);
    $("passages-heading").textContent = t("passagesCount")(names.length);
    $("passage-links").replaceChildren(...names.map(({ id, name }) => {
      const current = id === passageId;
      return el("li", {}, el("a", { href: urlFor({ ...state, doc: docId, p: id, at: null }), class: "passage-link",
                                     "aria-current": current ? "true" : null },
        name, current ? el("span", { class: "current-mark" }, ` (${t("currentPassage")})`) : null));
    }));
    // Paragraphs with their offsets, the cited passage wrapped in one highlighted, focusable span.
    const article = $("doc-text");
    article.replaceChildren();
    let pos = 0;
    let cited = null;
    for (const para of doc.text.split("\n\n")) {
      const a = pos, b = pos + para.length;
      pos = b + 2;
      const node = el("p");
      if (p && p.char_end > a && p.char_start < b) {
        const s = Math.max(p.char_start, a) - a, e = Math.min(p.char_end, b) - a;
        const span = el("mark", { class: "cited" }, para.slice(s, e));
        if (!cited) { span.id = "cited"; span.tabIndex = -1; span.setAttribute("aria-label", t("cited")); cited = span; }
        node.append(para.slice(0, s), span, para.slice(e));
      } else node.textContent = para;
      article.append(node);
    }
    setStatus(doc.title);
    if (cited) { cited.scrollIntoView({ block: "center" }); cited.focus({ preventScroll: true }); }
    else $("doc-title").focus();
  } catch (err) {
    setStatus(errorText(err), true);
    $("back").focus();
  }
}

// Show the URL's state. Leaving the document view for what was shown before it shows that again as it
// was; anything else is drawn anew. Resolves once it is shown.
async function route() {
  const s = stateFromUrl();
  const fromDoc = !$("doc-view").hidden;
  writeForm(s);
  if (s.doc) return showDocument(s.doc, s.p, s.at);
  if (rendered && rendered.key === viewKey(s)) {
    setView(rendered.view);
    if (rendered.view === "search") $("results").hidden = false;
    setStatus(rendered.status);
    $("status").classList.add("visually-hidden");
  } else if (s.mode === "asks") await showAsks(s);
  else if (s.mode === "docs") await showDocs(s);
  else if (s.q) await run(s);
  else { setView("search"); $("results").hidden = true; setStatus(""); }
  if (fromDoc) returnFocus();
}

function goBack(ev) {
  ev.preventDefault();
  const s = stateFromUrl(); delete s.doc; delete s.p; delete s.at;
  history.pushState(null, "", urlFor(s));
  route();
}
