// "Documenten bekijken": every document of the bundle (who wrote, when, about what), filterable by
// text of the title or subject, organisation (or short name), kind and date; each opens the document
// view. Reads GET /v1/documents (kind and organisation filtered there); shares app.js's helpers.
"use strict";

Object.assign(I18N.nl, {
  modeDocs: "Documenten bekijken", docsTitle: "Documenten bekijken",
  docsIntro: "Welke organisaties schreven, wanneer en waarover: brieven, bijlagen, antwoorden van de informateur en de hoofdstukken van het coalitieakkoord.",
  dTextLabel: "Titel of onderwerp bevat", dOrgLabel: "Organisatie of afkorting",
  dOrgHint: "Een deel van de naam, of een afkorting zoals VNG.", dKindAll: "Alle soorten",
  dSortLabel: "Volgorde", dSortCorpus: "Zoals in de bundel", dSortNew: "Nieuwste eerst", dSortOld: "Oudste eerst",
  dSortSender: "Afzender (A-Z)",
  dDateHint: "Met een datumfilter vallen documenten zonder datum weg, zoals het coalitieakkoord.",
  dShow: "Toon documenten", dReset: "Wis de filters", loadingDocs: "Documenten laden…",
  organisations: "Organisaties", noDate: "geen datum",
  docsHeading: (n, all) => n === all ? (n === 1 ? "1 document" : `Alle ${n} documenten`)
    : `${n} van de ${all} documenten`,
  docsStatus: (n) => n === 1 ? "1 document gevonden." : `${n} documenten gevonden.`,
  noDocs: "Geen documenten die aan deze filters voldoen. Wis een filter of kies een ander.",
  moreDocs: (n) => `Meer documenten tonen (nog ${n})`,
  andOthers: (n) => n === 1 ? "en 1 andere" : `en ${n} andere`,
});

Object.assign(I18N.en, {
  modeDocs: "Browse documents", docsTitle: "Browse documents",
  docsIntro: "Which organisations wrote, when and about what: letters, attachments, replies of the informateur and the chapters of the coalition agreement.",
  dTextLabel: "Title or subject contains", dOrgLabel: "Organisation or short name",
  dOrgHint: "Part of the name, or a short name such as VNG.", dKindAll: "All types",
  dSortLabel: "Order", dSortCorpus: "As in the bundle", dSortNew: "Newest first", dSortOld: "Oldest first",
  dSortSender: "Sender (A-Z)",
  dDateHint: "A date filter leaves out documents without a date, such as the coalition agreement.",
  dShow: "Show documents", dReset: "Clear the filters", loadingDocs: "Loading documents…",
  organisations: "Organisations", noDate: "no date",
  docsHeading: (n, all) => n === all ? (n === 1 ? "1 document" : `All ${n} documents`)
    : `${n} of the ${all} documents`,
  docsStatus: (n) => n === 1 ? "1 document found." : `${n} documents found.`,
  noDocs: "No documents match these filters. Clear a filter or choose another.",
  moreDocs: (n) => `Show more documents (${n} left)`,
  andOthers: (n) => n === 1 ? "and 1 other" : `and ${n} others`,
});

const DOCS_PAGE = 100;     // items drawn at once; the rest on request
const DOCS_FETCH = 500;    // the API's largest page
const SHOWN_ORGS = 4;      // a joint letter's signers beyond these are counted, not listed
const docsCache = new Map();
let docsSeq = 0;         // the newest list request: an older answer arriving late is dropped

function cancelDocs() { docsSeq += 1; }

// Every document the API lists for this kind and organisation (all pages), fetched once.
async function fetchDocs(kind, org) {
  const key = `${kind || ""}\u0000${org || ""}`;
  if (docsCache.has(key)) return docsCache.get(key);
  const all = [];
  for (;;) {
    const p = new URLSearchParams({ offset: String(all.length), limit: String(DOCS_FETCH) });
    if (kind) p.set("kind", kind);
    if (org) p.set("sender", org);
    const page = await api(`/v1/documents?${p}`);
    all.push(...page.documents);
    if (!page.documents.length || all.length >= page.total) break;
  }
  docsCache.set(key, all);
  return all;
}

