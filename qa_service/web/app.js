// The staff page: ask, search or fact-check; results with their sources; a document view.
// Plain DOM and fetch, no framework and no network beyond this service.
"use strict";

let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "nl";
const t = (k) => I18N[lang][k];
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : String(c));
  return node;
}

function applyLang() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  $("lang").textContent = t("langButton");
  $("lang").setAttribute("aria-label", t("langLabel"));
  document.title = t("title");
}

function setStatus(text, isError = false) {
  const s = $("status");
  s.classList.remove("visually-hidden");
  s.textContent = text;
  s.classList.toggle("error", isError);
  s.setAttribute("role", isError ? "alert" : "status");
}

function readForm() {
  return {
    q: $("q").value.trim(), mode: document.querySelector("input[name=mode]:checked").value,
    kind: $("kind").value, sender: $("sender").value.trim(), from: $("from").value, to: $("to").value,
  };
}

function writeForm(s) {
  if (s.mode !== "asks") $("q").value = s.q || "";
  const radio = document.querySelector(`input[name=mode][value="${s.mode || "ask"}"]`);
  if (radio) radio.checked = true;
  $("kind").value = s.kind || ""; $("sender").value = s.sender || ""; $("from").value = s.from || ""; $("to").value = s.to || "";
  if (s.kind || s.sender || s.from || s.to) $("filters").open = true;
}

function stateFromUrl() {
  const p = new URLSearchParams(location.search);
  const s = {};
  for (const k of ["q", "mode", "kind", "sender", "from", "to", "doc", "p", "at", "by", "org", "chapter", "status", "letter",
                   "text", "doctype", "since", "until", "sort"])
    if (p.get(k)) s[k] = p.get(k);
  return s;
}

function urlFor(s) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v) p.set(k, v);
  if (lang === "en") p.set("lang", "en");
  return "/?" + p.toString();
}

function filtersOf(s) {
  const f = {};
  if (s.kind) f.kind = [s.kind];
  if (s.sender) f.sender = s.sender;
  if (s.from) f.date_from = s.from;
  if (s.to) f.date_to = s.to;
  return f;
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const msg = data && data.error ? data.error.message : `HTTP ${res.status}`;
    throw Object.assign(new Error(msg), {
      code: data && data.error ? data.error.code : null, status: res.status,
      details: data && data.error ? data.error.details : null,
    });
  }
  return data;
}

// The reader's words for an error of the API (its code, and for a 422 the fields its details name);
// the API's own message stays as the detail, for whoever reports the problem.
function errorReason(err, s = {}) {
  const E = t("errors");
  const msg = err.message || "";
  const details = Array.isArray(err.details) ? err.details : [];
  const longer = /longer than (\d+)/.exec(msg);
  if (longer) return E.tooLong(number(Number(longer[1])));
  if (/no words|is empty/.test(msg)) return E.noWords;
  if (err.code === "validation_error" && details.length) {
    if (details.some((d) => /date_from is after date_to/.test(d.msg || "")))
      return t("dateOrder")(dateWords(s.from), dateWords(s.to));
    if (details.some((d) => (d.loc || []).some((l) => /^date_/.test(l)))) return E.badDate;
    if (details.some((d) => d.type === "string_too_long")) return E.badField;
    return E.badField;
  }
  if (err.code === "not_found" || err.status === 404) return E.notFound;
  if (err.status === 429) return E.tooMany;
  if (err.status === 503) return E.unavailable;
  if (err.status >= 500) return E.internal;
  if (!err.status) return E.network;
  return E.badRequest;
}

function errorText(err, s) {
  const detail = err.message ? ` (${t("apiSays")}: ${err.message})` : "";
  return `${t("error")}: ${errorReason(err, s)}${detail}`;
}

// A fact-check's evidence relates to the reader's claim, not to a question.
function strength(score, ofClaim = false) {
  const cls = score >= 0.86 ? "strong" : score >= 0.82 ? "fair" : "weak";
  return el("span", { class: `strength ${cls}` }, ofClaim ? t("claimStrength")[cls] : t(cls));
}

function metaList(doc) {
  const items = [
    [t("kind"), t("kinds")[doc.kind] || doc.kind],
    [t("sender"), doc.sender],
    [t("date"), doc.date],
    doc.heading_path && doc.heading_path.length ? [t("section"), doc.heading_path.join(" › ")] : [t("subject"), doc.subject],
    [t("reg"), doc.registration_number],
  ];
  return el("dl", { class: "meta" }, items.filter(([, v]) => v).map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))));
}

