"use strict";
// The analyst's page: paste or open text, analyse it with /classify, browse the result.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { labels: [], result: null, text: "", selected: null };

  const labelIndex = (name) => state.labels.indexOf(name);
  const slice = (start, end) => state.codePoints.slice(start, end).join("");
  const shortName = (name) => name.split("_").map((w) => w[0].toUpperCase()).join("");

  function swatch(name) {
    const span = document.createElement("span");
    span.className = `swatch label-${labelIndex(name) % 6}`;
    span.textContent = shortName(name);
    span.title = name;
    return span;
  }

  async function loadLabels() {
    try {
      const response = await fetch("/labels");
      if (!response.ok) throw new Error(`the service answered ${response.status}`);
      const body = await response.json();
      state.labels = body.labels.map((l) => l.name);
      state.descriptions = Object.fromEntries(body.labels.map((l) => [l.name, l.description]));
      const names = new Intl.DisplayNames(["en"], { type: "language" });
      state.languageNames = Object.fromEntries(body.languages.map((c) => [c, names.of(c) || c]));
      $("model-info").textContent = "Languages: " + body.models
        .map((m) => `${state.languageNames[m.language]} (model ${m.version})`).join(", ");
      const language = $("language");
      for (const code of body.languages) {
        const option = document.createElement("option");
        option.value = code;
        option.textContent = state.languageNames[code];
        language.append(option);
      }
      const filter = $("filter");
      for (const name of state.labels) {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = `only ${name}`;
        filter.append(option);
      }
      const none = document.createElement("option");
      none.value = "__none__";
      none.textContent = "only unlabelled";
      filter.append(none);
    } catch (err) {
      $("model-info").textContent = `Model not available: ${err.message}`;
    }
  }

  async function analyse() {
    const text = $("text").value;
    if (!text.trim()) {
      setStatus("Paste or open some text first.", true);
      return;
    }
    $("analyse").disabled = true;
    setStatus("Analysing…");
    try {
      const response = await fetch("/classify", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text, explain: true, language: $("language").value || undefined }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || `error ${response.status}`);
      state.text = text;
      state.codePoints = Array.from(text); // offsets count code points, not UTF-16 units
      state.result = body;
      render();
      setStatus(`${languageSummary(body)} ${body.summary.sentences} sentences, ${body.summary.labelled} labelled.`);
    } catch (err) {
      setStatus(`Could not analyse: ${err.message}`, true);
    } finally {
      $("analyse").disabled = false;
    }
  }

  const languageName = (code) => state.languageNames?.[code] || code;

  function languageSummary(body) {
    const how = { request: "as asked", detected: "detected", script: "by script", default: "default" };
    const per = Object.entries(body.summary.languages);
    const mixed = per.length > 1 ? ` (${per.map(([c, n]) => `${n} ${languageName(c)}`).join(", ")})` : "";
    return `${languageName(body.language.code)}, ${how[body.language.source] || body.language.source}${mixed}:`;
  }

  function setStatus(message, isError = false) {
    const status = $("status");
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  function render() {
    const { result } = state;
    if (result.labels) state.labels = result.labels;
    const legend = $("legend");
    legend.replaceChildren();
    for (const name of state.labels) {
      const li = document.createElement("li");
      li.dataset.label = name;
      li.append(swatch(name), ` ${name}: `);
      const count = document.createElement("strong");
      count.className = "count";
      count.textContent = String(result.summary.counts[name] ?? 0);
      li.append(count);
      if (state.descriptions?.[name]) li.title = state.descriptions[name];
      legend.append(li);
    }
    const doc = $("document");
    doc.replaceChildren();
    let pos = 0;
    for (const s of result.sentences) {
      if (s.start > pos) doc.append(document.createTextNode(slice(pos, s.start)));
      const span = document.createElement("span");
      span.className = "sentence";
      span.tabIndex = 0;
      span.dataset.index = String(s.index);
      span.dataset.labels = s.labels.join(" ");
      span.setAttribute("role", "button");
      const spoken = s.labels.length ? `labels: ${s.labels.join(", ")}` : "no label";
      span.setAttribute("aria-label", `Sentence ${s.index + 1}, ${spoken}`);
      span.textContent = s.text;
      if (s.labels.length) {
        span.classList.add("labelled");
        const tags = document.createElement("span");
        tags.className = "tags";
        tags.setAttribute("aria-hidden", "true");
        for (const name of s.labels) {
          span.classList.add(`has-${labelIndex(name) % 6}`);
          tags.append(swatch(name));
        }
        span.append(tags);
      }
      span.addEventListener("click", () => select(s.index));
      span.addEventListener("focus", () => select(s.index));
      span.addEventListener("keydown", (event) => onKey(event, s.index));
      doc.append(span);
      pos = s.end;
    }
    if (pos < state.codePoints.length) {
      doc.append(document.createTextNode(slice(pos, state.codePoints.length)));
    }
    $("results").hidden = false;
    applyFilter();
    $("detail").replaceChildren(Object.assign(document.createElement("p"), {
      className: "muted", textContent: "No sentence selected.",
    }));
  }

  function onKey(event, index) {
    const spans = [...document.querySelectorAll(".sentence:not(.dimmed)")];
    const here = spans.findIndex((el) => Number(el.dataset.index) === index);
    if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      spans[Math.min(here + 1, spans.length - 1)]?.focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      spans[Math.max(here - 1, 0)]?.focus();
      event.preventDefault();
    } else if (event.key === "Enter" || event.key === " ") {
      select(index);
      event.preventDefault();
    }
  }

  function select(index) {
    state.selected = index;
    for (const el of document.querySelectorAll(".sentence")) {
      el.classList.toggle("selected", Number(el.dataset.index) === index);
    }
    const s = state.result.sentences[index];
    const detail = $("detail");
    detail.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = `Sentence ${index + 1} · ${languageName(s.language)}`;
    detail.append(title, quoteWithEvidence(s));

    const table = document.createElement("table");
    table.className = "scores";
    const head = table.createTHead().insertRow();
    for (const h of ["label", "score", ""]) head.append(Object.assign(document.createElement("th"), { textContent: h }));
    for (const name of state.labels) {
      const row = table.insertRow();
      row.dataset.label = name;
      const on = s.labels.includes(name);
      row.insertCell().append(swatch(name), ` ${name}${on ? " ✓" : ""}`);
      row.insertCell().textContent = s.scores[name].toFixed(2);
      const meter = document.createElement("meter");
      meter.min = 0; meter.max = 1; meter.value = s.scores[name];
      meter.setAttribute("aria-label", `${name} score`);
      row.insertCell().append(meter);
    }
    detail.append(table);

    const evidence = s.evidence || {};
    if (!s.labels.length) {
      detail.append(Object.assign(document.createElement("p"), { className: "muted", textContent: "No label: no evidence to show." }));
    }
    for (const name of s.labels) {
      const h = document.createElement("h4");
      h.append("Why ", swatch(name), ` ${name}`);
      const list = document.createElement("ol");
      list.className = "evidence";
      list.dataset.label = name;
      for (const e of evidence[name] || []) {
        const li = document.createElement("li");
        li.textContent = `“${e.text}” +${e.weight.toFixed(2)}`;
        list.append(li);
      }
      detail.append(h, list);
    }
  }

  function quoteWithEvidence(s) {
    const quote = document.createElement("blockquote");
    const marks = new Map();
    for (const name of s.labels) {
      for (const e of (s.evidence || {})[name] || []) {
        for (let i = e.start; i < e.end; i++) marks.set(i, true);
      }
    }
    let buffer = "";
    let marked = false;
    const flush = () => {
      if (!buffer) return;
      if (marked) quote.append(Object.assign(document.createElement("mark"), { textContent: buffer }));
      else quote.append(document.createTextNode(buffer));
      buffer = "";
    };
    let pos = s.start;
    for (const ch of state.codePoints.slice(s.start, s.end)) {
      const m = marks.has(pos);
      if (m !== marked) { flush(); marked = m; }
      buffer += ch;
      pos += 1;
    }
    flush();
    return quote;
  }

  function applyFilter() {
    const value = $("filter").value;
    for (const el of document.querySelectorAll(".sentence")) {
      const labels = el.dataset.labels ? el.dataset.labels.split(" ") : [];
      const show = !value || (value === "__none__" ? labels.length === 0 : labels.includes(value));
      el.classList.toggle("dimmed", !show);
      el.tabIndex = show ? 0 : -1;
    }
  }

  function download(name, type, content) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
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

  document.addEventListener("DOMContentLoaded", () => {
    loadLabels();
    $("analyse").addEventListener("click", analyse);
    $("text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
    });
    $("file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      $("text").value = await file.text();
      setStatus(`Opened ${file.name}.`);
    });
    $("filter").addEventListener("change", applyFilter);
    $("export-json").addEventListener("click", () =>
      download("framing.json", "application/json", JSON.stringify(state.result, null, 2)));
    $("export-csv").addEventListener("click", () =>
      download("framing.csv", "text/csv", exportCsv()));
  });
})();
