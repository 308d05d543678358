"use strict";
// The analyst's page: paste or open text, analyse it with /classify, browse the result.
(() => {
  const $ = (id) => document.getElementById(id);
  const NARROW = window.matchMedia("(max-width: 800px)");
  const state = {
    labels: [],
    descriptions: {},
    thresholds: {}, // label -> language -> threshold, from GET /labels
    languageNames: {},
    result: null,
    text: "", // the text the result is for
    language: "", // the language asked for with it ("" = detect)
    codePoints: [],
    selected: null, // index of the sentence whose details are shown
    quiet: false, // focus is being moved without choosing the sentence
    active: null, // index of the sentence that holds the document's one Tab stop
    sourceName: "text", // the opened file's name, for export file names
    resultSource: "text",
    analysedAt: null,
    failed: null, // the message of the last analysis, when it failed
    token: null, // the annotator's token, once it signed in
    annotator: null, // the annotator's name
    corrections: 0, // corrections stored under that name
    drafts: new Map(), // sentence index -> Set of labels about to be confirmed
    review: null, // {items, index, drafts, saved, skipped, failed} while reviewing a queue
  };

  const labelIndex = (name) => state.labels.indexOf(name);
  const colour = (name) => Math.max(0, labelIndex(name)) % 6;
  const slice = (start, end) => state.codePoints.slice(start, end).join("");
  const shortName = (name) => name.split("_").map((w) => w[0].toUpperCase()).join("");
  const spoken = (name) => name.replaceAll("_", " ");
  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };

  function swatch(name) {
    return el("span", { className: `swatch label-${colour(name)}`, textContent: shortName(name), title: name });
  }

  async function loadLabels() {
    $("model-info").textContent = "Loading model…";
    try {
      const response = await fetch("/labels");
      if (!response.ok) throw new Error(`the service answered ${response.status}`);
      const body = await response.json();
      state.labels = body.labels.map((l) => l.name);
      state.descriptions = Object.fromEntries(body.labels.map((l) => [l.name, l.description]));
      state.thresholds = Object.fromEntries(body.labels.map((l) => [l.name, l.thresholds || {}]));
      const names = new Intl.DisplayNames(["en"], { type: "language" });
      state.languageNames = Object.fromEntries(body.languages.map((c) => [c, names.of(c) || c]));
      $("model-info").textContent = "Languages: " + body.models
        .map((m) => `${state.languageNames[m.language]} (model ${m.version})`).join(", ");
      for (const code of body.languages) {
        $("language").append(el("option", { value: code, textContent: state.languageNames[code] }));
      }
      for (const name of state.labels) {
        $("filter").append(el("option", { value: name, textContent: `only ${name}` }));
      }
      $("filter").append(el("option", { value: "__none__", textContent: "only unlabelled" }));
    } catch (err) {
      $("model-info").textContent = `Model not available: ${err.message}`;
    }
  }

  // ---------------------------------------------------------------- analysing

  function problemMessage(body, status) {
    if (body && typeof body === "object") {
      const first = Array.isArray(body.errors) && body.errors[0]?.message;
      return body.detail || first || body.title || `error ${status}`;
    }
    return `error ${status}`;
  }

  async function analyse() {
    const text = $("text").value;
    if (!text.trim()) {
      setStatus("Paste or open some text first.", { error: true, problem: "empty" });
      return;
    }
    const language = $("language").value;
    $("analyse").disabled = true;
    setStatus("Analysing…");
    try {
      const response = await fetch("/classify", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, explain: true, language: language || undefined }),
      });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (!response.ok) {
        const error = new Error(problemMessage(body, response.status));
        error.problem = body?.type?.split(/[/:]/).pop() || String(response.status);
        throw error;
      }
      state.text = text;
      state.language = language;
      state.codePoints = Array.from(text); // offsets count code points, not UTF-16 units
      state.result = body;
      state.failed = null;
      state.analysedAt = new Date();
      state.resultSource = state.sourceName;
      render();
      $("results").dataset.language = body.language.code;
      $("results").dataset.languageSource = body.language.source;
      setStatus(`${languageSummary(body)} ${body.summary.sentences} sentences, ${body.summary.labelled} labelled.`);
    } catch (err) {
      state.failed = err.message;
      setStatus(`Could not analyse: ${err.message}`, { error: true, problem: err.problem || "network" });
    } finally {
      $("analyse").disabled = false;
      markStale();
    }
  }

  const languageName = (code) => state.languageNames[code] || code;

  function languageSummary(body) {
    const how = { request: "as asked", detected: "detected", script: "by script", default: "default" };
    const per = Object.entries(body.summary.languages);
    const mixed = per.length > 1 ? ` (${per.map(([c, n]) => `${n} ${languageName(c)}`).join(", ")})` : "";
    return `${languageName(body.language.code)}, ${how[body.language.source] || body.language.source}${mixed}:`;
  }

  function setStatus(message, { error = false, problem = null, encoding = null } = {}) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", error);
    for (const [key, value] of Object.entries({ problem, encoding })) {
      if (value) status.dataset[key] = value;
      else delete status.dataset[key];
    }
  }

  // A result is stale once the text or the language asked for differs from what it was
  // made for, or the last analysis failed: it is marked, and the mark says why.
  function markStale() {
    if (!state.result) return;
    const edited = $("text").value !== state.text || $("language").value !== state.language;
    const reason = state.failed ? "failed" : edited ? "edited" : "";
    const results = $("results");
    const note = $("stale");
    results.classList.toggle("stale", Boolean(reason));
    if (reason) results.dataset.stale = reason;
    else delete results.dataset.stale;
    note.hidden = !reason;
    note.textContent = reason === "failed"
      ? "The last analysis failed: this result is for the text as it was before. Press Analyse to try again."
      : "The text or language has changed since this result. Press Analyse to update it.";
    if (reason) $("document").setAttribute("aria-description", "out of date: the text has changed");
    else $("document").removeAttribute("aria-description");
  }

  // ---------------------------------------------------------------- the document

  function render() {
    const { result } = state;
    if (result.labels) state.labels = result.labels;
    const legend = $("legend");
    legend.replaceChildren();
    for (const name of state.labels) {
      const count = el("strong", { className: "count", textContent: String(result.summary.counts[name] ?? 0) });
      const li = el("li", {}, swatch(name), ` ${name}: `, count);
      li.dataset.label = name;
      if (state.descriptions[name]) li.title = state.descriptions[name];
      legend.append(li);
    }
    const doc = $("document");
    doc.replaceChildren();
    let pos = 0;
    const total = result.sentences.length;
    for (const s of result.sentences) {
      if (s.start > pos) doc.append(document.createTextNode(slice(pos, s.start)));
      const span = el("span", { className: "sentence", id: `sentence-${s.index}`, tabIndex: -1 }, s.text);
      span.dataset.index = String(s.index);
      span.dataset.labels = s.labels.join(" ");
      span.setAttribute("role", "option");
      span.setAttribute("aria-selected", "false");
      const said = s.labels.length ? `labels: ${s.labels.map(spoken).join(", ")}` : "no label";
      span.setAttribute("aria-label", `${s.text} (sentence ${s.index + 1} of ${total}, ${said})`);
      if (s.labels.length) {
        span.classList.add("labelled");
        const tags = el("span", { className: "tags" });
        tags.setAttribute("aria-hidden", "true");
        for (const name of s.labels) {
          span.classList.add(`has-${colour(name)}`);
          tags.append(swatch(name));
        }
        span.append(tags);
      }
      doc.append(span);
      pos = s.end;
    }
    if (pos < state.codePoints.length) doc.append(document.createTextNode(slice(pos, state.codePoints.length)));
    $("results").hidden = false;
    state.drafts = new Map();
    state.selected = null;
    state.active = null;
    applyFilter();
    showNothing();
  }

  const spans = () => [...document.querySelectorAll("#document .sentence")];
  const visible = () => spans().filter((node) => !node.classList.contains("dimmed"));
  const spanOf = (index) => $(`sentence-${index}`);

  // The roving Tab stop: only one sentence is in the Tab order.
  function setActive(index) {
    state.active = index;
    for (const node of spans()) node.tabIndex = Number(node.dataset.index) === index ? 0 : -1;
  }

  function moveTo(node) {
    if (!node) return;
    node.focus(); // focusin selects it
  }

  function onDocumentKey(event) {
    const target = event.target.closest?.(".sentence");
    if (!target || event.altKey || event.ctrlKey || event.metaKey) return;
    const shown = visible();
    const here = shown.indexOf(target);
    let next = null;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowRight":
        next = shown[Math.min(here + 1, shown.length - 1)];
        break;
      case "ArrowUp":
      case "ArrowLeft":
        next = shown[Math.max(here - 1, 0)];
        break;
      case "Home":
        next = shown[0];
        break;
      case "End":
        next = shown[shown.length - 1];
        break;
      case "Enter":
        if (state.annotator && state.selected === Number(target.dataset.index)) {
          event.preventDefault();
          confirmSentence(state.selected);
          return;
        }
        select(Number(target.dataset.index));
        break;
      case " ":
        select(Number(target.dataset.index));
        break;
      default:
        return;
    }
    event.preventDefault();
    moveTo(next);
  }

  function select(index) {
    state.selected = index;
    setActive(index);
    for (const node of spans()) {
      const on = Number(node.dataset.index) === index;
      node.classList.toggle("selected", on);
      node.setAttribute("aria-selected", String(on));
    }
    showDetail(state.result.sentences[index]);
    updateFlaggedButtons();
  }

  // ---------------------------------------------------------------- the detail panel

  function showNothing() {
    $("detail-title").textContent = "No sentence selected";
    $("detail-body").replaceChildren(el("p", { className: "muted", textContent: "Choose a sentence to see its scores and evidence." }));
    const detail = $("detail");
    detail.classList.remove("open");
    $("layout").classList.remove("has-detail");
    detail.dataset.index = "";
    detail.style.marginTop = "";
    for (const node of spans()) {
      node.classList.remove("selected");
      node.setAttribute("aria-selected", "false");
    }
    updateFlaggedButtons();
  }

  // Closing keeps the sentence as the document's Tab stop, and focus on it, unselected.
  function closeDetail() {
    const index = state.selected;
    state.selected = null;
    showNothing();
    if (index === null) return;
    state.quiet = true; // focusing it must not open the details again
    try {
      spanOf(index)?.focus({ preventScroll: true });
    } finally {
      state.quiet = false;
    }
  }

  function showDetail(s) {
    const detail = $("detail");
    detail.dataset.index = String(s.index);
    detail.dataset.language = s.language;
    $("detail-title").textContent = `Sentence ${s.index + 1} of ${state.result.sentences.length} · ${languageName(s.language)}`;
    const body = $("detail-body");
    body.replaceChildren(quoteWithEvidence(s), scoreTable(s));
    if (!s.labels.length) {
      body.append(el("p", { className: "muted", textContent: "No label: no evidence to show." }));
    }
    const evidence = s.evidence || {};
    for (const name of s.labels) {
      const list = el("ol", { className: "evidence" });
      list.dataset.label = name;
      for (const e of evidence[name] || []) {
        const mark = el("mark", { className: `ev ev-${colour(name)}`, textContent: e.text });
        list.append(el("li", {}, mark, ` +${e.weight.toFixed(2)}`));
      }
      body.append(el("h4", {}, "Why ", swatch(name), ` ${name}`), list);
    }
    if (state.annotator) body.append(correctionBlock(s));
    detail.classList.add("open");
    $("layout").classList.add("has-detail");
    placeDetail();
  }

  // Wide screens: the panel stands beside the chosen sentence. Narrow ones: a bottom
  // sheet, with the sentence scrolled into view above it.
  function placeDetail() {
    const detail = $("detail");
    const span = state.selected === null ? null : spanOf(state.selected);
    if (!span) return;
    if (NARROW.matches) {
      detail.style.marginTop = "";
      const sheetTop = detail.getBoundingClientRect().top;
      const box = span.getBoundingClientRect();
      if (box.bottom > sheetTop - 8 || box.top < 0) {
        window.scrollBy({ top: box.top - Math.max(16, (sheetTop - box.height) / 3), behavior: "instant" });
      }
      return;
    }
    const doc = $("document");
    const top = span.getBoundingClientRect().top - doc.getBoundingClientRect().top;
    detail.style.marginTop = `${Math.max(0, Math.round(top - 8))}px`;
    const box = detail.getBoundingClientRect();
    if (box.bottom > window.innerHeight && box.height < window.innerHeight) {
      window.scrollBy({ top: box.bottom - window.innerHeight + 16, behavior: "instant" });
    }
  }

  function quoteWithEvidence(s) {
    // For each code point of the sentence, the labels whose evidence covers it.
    const marks = new Map();
    for (const name of s.labels) {
      for (const e of (s.evidence || {})[name] || []) {
        for (let i = e.start; i < e.end; i++) {
          if (!marks.has(i)) marks.set(i, new Set());
          marks.get(i).add(name);
        }
      }
    }
    const quote = el("blockquote");
    let buffer = "";
    let current = "";
    const flush = () => {
      if (!buffer) return;
      if (!current) {
        quote.append(document.createTextNode(buffer));
      } else {
        // One mark per label, nested, each in its label's colour.
        const names = current.split(" ");
        let node = document.createTextNode(buffer);
        for (const name of [...names].reverse()) {
          const mark = el("mark", { className: `ev ev-${colour(name)}`, title: `evidence for ${name}` });
          mark.dataset.label = name;
          mark.append(node);
          node = mark;
        }
        quote.append(node);
      }
      buffer = "";
    };
    let pos = s.start;
    for (const ch of state.codePoints.slice(s.start, s.end)) {
      const here = marks.has(pos) ? state.labels.filter((n) => marks.get(pos).has(n)).join(" ") : "";
      if (here !== current) {
        flush();
        current = here;
      }
      buffer += ch;
      pos += 1;
    }
    flush();
    return quote;
  }

  function scoreTable(s) {
    const table = el("table", { className: "scores" });
    const head = table.createTHead().insertRow();
    for (const h of ["label", "score", "against its threshold"]) head.append(el("th", { textContent: h }));
    for (const name of state.labels) {
      const row = table.insertRow();
      row.dataset.label = name;
      const on = s.labels.includes(name);
      const score = s.scores[name];
      const threshold = state.thresholds[name]?.[s.language];
      row.insertCell().append(swatch(name), ` ${name}${on ? " ✓" : ""}`);
      row.insertCell().textContent = score.toFixed(2);
      const bar = el("div", { className: `bar${on ? ` on label-${colour(name)}` : ""}` });
      bar.setAttribute("role", "meter");
      bar.setAttribute("aria-label", `${name} score`);
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "1");
      bar.setAttribute("aria-valuenow", String(score));
      const fill = el("div", { className: "fill" });
      fill.style.width = `${(100 * score).toFixed(1)}%`;
      bar.append(fill);
      let said = score.toFixed(2);
      if (threshold !== undefined) {
        const tick = el("div", { className: "threshold", title: `threshold ${threshold.toFixed(2)}` });
        tick.style.left = `${(100 * threshold).toFixed(1)}%`;
        bar.append(tick);
        bar.dataset.threshold = String(threshold);
        said += score >= threshold ? `, at or above the threshold ${threshold.toFixed(2)}` : `, below the threshold ${threshold.toFixed(2)}`;
      }
      bar.setAttribute("aria-valuetext", said);
      const cell = row.insertCell();
      cell.append(bar);
      if (threshold !== undefined) {
        cell.append(el("span", { className: "threshold-text", textContent: `threshold ${threshold.toFixed(2)}` }));
      }
    }
    return table;
  }


  // ---------------------------------------------------------------- corrections

  const TOKEN_KEY = "framing-annotator-token";

  async function feedbackFetch(path, options = {}) {
    const headers = { ...(options.headers || {}), authorization: `Bearer ${state.token}` };
    const response = await fetch(path, { ...options, headers });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = new Error(problemMessage(body, response.status));
      error.problem = body?.type?.split(/[/:]/).pop() || String(response.status);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function showAnnotator() {
    const status = $("annotator-status");
    status.dataset.annotator = state.annotator || "";
    status.dataset.count = String(state.corrections);
    if (state.annotator) {
      status.dataset.state = "signed-in";
      status.textContent = `Signed in as ${state.annotator}: ${state.corrections} corrections stored.`;
    }
  }

  async function signIn(token) {
    const status = $("annotator-status");
    if (!token) return;
    state.token = token;
    status.dataset.state = "checking";
    try {
      const me = await feedbackFetch("/feedback/me");
      state.annotator = me.annotator;
      state.corrections = me.corrections;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      showAnnotator();
    } catch (err) {
      state.annotator = null;
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      status.dataset.state = { 404: "off", 401: "wrong" }[err.status] || "error";
      status.dataset.problem = err.problem || "network";
      status.textContent = err.status === 404
        ? "Corrections are off on this service (no annotator tokens are set)."
        : err.status === 401 ? "That is not an annotator's token." : `Could not sign in: ${err.message}`;
    }
    $("review-actions").hidden = !state.annotator;
    document.body.classList.toggle("annotating", Boolean(state.annotator));
    if (state.selected !== null && state.result) showDetail(state.result.sentences[state.selected]);
  }

  const modelVersion = (language) =>
    (state.result?.models || []).find((m) => m.language === language)?.version || "unknown";

  function draftOf(index) {
    if (!state.drafts.has(index)) state.drafts.set(index, new Set(state.result.sentences[index].labels));
    return state.drafts.get(index);
  }

  // Buttons for the label keys: a digit per label, 0 for none, Enter to confirm. They
  // keep focus where it is (on the sentence or the review), so the keys go on working.
  function labeller(draft, onChange, onConfirm) {
    const box = el("div", { className: "labeller" });
    const update = () => {
      for (const button of box.querySelectorAll("button[data-label]")) {
        button.setAttribute("aria-pressed", String(draft.has(button.dataset.label)));
      }
      box.dataset.labels = state.labels.filter((l) => draft.has(l)).join(" ");
    };
    state.labels.forEach((name, i) => {
      const button = el("button", { type: "button", tabIndex: -1 }, el("kbd", { textContent: String(i + 1) }), " ", swatch(name), ` ${name}`);
      button.dataset.label = name;
      button.addEventListener("click", () => {
        toggle(draft, name);
        onChange();
      });
      box.append(button);
    });
    const none = el("button", { type: "button", tabIndex: -1 }, el("kbd", { textContent: "0" }), " none");
    none.dataset.none = "true";
    none.addEventListener("click", () => {
      draft.clear();
      onChange();
    });
    const confirm = el("button", { type: "button", tabIndex: -1, className: "confirm" }, el("kbd", { textContent: "Enter" }), " confirm");
    confirm.dataset.confirm = "true";
    confirm.addEventListener("click", onConfirm);
    box.append(none, confirm);
    for (const button of box.querySelectorAll("button")) button.addEventListener("mousedown", (e) => e.preventDefault());
    box.refresh = update;
    update();
    return box;
  }

  function toggle(draft, name) {
    if (draft.has(name)) draft.delete(name);
    else draft.add(name);
  }

  // A digit, 0 or Enter for a labeller; true when the key was one of them.
  function labelKey(event, draft, refresh, confirm) {
    if (event.altKey || event.ctrlKey || event.metaKey) return false;
    if (event.key === "Enter") {
      confirm();
    } else if (event.key === "0") {
      draft.clear();
      refresh();
    } else if (/^[1-9]$/.test(event.key) && Number(event.key) <= state.labels.length) {
      toggle(draft, state.labels[Number(event.key) - 1]);
      refresh();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  function correctionBlock(s) {
    const draft = draftOf(s.index);
    const box = el("div", { id: "correction", className: "correction" });
    box.dataset.index = String(s.index);
    const span = spanOf(s.index);
    box.dataset.state = span?.dataset.correction || "draft";
    const labeller_ = labeller(draft, () => labeller_.refresh(), () => confirmSentence(s.index));
    box.append(el("h4", { textContent: "Correct this sentence" }), labeller_);
    return box;
  }

  function refreshCorrection() {
    $("correction")?.querySelector(".labeller")?.refresh();
  }

  // Saves the draft of a sentence and moves to the next one at once; the sentence shows
  // whether it was saved (data-correction: saving, saved, failed).
  async function confirmSentence(index) {
    const s = state.result.sentences[index];
    const labels = state.labels.filter((l) => draftOf(index).has(l));
    const span = spanOf(index);
    span.dataset.correction = "saving";
    const shown = visible();
    const next = shown[shown.indexOf(span) + 1];
    if (next) moveTo(next);
    else if (state.selected === index) $("correction").dataset.state = "saving";
    try {
      const record = await feedbackFetch("/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: s.text, labels, language: s.language, model_version: modelVersion(s.language) }),
      });
      span.dataset.correction = "saved";
      span.dataset.corrected = record.labels.join(" ");
      span.dataset.revision = String(record.revision);
      if (record.revision === 1) state.corrections += 1;
      showAnnotator();
    } catch (err) {
      span.dataset.correction = "failed";
      span.dataset.problem = err.problem || "network";
      setStatus(`Could not save the correction of sentence ${index + 1}: ${err.message}`, { error: true, problem: err.problem || "network" });
    }
    if (state.selected === index && $("correction")) $("correction").dataset.state = span.dataset.correction;
  }

  // ---------------------------------------------------------------- the review queue

  function startReview(items) {
    if (!items.length) {
      setStatus("The queue is empty: nothing to review.", { problem: "empty-queue" });
      return;
    }
    state.review = { items, index: 0, drafts: items.map((q) => new Set(q.labels || [])), saved: 0, skipped: 0, failed: 0 };
    $("review").hidden = false;
    renderReview();
    $("review").focus();
  }

  function renderReview() {
    const r = state.review;
    const box = $("review");
    const total = r.items.length;
    box.dataset.total = String(total);
    box.dataset.index = String(r.index);
    box.dataset.saved = String(r.saved);
    box.dataset.skipped = String(r.skipped);
    box.dataset.failed = String(r.failed);
    $("review-progress").max = total;
    $("review-progress").value = r.index;
    const item = $("review-item");
    if (r.index >= total) {
      box.dataset.done = "true";
      $("review-count").textContent = `All ${total} reviewed: ${r.saved} saved, ${r.skipped} skipped${r.failed ? `, ${r.failed} not saved` : ""}.`;
      item.replaceChildren();
      return;
    }
    box.dataset.done = "false";
    $("review-count").textContent = `Sentence ${r.index + 1} of ${total}`;
    const q = r.items[r.index];
    const draft = r.drafts[r.index];
    const said = (q.labels || []).length ? (q.labels || []).map((l) => swatch(l)) : [el("span", { className: "muted", textContent: "no label" })];
    const facts = el("p", { className: "muted" }, `The model gives: `, ...said,
      q.nearest ? ` · least sure of ${q.nearest} (${(q.scores?.[q.nearest] ?? 0).toFixed(2)} against ${Number(q.threshold).toFixed(2)})` : "",
      q.source ? ` · ${q.source}` : "");
    const lab = labeller(draft, () => lab.refresh(), confirmReview);
    item.replaceChildren(el("blockquote", { className: "review-text", textContent: q.text }), facts, lab);
    item.dataset.text = q.text;
  }

  async function confirmReview() {
    const r = state.review;
    if (!r || r.index >= r.items.length) return;
    const q = r.items[r.index];
    const labels = state.labels.filter((l) => r.drafts[r.index].has(l));
    r.index += 1;
    renderReview();
    try {
      const record = await feedbackFetch("/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          text: q.text, labels, language: q.language, source: q.source ?? null,
          document_id: q.document_id ?? null, model_version: q.model_version || modelVersion(q.language),
        }),
      });
      r.saved += 1;
      if (record.revision === 1) state.corrections += 1;
      showAnnotator();
    } catch (err) {
      r.failed += 1;
      setStatus(`Could not save a correction: ${err.message}`, { error: true, problem: err.problem || "network" });
    }
    $("review").dataset.saved = String(r.saved);
    $("review").dataset.failed = String(r.failed);
    if (r.index >= r.items.length) renderReview();
  }

  function onReviewKey(event) {
    const r = state.review;
    if (!r || typing(event.target)) return;
    if (event.key === "Escape") {
      $("review").hidden = true;
      state.review = null;
      event.preventDefault();
      return;
    }
    if (r.index >= r.items.length) return;
    if ((event.key === "s" || event.key === "S") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      r.index += 1;
      r.skipped += 1;
      renderReview();
      event.preventDefault();
      return;
    }
    const lab = $("review-item").querySelector(".labeller");
    labelKey(event, r.drafts[r.index], () => lab.refresh(), confirmReview);
  }

  async function queueFromText() {
    const text = $("text").value;
    if (!text.trim()) {
      setStatus("Paste or open some text first.", { error: true, problem: "empty" });
      return;
    }
    setStatus("Choosing the sentences the model is least sure of…");
    try {
      const body = await feedbackFetch("/feedback/queue", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ texts: [{ text, language: $("language").value || undefined }], size: 20 }),
      });
      setStatus(`${body.queue.length} of ${body.sentences} sentences to review.`);
      startReview(body.queue);
    } catch (err) {
      setStatus(`Could not make a queue: ${err.message}`, { error: true, problem: err.problem || "network" });
    }
  }

  async function openQueue(file) {
    let items;
    try {
      items = (await file.text()).split(/\r?\n/).filter((line) => line.trim()).map((line) => JSON.parse(line));
      if (!items.every((q) => typeof q.text === "string" && typeof q.language === "string")) throw new Error("not a queue");
    } catch {
      setStatus(`Could not open ${file.name}: it is not a queue file (framing queue writes them).`, { error: true, problem: "queue-file" });
      return;
    }
    setStatus(`Opened ${file.name}: ${items.length} sentences to review.`);
    startReview(items);
  }

  // ---------------------------------------------------------------- filter, flagged

  function applyFilter() {
    const value = $("filter").value;
    for (const node of spans()) {
      const labels = node.dataset.labels ? node.dataset.labels.split(" ") : [];
      const show = !value || (value === "__none__" ? labels.length === 0 : labels.includes(value));
      node.classList.toggle("dimmed", !show);
      node.setAttribute("aria-disabled", String(!show));
    }
    const shown = visible();
    const keep = shown.find((node) => Number(node.dataset.index) === state.active);
    const first = keep || shown[0];
    setActive(first ? Number(first.dataset.index) : null);
    updateFlaggedButtons();
  }

  function flagged() {
    return visible().filter((node) => node.dataset.labels);
  }

  // The next (1) or previous (-1) flagged sentence among those shown, from the chosen
  // one; with none chosen, "next" is the first.
  function flaggedStep(direction) {
    const list = flagged();
    const from = state.selected;
    let target;
    if (from === null) target = direction > 0 ? list[0] : null;
    else if (direction > 0) target = list.find((node) => Number(node.dataset.index) > from);
    else target = [...list].reverse().find((node) => Number(node.dataset.index) < from);
    return target || null;
  }

  function goFlagged(direction) {
    const target = flaggedStep(direction);
    if (target) moveTo(target);
  }

  function updateFlaggedButtons() {
    $("prev-flagged").disabled = !state.result || !flaggedStep(-1);
    $("next-flagged").disabled = !state.result || !flaggedStep(1);
  }

  // ---------------------------------------------------------------- files

  // The encoding of a .txt file, told from its bytes: a byte order mark (UTF-8, UTF-16);
  // UTF-16 without one (zero bytes in every other place); valid UTF-8; else Cyrillic in a
  // single-byte encoding, when the bytes above 127 are letters that stand in words: in
  // Windows-1251 lower-case letters are E0-FF, in KOI8-R C0-DF, and running text is
  // mostly lower case. Anything else is refused rather than guessed.
  function detectEncoding(bytes) {
    const n = bytes.length;
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
    const sample = bytes.subarray(0, 65536);
    let even = 0;
    let odd = 0;
    for (let i = 0; i < sample.length; i++) if (sample[i] === 0) (i % 2 ? odd++ : even++);
    const half = sample.length / 2;
    if (half >= 2 && odd > 0.3 * half && even < 0.05 * half) return "utf-16le";
    if (half >= 2 && even > 0.3 * half && odd < 0.05 * half) return "utf-16be";
    if (even + odd > 0) return null; // zero bytes: not text
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      return "utf-8";
    } catch {
      // not UTF-8: perhaps a single-byte Cyrillic encoding
    }
    let high = 0;
    let letters = 0;
    let inWords = 0;
    let upperHalf = 0; // E0-FF
    let lowerHalf = 0; // C0-DF
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (b < 0x80) continue;
      high++;
      if (b >= 0xc0 || b === 0xa8 || b === 0xb8 || b === 0xa3 || b === 0xb3) letters++;
      if (b >= 0xe0) upperHalf++;
      else if (b >= 0xc0) lowerHalf++;
      if ((i > 0 && bytes[i - 1] >= 0x80) || (i + 1 < n && bytes[i + 1] >= 0x80)) inWords++;
    }
    if (high === 0 || letters < 0.95 * high || inWords < 0.7 * high) return null;
    return upperHalf >= lowerHalf ? "windows-1251" : "koi8-r";
  }

  const ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-16le": "UTF-16",
    "utf-16be": "UTF-16 (big-endian)",
    "windows-1251": "Windows-1251",
    "koi8-r": "KOI8-R",
  };
  const MAX_FILE_BYTES = 10 * 1024 * 1024;

  async function openFile(file) {
    const refuse = (why, problem) =>
      setStatus(`Could not open ${file.name}: ${why}`, { error: true, problem });
    if (file.size > MAX_FILE_BYTES) {
      refuse("it is over 10 MB; the service takes much less text at a time.", "too-large");
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!bytes.length) {
      refuse("the file is empty.", "empty");
      return;
    }
    const encoding = detectEncoding(bytes);
    if (!encoding) {
      refuse("it is not UTF-8, UTF-16, Windows-1251 or KOI8-R text. Save it as UTF-8 (UTF-8 is what most editors offer) and open it again.", "encoding");
      return;
    }
    let text;
    try {
      text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      refuse(`it is not valid ${ENCODING_NAMES[encoding]} text.`, "encoding");
      return;
    }
    if (!text.trim()) {
      refuse("the file holds no text.", "empty");
      return;
    }
    $("text").value = text;
    state.sourceName = file.name.replace(/\.[^.]*$/, "") || "text";
    markStale();
    setStatus(`Opened ${file.name} (${ENCODING_NAMES[encoding]}).`, { encoding });
  }

  // ---------------------------------------------------------------- exports

  function download(name, type, content) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // "<source>-framing-<YYYYMMDD-HHMMSS>.<ext>": the opened file's name (or "text") and
  // the local time of the analysis.
  function exportName(ext) {
    const t = state.analysedAt || new Date();
    const two = (v) => String(v).padStart(2, "0");
    const stamp = `${t.getFullYear()}${two(t.getMonth() + 1)}${two(t.getDate())}-${two(t.getHours())}${two(t.getMinutes())}${two(t.getSeconds())}`;
    const source = state.resultSource.normalize("NFC").replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^[._]+/, "").slice(0, 80) || "text";
    return `${source}-framing-${stamp}.${ext}`;
  }

  const csvCell = (v) => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };

  function exportCsv() {
    const header = ["index", "start", "end", "language", "text", "labels", ...state.labels.map((l) => `score_${l}`)];
    const rows = state.result.sentences.map((s) => [
      s.index, s.start, s.end, s.language, s.text, s.labels.join(";"), ...state.labels.map((l) => s.scores[l]),
    ]);
    return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  // ---------------------------------------------------------------- wiring

  const typing = (target) => target.closest?.("textarea, input, select, [contenteditable]");

  document.addEventListener("DOMContentLoaded", () => {
    $("app").hidden = false;
    loadLabels();
    $("analyse").addEventListener("click", analyse);
    $("text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
    });
    $("text").addEventListener("input", () => {
      if (!$("text").value) state.sourceName = "text";
      markStale();
    });
    $("language").addEventListener("change", markStale);
    $("file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) await openFile(file);
      event.target.value = "";
    });
    $("filter").addEventListener("change", applyFilter);
    $("prev-flagged").addEventListener("click", () => goFlagged(-1));
    $("next-flagged").addEventListener("click", () => goFlagged(1));
    $("close-detail").addEventListener("click", closeDetail);
    const doc = $("document");
    doc.addEventListener("keydown", onDocumentKey);
    doc.addEventListener("focusin", (event) => {
      const target = event.target.closest(".sentence");
      if (!target) return;
      if (state.quiet) setActive(Number(target.dataset.index));
      else select(Number(target.dataset.index));
    });
    doc.addEventListener("click", (event) => {
      const target = event.target.closest(".sentence");
      if (target && document.activeElement !== target) target.focus();
    });
    $("sign-in").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("token").value.trim());
    });
    $("review-text").addEventListener("click", queueFromText);
    $("queue-file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) await openQueue(file);
      event.target.value = "";
    });
    $("review").addEventListener("keydown", onReviewKey);
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
    document.addEventListener("keydown", (event) => {
      if (!state.result || typing(event.target) || event.defaultPrevented) return;
      if (event.target.closest?.("#review")) return; // the review has its own keys
      // Label keys for the chosen sentence, when signed in (Enter is the document's).
      const inResult = event.target.closest?.("#document, #detail");
      if (state.annotator && state.selected !== null && inResult && event.key !== "Enter") {
        const draft = draftOf(state.selected);
        if (labelKey(event, draft, refreshCorrection, () => confirmSentence(state.selected))) return;
      }
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "n" || event.key === "N") {
        goFlagged(1);
        event.preventDefault();
      } else if (event.key === "p" || event.key === "P") {
        goFlagged(-1);
        event.preventDefault();
      } else if (event.key === "Escape" && state.selected !== null) {
        closeDetail();
        event.preventDefault();
      }
    });
    NARROW.addEventListener("change", placeDetail);
    window.addEventListener("resize", placeDetail);
    $("export-json").addEventListener("click", () =>
      download(exportName("json"), "application/json", JSON.stringify(state.result, null, 2)));
    $("export-csv").addEventListener("click", () =>
      download(exportName("csv"), "text/csv", exportCsv()));
  });
})();