function citationOf(doc) {
  const parts = [doc.title];
  if (doc.date) parts.push(doc.date);
  if (doc.registration_number) parts.push(`kenmerk ${doc.registration_number}`);
  parts.push(`${doc.source_file}, ${t("lines")} ${doc.line_start}-${doc.line_end}`);
  return parts.join(", ");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = el("textarea", { "aria-hidden": "true", style: "position:absolute;left:-9999px" });
    area.value = text; document.body.append(area); area.select();
    document.execCommand("copy"); area.remove();
  }
  setStatus(t("copied"));
}

// Text with [a, b) marked (offsets relative to `text`).
function marked(text, a, b) {
  a = Math.max(0, Math.min(text.length, a)); b = Math.max(a, Math.min(text.length, b));
  if (a === b) return el("span", {}, text);
  return el("span", {}, text.slice(0, a), el("mark", {}, text.slice(a, b)), text.slice(b));
}

function docLink(docId, passageId) {
  // In the asks mode the URL holds the whole state (the form holds only the search modes').
  const s = readForm().mode === "asks" ? stateFromUrl() : readForm();
  return urlFor({ ...s, doc: docId, p: passageId });
}

function hitItem(h, markRange) {
  const doc = h.document;
  const [a, b] = markRange || (h.highlight ? [h.highlight.char_start - h.char_start, h.highlight.char_end - h.char_start] : [0, 0]);
  const cite = citationOf(doc);
  return el("li", { class: "hit" },
    el("h3", {}, doc.title),
    metaList(doc),
    el("p", { class: "passage" }, marked(h.text, a, b)),
    el("p", {}, strength(h.scores.dense)),
    (h.duplicates || []).length
      ? el("p", { class: "also" }, t("alsoIn"), " ",
           ...h.duplicates.flatMap((d, i) => [i ? "; " : "",
             el("a", { href: docLink(d.document.id, d.passage_id), "data-doc": d.document.id, "data-passage": d.passage_id }, d.document.title)]))
      : null,
    el("div", { class: "actions" },
      el("a", { href: docLink(doc.id, h.passage_id), "data-doc": doc.id, "data-passage": h.passage_id, class: "open" }, t("open")),
      el("button", { type: "button", class: "secondary", onclick: () => copyText(cite) }, t("copy"))));
}

// replaceChildren turns a null argument into the text "null"; drop empty parts first.
function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// Bands of the calibrated confidence (0..1); the README lists them.
function confidenceBand(c) {
  return c >= 0.8 ? "high" : c >= 0.6 ? "fair" : c >= 0.3 ? "limited" : "low";
}

function confidenceWords(c) {
  if (typeof c !== "number") return null;
  const band = confidenceBand(c);
  return el("span", { class: `confidence ${band}` }, t("confidence")[band]);
}

function passageLink(docId, passageId, ...children) {
  return el("a", { href: docLink(docId, passageId), "data-doc": docId, "data-passage": passageId }, ...children);
}

// The supporting hit whose text holds a sentence answer at its offsets, if any: the box quotes it whole.
function quotedPassage(a, supporting) {
  if (!a || a.kind === "fact") return null;
  const h = supporting.find((x) => x.passage_id === a.passage_id);
  return h && h.text.slice(a.char_start - h.char_start, a.char_end - h.char_start) === a.text ? h : null;
}

function answerBox(a, supporting) {
  const isFact = a.kind === "fact";
  let body;
  if (isFact) {
    body = [el("p", { class: "fact" }, el("strong", {}, a.text)),
            el("p", { class: "from-details" }, (t("fromDetails")[a.document.kind] || t("fromDetails").letter))];
  } else {
    const support = quotedPassage(a, supporting);
    const sentence = passageLink(a.document.id, a.passage_id, el("mark", {}, a.text));
    const quote = support
      ? el("span", {}, support.text.slice(0, a.char_start - support.char_start), sentence,
           support.text.slice(a.char_end - support.char_start))
      : sentence;
    body = [el("blockquote", { class: "passage" }, quote)];
  }
  return el("div", { class: `answer ${isFact ? "is-fact" : "is-sentence"}`, id: "answer-box" },
    ...body,
    el("p", { class: "confidence-line" }, el("span", { class: "visually-hidden" }, t("confidenceLabel") + ": "),
       confidenceWords(a.confidence)),
    el("p", { class: "citation" }, el("strong", {}, t("source") + ": "), a.citation),
    el("div", { class: "actions" },
      el("a", { href: docLink(a.document.id, a.passage_id), class: "open" }, t("open")),
      el("button", { type: "button", class: "secondary", onclick: () => copyText(a.citation) }, t("copy"))));
}

