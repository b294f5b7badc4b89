// "Wie vraagt wat": what organisations ask in their letters, each ask beside what the coalition
// agreement does with it; per organisation, per agreement chapter, as an overview table, or by
// searching the asks. Shares app.js's helpers (el, t, $, api, fill, marked, urlFor, ...).
"use strict";

Object.assign(I18N.nl, {
  modeAsks: "Wie vraagt wat", asksTitle: "Wie vraagt wat",
  asksIntro: "Wat organisaties in hun brieven vragen, en wat het coalitieakkoord ermee doet.",
  byLegend: "Bekijk", byOrg: "Per organisatie", byChapter: "Per hoofdstuk van het akkoord", byOverview: "Overzicht",
  bySearch: "Wie vraagt om …?", orgLabel: "Organisatie", orgChoose: "Kies een organisatie", showAsks: "Toon verzoeken",
  orgHint: "Met de pijltjestoetsen kiest u een organisatie; de verzoeken verschijnen hieronder.",
  chapterLabel: "Hoofdstuk van het coalitieakkoord", chapterChoose: "Kies een hoofdstuk",
  whoLabel: "Wie vraagt om …?", whoHint: "Bijvoorbeeld: meer geld voor de zorg",
  status: { addressed: "Overgenomen", related: "Besproken, niet toegezegd", absent: "Niet in het akkoord" },
  statusLong: { addressed: "het akkoord neemt het over", related: "het akkoord spreekt erover, zonder het toe te zeggen",
                absent: "het akkoord zegt er niets over" },
  nAsks: (n) => n === 1 ? "1 verzoek" : `${n} verzoeken`,
  orgHeading: (o, n) => `Verzoeken van ${o} (${n})`,
  orgChapterHeading: (o, c, n) => `Verzoeken van ${o} die uitkomen bij ‘${c}’ (${n})`,
  orgAbsentHeading: (o, n) => `Verzoeken van ${o} waarover het akkoord niets zegt (${n})`,
  cellLabel: (n, o, where) => `${n === 1 ? "1 verzoek" : `${n} verzoeken`} van ${o}: ${where}`,
  chapterHeading: (c, n) => `Verzoeken die uitkomen bij ‘${c}’ (${n})`,
  letterHeading: (title) => `Verzoeken in: ${title}`,
  whoHeading: (q) => `Wie vraagt om ‘${q}’?`,
  overviewHeading: "Verzoeken per organisatie en hoofdstuk",
  overviewCaption: "Verzoeken per organisatie en per hoofdstuk van het coalitieakkoord",
  overviewNote: "Een verzoek telt bij het hoofdstuk van het akkoord waar de best passende passage staat. ‘Niet in het akkoord’: het akkoord zegt er niets over. Kies een organisatie of hoofdstuk om de verzoeken zelf te lezen.",
  organisation: "Organisatie", total: "Totaal", allOrganisations: "alle organisaties", unknownSender: "onbekende afzender",
  barLabel: (who) => `Wat het akkoord doet met de verzoeken van ${who}`,
  barValue: (n, total, word) => `${word}: ${n} van ${total}`,
  loadingAsks: "Verzoeken laden…", pickOrg: "Kies eerst een organisatie.", pickChapter: "Kies eerst een hoofdstuk.",
  emptyWho: "Geef op waarom gevraagd wordt, bijvoorbeeld: meer geld voor de zorg.",
  theAsk: "Het verzoek", topic: "Onderwerp", openLetter: "Lees in de brief", agreementSays: "Wat het akkoord zegt",
  nearest: "Het akkoord zegt hier niets over. Dichtstbijzijnde tekst (geen echte overeenkomst):",
  nearestShow: (n) => `Toon de dichtstbijzijnde tekst in het akkoord (${n})`,
  otherMatches: (n) => n === 1 ? "Nog 1 passage in het akkoord" : `Nog ${n} passages in het akkoord`,
  openAgreement: "Open in het akkoord", noPassage: "Geen passage in het akkoord gevonden.",
  more: (n) => `Meer verzoeken tonen (nog ${n})`,
  emptyOrg: "Van deze organisatie herkent de dienst geen verzoeken.",
  emptyChapter: "Geen enkel verzoek komt uit bij dit hoofdstuk.",
  emptyLetter: "Deze brief bevat geen verzoeken die de dienst herkent.",
  notALetter: "Alleen brieven en bijlagen bevatten verzoeken; dit document niet.",
  emptyWhoResult: "Geen verzoeken gevonden die hierop lijken.",
  orgsInChapter: (n) => n === 1 ? "1 organisatie" : `${n} organisaties`,
  showTheAsks: (n) => n === 1 ? "Toon het verzoek" : `Toon de ${n} verzoeken`,
  allOfOrg: (o) => `Alle verzoeken van ${o}`,
  letterAsks: "Wat vraagt deze brief?",
  unknownFilter: "Kies een organisatie of hoofdstuk uit de lijst.",
  asksStatus: (n, counts) => `${n === 1 ? "1 verzoek" : `${n} verzoeken`}: ${counts.addressed} overgenomen, ${counts.related} besproken zonder toezegging, ${counts.absent} niet in het akkoord.`,
  overviewStatus: (o, n) => `Overzicht van ${n} verzoeken van ${o} organisaties.`,
  whoStatus: (n) => n === 1 ? "1 organisatie vraagt hierom." : `${n} organisaties vragen hierom.`,
});