// Case and accents do not matter: "coalitie" finds "Coalitie", "financien" finds "financiën".
const fold = (x) => (x || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

function docMatches(d, s) {
  if (s.text) {
    const hay = fold([d.title, d.subject, ...(d.heading_path || [])].join(" "));
    if (!fold(s.text).split(/\s+/).filter(Boolean).every((w) => hay.includes(w))) return false;
  }
  if ((s.since || s.until) && !d.date) return false;
  if (s.since && d.date < s.since) return false;
  if (s.until && d.date > s.until) return false;
  return true;
}

function sortDocs(docs, how) {
  const out = [...docs];
  const byDate = (a, b) => (a.date || "").localeCompare(b.date || "");
  if (how === "new") out.sort((a, b) => (!a.date) - (!b.date) || byDate(b, a));
  else if (how === "old") out.sort((a, b) => (!a.date) - (!b.date) || byDate(a, b));
  else if (how === "sender") {
    out.sort((a, b) => (!a.sender) - (!b.sender) || (a.sender || "").localeCompare(b.sender || "", "nl", { sensitivity: "base" }));
  }
  return out;
}

function orgWords(d) {
  const orgs = d.organisations && d.organisations.length ? d.organisations : d.sender ? [d.sender] : [];
  if (orgs.length <= SHOWN_ORGS + 1) return orgs.join(", ");
  return `${orgs.slice(0, SHOWN_ORGS).join(", ")} ${t("andOthers")(orgs.length - SHOWN_ORGS)}`;
}

function docItem(d, s) {
  const items = [
    [t("kind"), t("kinds")[d.kind] || d.kind],
    [d.organisations && d.organisations.length > 1 ? t("organisations") : t("sender"), orgWords(d)],
    [t("date"), d.date ? dateWords(d.date) : t("noDate")],
    d.kind === "agreement_section" ? null : [t("subject"), d.subject],
    [t("reg"), d.registration_number],
  ].filter((x) => x && x[1]);
  return el("li", { class: "doc-item", "data-doc": d.id, "data-kind": d.kind },
    el("h4", {}, el("a", { href: urlFor({ ...s, doc: d.id }), "data-doc": d.id }, d.title)),
    el("dl", { class: "meta" }, items.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v)))));
}

function readDocsForm() {
  const v = (id) => $(id).value.trim();
  return { mode: "docs", text: v("d-text"), org: v("d-org"), doctype: $("d-kind").value,
           since: $("d-since").value, until: $("d-until").value, sort: $("d-sort").value };
}

function writeDocsForm(s) {
  $("d-text").value = s.text || ""; $("d-org").value = s.org || ""; $("d-kind").value = s.doctype || "";
  $("d-since").value = s.since || ""; $("d-until").value = s.until || ""; $("d-sort").value = s.sort || "";
}

function clearDocs() {
  rendered = null;
  $("docs-results").hidden = true;
  fill($("docs-list"));
  $("docs-more").hidden = true; $("docs-more").onclick = null;
}

// What is wrong with the filters, in the reader's words, before anything is sent; null when nothing is.
function docsProblem(s) {
  if (s.since && s.until && s.since > s.until) return t("dateOrder")(dateWords(s.since), dateWords(s.until));
  return tooLong(s.text) || tooLong(s.org);
}

// Show the document list for URL state `s`; resolves once it (or an error) is shown.
async function showDocs(s) {
  setView("docs");
  writeDocsForm(s);
  const seq = ++docsSeq;
  clearDocs();
  const problem = docsProblem(s);
  if (problem) { setStatus(problem, true); return; }
  setStatus(t("loadingDocs"));
  try {
    const everything = await fetchDocs(null, null);
    // Organisations a reader can pick from: every name and short name in the bundle.
    if (!$("d-org-list").children.length) {
      const names = new Set(everything.flatMap((d) => [...(d.organisations || []), ...(d.aliases || [])]));
      fill($("d-org-list"), [...names].sort((a, b) => a.localeCompare(b, "nl", { sensitivity: "base" }))
        .map((n) => el("option", { value: n })));
    }
    const listed = s.doctype || s.org ? await fetchDocs(s.doctype, s.org) : everything;
    if (seq !== docsSeq) return;
    const docs = sortDocs(listed.filter((d) => docMatches(d, s)), s.sort);
    $("docs-heading").textContent = t("docsHeading")(docs.length, everything.length);
    const list = $("docs-list");
    let shown = 0;
    const more = $("docs-more");
    const showMore = () => {
      const items = docs.slice(shown, shown + DOCS_PAGE).map((d) => docItem(d, s));
      list.append(...items);
      shown += items.length;
      more.hidden = shown >= docs.length;
      more.textContent = t("moreDocs")(docs.length - shown);
      return items;
    };
    if (docs.length) showMore();
    else list.append(el("li", { class: "answer none" }, t("noDocs")));
    more.onclick = () => {
      const items = showMore();
      // Keyboard users go on where the new documents begin.
      if (items.length) items[0].querySelector("a").focus();
    };
    $("docs-results").hidden = false;
    setStatus(docs.length ? t("docsStatus")(docs.length) : t("noDocs"));
    $("status").classList.add("visually-hidden");
    keepView(s, "docs");
  } catch (err) {
    if (seq !== docsSeq) return;
    clearDocs();
    setStatus(errorText(err), true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("docs-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = readDocsForm();
    // A deliberate request reads the list afresh (documents can be added while the page is open).
    docsCache.clear();
    const url = urlFor(s);
    if (url !== location.pathname + location.search) history.pushState(null, "", url);
    showDocs(s).then(() => {
      if ($("docs-results").hidden) {
        if ($("status").classList.contains("error")) {
          (s.since && s.until && s.since > s.until ? $("d-since") : tooLong(s.org) ? $("d-org") : $("d-text")).focus();
        }
        return;
      }
      const heading = $("docs-heading");
      if (heading.getBoundingClientRect().top > window.innerHeight / 2) heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    });
  });
  $("d-reset").addEventListener("click", () => {
    writeDocsForm({});
    $("docs-form").requestSubmit();
  });
});