function candidatesBox(candidates) {
  return el("div", { class: "answer unsure", id: "candidates-box" },
    el("p", { class: "unsure-lead" }, el("strong", {}, t("unsure"))),
    el("p", { class: "hint" }, t("candidatesNote")),
    el("ol", { class: "candidates" }, candidates.map((c, i) =>
      el("li", { class: "candidate" },
        el("p", { class: "candidate-label" }, t("candidate")(i + 1),
           " ", confidenceWords(c.confidence)),
        el("p", { class: "candidate-text" }, passageLink(c.document.id, c.passage_id, c.text)),
        el("p", { class: "citation" }, el("strong", {}, t("source") + ": "), c.citation),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "secondary", onclick: () => copyText(c.citation) }, t("copy")))))));
}

const norm = (text) => text.replace(/\s+/g, " ").trim().toLowerCase();

// One card per document: further hits of a listed document go into its card, and a hit whose text a
// listed hit already shows (a copy of the same letter) becomes an "also in" link of that hit.
function foldByDocument(hits) {
  const groups = [];
  const byDoc = new Map();
  const byText = new Map();
  for (const h of hits) {
    const same = byText.get(norm(h.text));
    if (same) {
      if (same.document.id !== h.document.id && !same.duplicates.some((d) => d.document.id === h.document.id))
        same.duplicates.push({ passage_id: h.passage_id, document: h.document });
      continue;
    }
    const hit = { ...h, duplicates: [...(h.duplicates || [])] };
    byText.set(norm(h.text), hit);
    if (byDoc.has(h.document.id)) { byDoc.get(h.document.id).push(hit); continue; }
    const group = [hit];
    byDoc.set(h.document.id, group);
    groups.push(group);
  }
  // A copy whose document has a card of its own needs no "also in" link.
  for (const group of groups) for (const h of group)
    h.duplicates = h.duplicates.filter((d) => !byDoc.has(d.document.id));
  return groups;
}

// The first hit of a document shows its whole passage; further hits only their best sentence, to keep
// the card short (the link opens the whole passage).
// In ask mode a passage that holds a candidate or answer sentence is judged in that sentence's
// confidence words, so one sentence never gets two verdicts ("lage zekerheid" above, "sterk verband" below).
function verdict(h, judged) {
  const c = judged ? judged(h) : null;
  return typeof c === "number"
    ? el("span", {}, el("span", { class: "visually-hidden" }, t("confidenceLabel") + ": "), confidenceWords(c))
    : strength(h.scores.dense);
}

function sentenceJudge(sentences) {
  const known = sentences.filter((x) => x && typeof x.confidence === "number" && x.text)
    .map((x) => [norm(x.text), x.confidence]);
  if (!known.length) return null;
  return (h) => {
    const text = norm(h.text);
    const hits = known.filter(([s]) => text.includes(s)).map(([, c]) => c);
    return hits.length ? Math.max(...hits) : null;
  };
}

function passageBlock(h, brief = false, judged = null) {
  const [a, b] = h.highlight ? [h.highlight.char_start - h.char_start, h.highlight.char_end - h.char_start] : [0, 0];
  const text = brief && h.highlight
    ? el("span", {}, a > 0 ? "… " : "", el("mark", {}, h.highlight.sentence), b < h.text.length ? " …" : "")
    : marked(h.text, a, b);
  return el("div", { class: "doc-passage" },
    el("p", { class: "passage" }, text),
    el("p", {}, verdict(h, judged)),
    (h.duplicates || []).length
      ? el("p", { class: "also" }, t("alsoIn"), " ",
           ...h.duplicates.flatMap((d, i) => [i ? "; " : "", passageLink(d.document.id, d.passage_id, d.document.title)]))
      : null,
    el("div", { class: "actions" },
      el("a", { href: docLink(h.document.id, h.passage_id), "data-doc": h.document.id, "data-passage": h.passage_id, class: "open" },
         t("open"))));
}