Object.assign(I18N.en, {
  modeAsks: "Who asks what", asksTitle: "Who asks what",
  asksIntro: "What organisations ask in their letters, and what the coalition agreement does with it.",
  byLegend: "View", byOrg: "By organisation", byChapter: "By agreement chapter", byOverview: "Overview",
  bySearch: "Who asks for …?", orgLabel: "Organisation", orgChoose: "Choose an organisation", showAsks: "Show asks",
  orgHint: "Use the arrow keys to choose an organisation; its asks appear below.",
  chapterLabel: "Chapter of the coalition agreement", chapterChoose: "Choose a chapter",
  whoLabel: "Who asks for …?", whoHint: "For example: more money for healthcare",
  status: { addressed: "Adopted", related: "Discussed, not committed", absent: "Not in the agreement" },
  statusLong: { addressed: "the agreement takes it up", related: "the agreement discusses it without committing to it",
                absent: "the agreement says nothing about it" },
  nAsks: (n) => n === 1 ? "1 ask" : `${n} asks`,
  orgHeading: (o, n) => `Asks of ${o} (${n})`,
  orgChapterHeading: (o, c, n) => `Asks of ${o} that land in ‘${c}’ (${n})`,
  orgAbsentHeading: (o, n) => `Asks of ${o} the agreement says nothing about (${n})`,
  cellLabel: (n, o, where) => `${n === 1 ? "1 ask" : `${n} asks`} of ${o}: ${where}`,
  chapterHeading: (c, n) => `Asks that land in ‘${c}’ (${n})`,
  letterHeading: (title) => `Asks in: ${title}`,
  whoHeading: (q) => `Who asks for ‘${q}’?`,
  overviewHeading: "Asks by organisation and chapter",
  overviewCaption: "Asks per organisation and per chapter of the coalition agreement",
  overviewNote: "An ask counts in the agreement chapter that holds the best matching passage. ‘Not in the agreement’: the agreement says nothing about it. Choose an organisation or chapter to read the asks themselves.",
  organisation: "Organisation", total: "Total", allOrganisations: "all organisations", unknownSender: "unknown sender",
  barLabel: (who) => `What the agreement does with the asks of ${who}`,
  barValue: (n, total, word) => `${word}: ${n} of ${total}`,
  loadingAsks: "Loading asks…", pickOrg: "Choose an organisation first.", pickChapter: "Choose a chapter first.",
  emptyWho: "Say what is asked for, for example: more money for healthcare.",
  theAsk: "The ask", topic: "Topic", openLetter: "Read in the letter", agreementSays: "What the agreement says",
  nearest: "The agreement says nothing about this. Closest text (not a real match):",
  nearestShow: (n) => `Show the closest text in the agreement (${n})`,
  otherMatches: (n) => n === 1 ? "1 more passage in the agreement" : `${n} more passages in the agreement`,
  openAgreement: "Open in the agreement", noPassage: "No passage found in the agreement.",
  more: (n) => `Show more asks (${n} left)`,
  emptyOrg: "The service recognises no asks of this organisation.",
  emptyChapter: "No ask lands in this chapter.",
  emptyLetter: "This letter contains no asks that the service recognises.",
  notALetter: "Only letters and attachments contain asks; this document does not.",
  emptyWhoResult: "No asks found that resemble this.",
  orgsInChapter: (n) => n === 1 ? "1 organisation" : `${n} organisations`,
  showTheAsks: (n) => n === 1 ? "Show the ask" : `Show the ${n} asks`,
  allOfOrg: (o) => `All asks of ${o}`,
  letterAsks: "What does this letter ask?",
  unknownFilter: "Choose an organisation or chapter from the list.",
  asksStatus: (n, counts) => `${n === 1 ? "1 ask" : `${n} asks`}: ${counts.addressed} adopted, ${counts.related} discussed without commitment, ${counts.absent} not in the agreement.`,
  overviewStatus: (o, n) => `Overview of ${n} asks of ${o} organisations.`,
  whoStatus: (n) => n === 1 ? "1 organisation asks for this." : `${n} organisations ask for this.`,
});

const STATUSES = ["addressed", "related", "absent"];
// The API's label for letters without a sender: a row of the overview, but no sender filter value.
const UNKNOWN_SENDER = "onbekende afzender";
// The API's longest sender filter; the filter matches a part of the name, so a prefix still finds it.
const SENDER_MAX = 200;
const PAGE = 50;
const CHAPTER_PAGE = 500;

let asksSeq = 0;        // the newest asks request: an older answer arriving late is dropped
let overviewCache = null;
let pickTimer = null;

const orgName = (o) => (o === UNKNOWN_SENDER ? t("unknownSender") : o);
const orgOf = (a) => (a.document.organisations && a.document.organisations[0]) || a.document.sender || UNKNOWN_SENDER;

// An asks answer that arrives after the reader left the mode must not overwrite what is shown.
function cancelAsks() { asksSeq += 1; }

async function loadOverview() {
  if (!overviewCache) overviewCache = await api("/v1/asks/overview");
  return overviewCache;
}

function chapterTotals(ov) {
  const totals = Object.fromEntries(ov.chapters.map((c) => [c, 0]));
  for (const o of ov.organisations) for (const c of ov.chapters) totals[c] += o.chapters[c] || 0;
  return totals;
}

function fillPickers(ov, s) {
  const orgs = ov.organisations.filter((o) => o.organisation !== UNKNOWN_SENDER)
    .sort((a, b) => a.organisation.localeCompare(b.organisation, "nl", { sensitivity: "base" }));
  fill($("org"), el("option", { value: "" }, t("orgChoose")),
    orgs.map((o) => el("option", { value: o.organisation }, `${o.organisation} (${t("nAsks")(o.total)})`)));
  $("org").value = orgs.some((o) => o.organisation === s.org) ? s.org : "";
  const totals = chapterTotals(ov);
  fill($("chapter"), el("option", { value: "" }, t("chapterChoose")),
    ov.chapters.map((c) => el("option", { value: c }, `${c} (${t("nAsks")(totals[c])})`)));
  $("chapter").value = ov.chapters.includes(s.chapter) ? s.chapter : "";
}

function clearAsks() {
  rendered = null;
  $("asks-results").hidden = true;
  fill($("asks-summary")); fill($("asks-body"));
  $("asks-more").hidden = true; $("asks-more").onclick = null;
}

function showAsksResults(heading, status) {
  $("asks-heading").textContent = heading;
  $("asks-results").hidden = false;
  // As in the search modes: the status line announces the outcome to screen readers only.
  setStatus(status);
  $("status").classList.add("visually-hidden");
}

function asksError(err) {
  clearAsks();
  const hint = err.code === "unknown_filter" ? ` ${t("unknownFilter")}` : "";
  setStatus(`${errorText(err)}${hint}`, true);
}