// Overlapping passages of one document can hold the same sentence: a further hit whose sentence the
// card already shows adds nothing and is left out, so no sentence stands twice in a card.
function distinctInCard(group) {
  const shown = [norm(group[0].text)];
  const rest = [];
  for (const h of group.slice(1)) {
    const text = norm(h.highlight ? h.highlight.sentence : h.text);
    if (shown.some((x) => x.includes(text))) continue;
    shown.push(text);
    rest.push(h);
  }
  return [group[0], ...rest];
}

function groupItem(fullGroup, judged = null) {
  const group = distinctInCard(fullGroup);
  const doc = group[0].document;
  const cite = citationOf(doc);
  return el("li", { class: "hit" },
    el("h3", {}, doc.title),
    metaList(doc),
    passageBlock(group[0], false, judged),
    group.length > 1 ? el("p", { class: "more-label" }, t("moreFromDoc")) : null,
    group.slice(1).map((h) => passageBlock(h, true, judged)),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => copyText(cite) }, t("copy"))));
}

// The heading names the mode; the box says the outcome once. Returns the sentence the status line announces.
function renderAsk(data) {
  const supporting = data.supporting || [];
  // Overlapping passages can hold the same sentence; a reader needs it once.
  const seen = new Set();
  const candidates = (data.candidates || []).filter((c) => !seen.has(norm(c.text)) && seen.add(norm(c.text)));
  let box, status;
  if (data.answer) {
    box = answerBox(data.answer, supporting);
    status = t("statusAnswer")(t("confidence")[confidenceBand(data.answer.confidence)]);
  } else if (candidates.length) {
    box = candidatesBox(candidates);
    status = t("statusCandidates")(candidates.length);
  } else {
    box = el("div", { class: "answer none" }, el("p", {}, t("noAnswer")));
    status = t("noAnswer");
  }
  // A sentence answer's box already quotes its whole passage; the list below need not repeat it.
  const quoted = quotedPassage(data.answer, supporting);
  const rest = supporting.filter((h) => h !== quoted);
  fill($("answer"), box, rest.length ? el("h3", { class: "supporting-heading" }, t("supporting")) : null);
  const judged = sentenceJudge([data.answer && data.answer.kind !== "fact" ? data.answer : null, ...candidates]);
  fill($("hits"), foldByDocument(rest).map((g) => groupItem(g, judged)));
  return { heading: t("answer"), status };
}

function evidenceItem(e) {
  return el("li", { class: "hit" },
    el("h3", {}, e.document.title), metaList(e.document),
    el("p", { class: "passage" }, el("mark", {}, e.text)),
    el("p", {}, strength(e.similarity, true)),
    el("div", { class: "actions" },
      el("a", { href: docLink(e.document.id, e.passage_id), class: "open" }, t("open")),
      el("button", { type: "button", class: "secondary", onclick: () => copyText(e.citation) }, t("copy"))));
}

function renderFactcheck(data) {
  const sentence = data.status === "evidence_found" ? t("evidenceFound") : t("noEvidence");
  fill($("answer"), el("div", { class: "answer" }, el("p", {}, sentence)));
  const groups = [["agreement", t("agreement")], ["letters", t("letters")]];
  const items = [];
  for (const [key, label] of groups) {
    const list = data.groups[key] || [];
    if (!list.length) continue;
    items.push(el("li", { class: "group" }, el("h3", {}, label), el("ol", { class: "hits" }, list.map(evidenceItem))));
  }
  fill($("hits"), items);
  return { heading: t("factTitle"), status: sentence };
}

// "2025-12-12" in words ("12 december 2025"); the date inputs always give ISO dates.
function dateWords(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
  return m ? `${Number(m[3])} ${t("months")[Number(m[2]) - 1]} ${m[1]}` : iso;
}

// What is wrong with the form, in the reader's words, before anything is sent; null when nothing is.
// The API's limit (max_query_chars); the input has no maxlength, which would cut a pasted text silently.
const MAX_QUERY_CHARS = 2000;
const number = (n) => n.toLocaleString(lang === "en" ? "en-GB" : "nl-NL");

function tooLong(text) {
  return text && text.length > MAX_QUERY_CHARS ? t("tooLongTyped")(number(text.length), number(MAX_QUERY_CHARS)) : null;
}

function formProblem(s) {
  const long = tooLong(s.q);
  if (long) return long;
  if (s.from && s.to && s.from > s.to) return t("dateOrder")(dateWords(s.from), dateWords(s.to));
  return null;
}