function statusBadge(status) {
  const sign = { addressed: "✓", related: "≈", absent: "✗" }[status];
  return el("span", { class: `status-badge ${status}`, title: t("statusLong")[status] },
    el("span", { "aria-hidden": "true" }, sign + " "), t("status")[status]);
}

// A stacked bar of the statuses: each part a meter with its count in aria values and in words,
// the legend says the same in visible text, so nothing depends on colour.
function statusBar(counts, who) {
  const total = STATUSES.reduce((n, k) => n + (counts[k] || 0), 0);
  const parts = STATUSES.map((k) => {
    const n = counts[k] || 0;
    return el("span", {
      class: `bar-part ${k}`, role: "meter", "aria-label": t("status")[k], "aria-valuemin": "0",
      "aria-valuemax": String(total), "aria-valuenow": String(n), "aria-valuetext": t("barValue")(n, total, t("status")[k]),
      "data-status": k, "data-count": String(n), style: `width:${total ? (100 * n) / total : 0}%`,
    });
  });
  const legend = el("ul", { class: "bar-legend", "aria-hidden": "true" }, STATUSES.map((k) =>
    el("li", { "data-status": k }, el("span", { class: `swatch ${k}` }), `${t("status")[k]}: `,
       el("strong", { class: "count" }, String(counts[k] || 0)),
       total ? ` (${Math.round((100 * (counts[k] || 0)) / total)}%)` : "")));
  return el("div", { class: "ask-bar", role: "group", "aria-label": t("barLabel")(who) },
    el("div", { class: "bar-track" }, parts), legend);
}

function letterLink(a) {
  return urlFor({ ...stateFromUrl(), doc: a.document.id, p: null, at: `${a.char_start}-${a.char_end}` });
}

function agreementQuote(m) {
  const a = m.sentence.char_start - m.char_start, b = m.sentence.char_end - m.char_start;
  const inside = a >= 0 && b <= m.text.length && m.text.slice(a, b) === m.sentence.text;
  return el("blockquote", { class: "passage" }, inside ? marked(m.text, a, b) : el("mark", {}, m.sentence.text));
}

// `nearest`: the closest text to an ask the agreement does not take up, shown unmarked (it is no match).
function matchBlock(m, brief, nearest = false) {
  return el("div", { class: "match" },
    el("p", { class: "where" }, m.heading_path.join(" › ")),
    brief ? el("p", { class: "passage" }, nearest ? m.sentence.text : el("mark", {}, m.sentence.text)) : agreementQuote(m),
    el("p", { class: "citation" }, el("strong", {}, t("source") + ": "), m.citation, " ",
       passageLink(m.document_id, m.passage_id, t("openAgreement"))));
}

function askCard(a) {
  const matches = a.agreement || [];
  let agreementSide;
  if (!matches.length) agreementSide = [el("p", {}, t("noPassage"))];
  else if (a.status === "absent") {
    agreementSide = [el("details", { class: "nearest" },
      el("summary", {}, t("nearestShow")(matches.length)),
      el("p", { class: "hint" }, t("nearest")), matches.map((m) => matchBlock(m, true, true)))];
  } else {
    agreementSide = [el("p", { class: "side-label" }, t("agreementSays")), matchBlock(matches[0], false),
      matches.length > 1
        ? el("details", { class: "other-matches" }, el("summary", {}, t("otherMatches")(matches.length - 1)),
             matches.slice(1).map((m) => matchBlock(m, true)))
        : null];
  }
  return el("li", { class: `ask-card ${a.status}`, "data-status": a.status },
    el("div", { class: "ask-side" },
      el("h4", { class: "ask-topic" }, el("span", { class: "visually-hidden" }, `${t("topic")}: `), a.topic || t("theAsk")),
      el("blockquote", { class: "ask-text" }, a.text),
      el("p", { class: "ask-source" }, el("a", { href: letterLink(a) }, t("openLetter")), ": ", a.document.citation)),
    el("div", { class: "agreement-side" },
      el("p", { class: "status-line" }, statusBadge(a.status), " ",
         el("span", { class: "visually-hidden" }, t("confidenceLabel") + ": "), confidenceWords(a.confidence)),
      agreementSide));
}

// A page of asks with "show more": `path` without offset/limit; returns the first page's data.
async function pagedAsks(path, seq, who) {
  const first = await api(`${path}&offset=0&limit=${PAGE}`);
  if (seq !== asksSeq) return null;
  fill($("asks-summary"), statusBar(first.counts, who));
  const list = el("ol", { class: "ask-list" }, first.asks.map((a) => askCard(a)));
  fill($("asks-body"), list);
  let shown = first.asks.length;
  const more = $("asks-more");
  const update = () => {
    more.hidden = shown >= first.total;
    more.textContent = t("more")(first.total - shown);
  };
  update();
  more.onclick = async () => {
    more.disabled = true;
    try {
      const next = await api(`${path}&offset=${shown}&limit=${PAGE}`);
      if (seq !== asksSeq) return;
      const cards = next.asks.map((a) => askCard(a));
      list.append(...cards);
      shown += next.asks.length;
      update();
      // Keyboard users go on reading where the new asks begin.
      if (cards.length) { const h = cards[0].querySelector("h4"); h.tabIndex = -1; h.focus(); }
    } catch (err) { asksError(err); } finally { more.disabled = false; }
  };
  return first;
}

// An organisation's asks, narrowed (from a cell of the overview) to one chapter or to the absent ones.
async function loadOrg(org, seq, chapter, status) {
  const absent = status === "absent";
  let path = `/v1/asks?sender=${encodeURIComponent(org.slice(0, SENDER_MAX))}`;
  if (chapter) path += `&chapter=${encodeURIComponent(chapter)}`;
  else if (absent) path += "&status=absent";
  const data = await pagedAsks(path, seq, orgName(org));
  if (!data) return;
  if (!data.total) fill($("asks-body"), el("p", { class: "answer none" }, t("emptyOrg")));
  if (chapter || absent) {
    $("asks-summary").prepend(el("p", {}, el("a", { href: urlFor({ mode: "asks", by: "org", org }) }, t("allOfOrg")(orgName(org)))));
  }
  const heading = chapter ? t("orgChapterHeading")(orgName(org), chapter, data.total)
    : absent ? t("orgAbsentHeading")(orgName(org), data.total) : t("orgHeading")(orgName(org), data.total);
  showAsksResults(heading,
    data.total ? t("asksStatus")(data.total, data.counts) : t("emptyOrg"));
}

async function loadLetter(docId, seq) {
  const data = await api(`/v1/documents/${encodeURIComponent(docId)}/asks`);
  if (seq !== asksSeq) return;
  fill($("asks-summary"), data.asks.length ? statusBar(data.counts, data.document.title) : null);
  const kind = data.document.kind;
  fill($("asks-body"), data.asks.length
    ? el("ol", { class: "ask-list" }, data.asks.map((a) => askCard(a)))
    : el("p", { class: "answer none" }, kind === "letter" || kind === "attachment" ? t("emptyLetter") : t("notALetter")));
  showAsksResults(t("letterHeading")(data.document.title),
    data.asks.length ? t("asksStatus")(data.asks.length, data.counts) : $("asks-body").textContent);
}

async function loadChapter(chapter, seq) {
  const path = `/v1/asks?chapter=${encodeURIComponent(chapter)}`;
  let data = await api(`${path}&offset=0&limit=${CHAPTER_PAGE}`);
  const asks = [...data.asks];
  while (asks.length < data.total && seq === asksSeq) {
    data = await api(`${path}&offset=${asks.length}&limit=${CHAPTER_PAGE}`);
    if (!data.asks.length) break;
    asks.push(...data.asks);
  }
  if (seq !== asksSeq) return;
  const groups = new Map();
  for (const a of asks) {
    const o = orgOf(a);
    if (!groups.has(o)) groups.set(o, []);
    groups.get(o).push(a);
  }
  const ordered = [...groups.entries()].sort((x, y) => y[1].length - x[1].length);
  fill($("asks-summary"), asks.length ? statusBar(data.counts, `‘${chapter}’`) : null,
    asks.length ? el("p", { class: "hint" }, t("orgsInChapter")(ordered.length)) : null);
  fill($("asks-body"), asks.length
    ? el("ul", { class: "org-groups" }, ordered.map(([o, list]) => {
      const counts = Object.fromEntries(STATUSES.map((k) => [k, list.filter((a) => a.status === k).length]));
      return el("li", { class: "org-group", "data-organisation": o },
        el("h4", {}, `${orgName(o)} `, el("span", { class: "count" }, `(${t("nAsks")(list.length)})`)),
        el("p", { class: "org-counts" }, STATUSES.filter((k) => counts[k]).map((k) => `${t("status")[k]}: ${counts[k]}`).join(" · "),
           o !== UNKNOWN_SENDER ? [" — ", el("a", { href: urlFor({ mode: "asks", by: "org", org: o }) }, t("allOfOrg")(orgName(o)))] : null),
        el("details", {}, el("summary", {}, t("showTheAsks")(list.length)),
           el("ol", { class: "ask-list" }, list.map((a) => askCard(a)))));
    }))
    : el("p", { class: "answer none" }, t("emptyChapter")));
  showAsksResults(t("chapterHeading")(chapter, asks.length),
    asks.length ? t("asksStatus")(asks.length, data.counts) : t("emptyChapter"));
}