// The previous question's outcome must not stand under a new request's message or error.
function clearResults() {
  rendered = null;
  $("results").hidden = true;
  fill($("answer")); fill($("hits"));
  $("results-heading").textContent = "";
}

async function run(s) {
  clearResults();
  const problem = formProblem(s);
  if (problem) {
    $("results").hidden = true; setStatus(problem, true);
    (s.q && s.q.length > MAX_QUERY_CHARS ? $("q") : $("from")).focus();
    return;
  }
  if (!s.q) { setStatus(t("empty"), true); $("q").focus(); return; }
  setView("search");
  setStatus(t("loading"));
  $("submit").disabled = true;
  try {
    const filters = filtersOf(s);
    let shown;
    if (s.mode === "search") {
      const data = await api("/v1/search", { query: s.q, top_k: 10, filters });
      const results = data.results || [];
      const sentence = results.length ? t("results")(results.length) : t("noResults");
      fill($("answer"), results.length ? null : el("div", { class: "answer none" }, el("p", {}, sentence)));
      fill($("hits"), results.map((h) => hitItem(h)));
      shown = { heading: results.length ? sentence : t("searchTitle"), status: sentence };
    } else if (s.mode === "factcheck") {
      shown = renderFactcheck(await api("/v1/factcheck", { claim: s.q, top_k: 6, filters }));
    } else {
      shown = renderAsk(await api("/v1/ask", { question: s.q, top_k: 5, filters }));
    }
    $("results").hidden = false;
    $("results-heading").textContent = shown.heading;
    // The status line announces the outcome to screen readers only; the page shows it once, in the box.
    setStatus(shown.status);
    $("status").classList.add("visually-hidden");
    keepView(s, "search");
  } catch (err) {
    clearResults();
    setStatus(errorText(err, s), true);
  } finally {
    $("submit").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  applyLang();
  $("form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = readForm();
    // Enter on the asks or documents mode's radio submits this form too: those modes have their own forms.
    if (s.mode === "asks" || s.mode === "docs") {
      if (stateFromUrl().mode !== s.mode) {
        history.pushState(null, "", urlFor(s.mode === "asks" ? { mode: "asks", by: "org" } : { mode: "docs" }));
        route();
      }
      return;
    }
    history.pushState(null, "", urlFor(s));
    // Bring the outcome into view (on a phone it sits below the form) and give keyboard users a start there.
    run(s).then(() => {
      if ($("results").hidden) return;
      const heading = $("results-heading");
      if (heading.getBoundingClientRect().top > window.innerHeight / 2) heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    });
  });
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a");
    if (!a || !a.getAttribute("href") || !a.getAttribute("href").startsWith("/?")) return;
    ev.preventDefault();
    const href = a.getAttribute("href");
    // A link from a list into the document view: "Terug" brings the focus back to it.
    if (/[?&]doc=/.test(href) && !a.closest("#doc-view")) {
      const same = [...document.querySelectorAll("main a")].filter((x) => x.getAttribute("href") === href);
      opener = { node: a, href, index: Math.max(0, same.indexOf(a)) };
    }
    history.pushState(null, "", href);
    route();
  });
  $("back").addEventListener("click", goBack);
  $("back-end").addEventListener("click", goBack);
  // Escape in the document view is "Terug" from wherever the reader is in the text.
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && !$("doc-view").hidden && !ev.defaultPrevented) goBack(ev);
  });
  $("lang").addEventListener("click", () => {
    lang = lang === "nl" ? "en" : "nl";
    applyLang();
    history.replaceState(null, "", urlFor({ ...stateFromUrl() }));
    route();
  });
  // The asks and documents modes need no query: choosing one shows it at once; leaving it shows the
  // empty search form.
  document.querySelectorAll("input[name=mode]").forEach((r) => r.addEventListener("change", () => {
    const was = stateFromUrl().mode;
    if (r.value === "asks" || r.value === "docs") {
      history.pushState(null, "", urlFor(r.value === "asks" ? { mode: "asks", by: "org" } : { mode: "docs" }));
      route();
    } else if (was === "asks" || was === "docs") {
      history.pushState(null, "", urlFor({ mode: r.value }));
      setView("search"); $("results").hidden = true; setStatus("");
    }
  }));
  window.addEventListener("popstate", route);
  route();
});