function renderOverview(ov) {
  const rows = [...ov.organisations].sort((a, b) => b.total - a.total);
  const totals = chapterTotals(ov);
  const absent = rows.reduce((n, r) => n + r.absent, 0);
  const all = rows.reduce((n, r) => n + r.total, 0);
  const num = (n) => el("td", { class: n ? "num" : "num zero" }, String(n));
  // A count opens the organisation's asks behind it; the link's name says whose and where.
  const cell = (r, n, narrow, where) => r.organisation === UNKNOWN_SENDER || !n ? num(n)
    : el("td", { class: "num" }, el("a", { href: urlFor({ mode: "asks", by: "org", org: r.organisation, ...narrow }),
                                          "aria-label": t("cellLabel")(n, r.organisation, where) }, String(n)));
  const chapterHead = (c) => el("th", { scope: "col" }, el("a", { href: urlFor({ mode: "asks", by: "chapter", chapter: c }) }, c));
  const table = el("table", { class: "overview", id: "overview-table", "aria-describedby": "overview-note" },
    el("caption", { id: "overview-caption" }, t("overviewCaption")),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("organisation")), ov.chapters.map(chapterHead),
      el("th", { scope: "col", class: "absent-col" }, t("status").absent), el("th", { scope: "col" }, t("total")))),
    el("tbody", {}, rows.map((r) => el("tr", {},
      el("th", { scope: "row" }, r.organisation === UNKNOWN_SENDER ? orgName(r.organisation)
        : el("a", { href: urlFor({ mode: "asks", by: "org", org: r.organisation }) }, r.organisation)),
      ov.chapters.map((c) => cell(r, r.chapters[c] || 0, { chapter: c }, c)),
      cell(r, r.absent, { status: "absent" }, t("status").absent), el("td", { class: "num total" }, String(r.total))))),
    el("tfoot", {}, el("tr", {}, el("th", { scope: "row" }, t("total")), ov.chapters.map((c) => num(totals[c])),
      num(absent), el("td", { class: "num total" }, String(all)))));
  fill($("asks-summary"), statusBar(ov.counts, t("allOrganisations")));
  // A wide table scrolls inside its own focusable region, not the page.
  fill($("asks-body"), el("p", { class: "hint", id: "overview-note" }, t("overviewNote")),
    el("div", { class: "table-wrap", role: "region", "aria-labelledby": "overview-caption", tabindex: "0" }, table));
  showAsksResults(t("overviewHeading"), t("overviewStatus")(rows.length, all));
}

async function loadWho(q, seq) {
  const data = await api("/v1/asks/search", { query: q, top_k: 8 });
  if (seq !== asksSeq) return;
  const groups = data.groups || [];
  fill($("asks-body"), groups.length
    ? el("ol", { class: "org-groups" }, groups.map((g) => el("li", { class: "org-group", "data-organisation": g.organisation },
      el("h4", {}, orgName(g.organisation)),
      g.organisation !== UNKNOWN_SENDER
        ? el("p", {}, el("a", { href: urlFor({ mode: "asks", by: "org", org: g.organisation }) }, t("allOfOrg")(orgName(g.organisation))))
        : null,
      el("ol", { class: "ask-list" }, g.asks.map((a) => askCard(a))))))
    : el("p", { class: "answer none" }, t("emptyWhoResult")));
  showAsksResults(t("whoHeading")(q), groups.length ? t("whoStatus")(groups.length) : t("emptyWhoResult"));
}

// Render the asks mode for URL state `s`; resolves once its results (or error) are shown.
async function showAsks(s) {
  setView("asks");
  const by = s.by || "org";
  document.querySelectorAll("input[name=by]").forEach((r) => { r.checked = r.value === by; });
  for (const f of ["org-form", "chapter-form", "who-form"]) $(f).hidden = $(f).dataset.by !== by;
  $("who-q").value = by === "search" ? s.q || "" : $("who-q").value;
  const seq = ++asksSeq;
  clearAsks();
  setStatus(t("loadingAsks"));
  try {
    const ov = await loadOverview();
    if (seq !== asksSeq) return;
    fillPickers(ov, s);
    if (by === "org") {
      if (s.org) await loadOrg(s.org, seq, s.chapter, s.status); else setStatus(t("pickOrg"));
    } else if (by === "chapter") {
      if (s.chapter) await loadChapter(s.chapter, seq); else setStatus(t("pickChapter"));
    } else if (by === "overview") renderOverview(ov);
    else if (by === "search") {
      if (s.q) await loadWho(s.q, seq); else setStatus(t("emptyWho"));
    } else if (by === "letter" && s.letter) await loadLetter(s.letter, seq);
    if (seq === asksSeq) keepView(s, "asks");
  } catch (err) {
    if (seq === asksSeq) asksError(err);
  }
}

// Show asks state `s`: a new history entry for a deliberate choice, the same entry while browsing
// a select with the arrow keys; `focus` moves the keyboard to the results once they are there.
function goAsks(s, { replace = false, focus = false } = {}) {
  const url = urlFor(s);
  if (url !== location.pathname + location.search) history[replace ? "replaceState" : "pushState"](null, "", url);
  return showAsks(s).then(() => {
    if (focus && !$("asks-results").hidden) $("asks-heading").focus();
  });
}

function asksPicked(by, opts) {
  clearTimeout(pickTimer);
  const s = { mode: "asks", by };
  if (by === "org") { s.org = $("org").value; if (!s.org) { setStatus(t("pickOrg"), true); return; } }
  if (by === "chapter") { s.chapter = $("chapter").value; if (!s.chapter) { setStatus(t("pickChapter"), true); return; } }
  if (by === "search") {
    s.q = $("who-q").value.trim();
    const problem = s.q ? tooLong(s.q) : t("emptyWho");
    if (problem) { setStatus(problem, true); $("who-q").focus(); return; }
  }
  goAsks(s, opts);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const [form, select, by] of [["org-form", "org", "org"], ["chapter-form", "chapter", "chapter"]]) {
    $(form).addEventListener("submit", (ev) => { ev.preventDefault(); asksPicked(by, { focus: true }); });
    // Arrow keys change a closed select at once: wait until the choice settles before loading.
    $(select).addEventListener("change", () => {
      clearTimeout(pickTimer);
      // The shown asks are no longer those chosen: clear them now, and drop any answer on its way.
      cancelAsks(); clearAsks(); setStatus(t("loadingAsks"));
      pickTimer = setTimeout(() => asksPicked(by, { replace: true }), 300);
    });
    $(select).addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); asksPicked(by, { focus: true }); }
    });
  }
  $("who-form").addEventListener("submit", (ev) => { ev.preventDefault(); asksPicked("search", { focus: true }); });
  document.querySelectorAll("input[name=by]").forEach((r) => r.addEventListener("change", () => {
    const s = { mode: "asks", by: r.value };
    if (r.value === "org" && $("org").value) s.org = $("org").value;
    if (r.value === "chapter" && $("chapter").value) s.chapter = $("chapter").value;
    if (r.value === "search" && $("who-q").value.trim()) s.q = $("who-q").value.trim();
    goAsks(s);
  }));
});
