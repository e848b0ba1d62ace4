// bbo dashboard: one trial: parameters, metrics, replicate samples, source, stderr, LLM exchange.
"use strict";

BBO.kv = function (id, obj) {
  return BBO.el("table", { class: "kv", id }, BBO.el("tbody", {},
    Object.entries(obj).map(([k, v]) => BBO.el("tr", {}, BBO.el("td", {}, k),
      BBO.el("td", { class: typeof v === "number" ? "" : "l" },
        typeof v === "object" && v !== null ? JSON.stringify(v) : BBO.num(v))))));
};

BBO.llmSection = function (llm) {
  const out = [BBO.el("h2", {}, "LLM proposal")];
  const meta = {};
  for (const k of ["model", "finish_reason", "requested", "accepted", "elapsed_s", "error"]) {
    if (llm[k] !== undefined && llm[k] !== null) meta[k] = llm[k];
  }
  out.push(BBO.kv("llm-meta", meta));
  for (const m of llm.messages || []) {
    out.push(BBO.el("div", { class: "msg prompt" }, BBO.el("b", {}, `${m.role}:`),
      BBO.el("pre", {}, typeof m.content === "string" ? m.content : JSON.stringify(m.content, null, 1))));
  }
  if (llm.response) {
    out.push(BBO.el("div", { class: "msg answer", id: "llm-answer" }, BBO.el("b", {}, "answer:"),
                    BBO.el("pre", {}, llm.response)));
  }
  return out;
};

BBO.trialPage = function (main, name, id) {
  const box = BBO.el("div", { id: "trial" });
  main.append(box);
  let last = "";
  return BBO.every(1000, async () => {
    const t = await BBO.api("/api/trial", { name, id });
    const key = JSON.stringify(t);
    if (key === last) return;
    last = key;
    const parts = [BBO.el("h1", { id: "title" }, `Trial ${t.id} of `, BBO.link(BBO.studyHref(name), name)),
      BBO.cards([["state", t.state, t.state], ["source", t.source || "?"],
                 ["seconds", t.finished ? BBO.num(+(t.finished - t.created).toFixed(3)) : "running"],
                 ["created", new Date(t.created * 1000).toLocaleString()]])];
    if (t.reason) parts.push(BBO.el("p", { id: "reason", class: "error" }, `reason: ${t.reason}`));
    if (t.retry_of !== null) parts.push(BBO.el("p", {}, "retry of ", BBO.link(BBO.trialHref(name, t.retry_of), `trial ${t.retry_of}`)));
    parts.push(BBO.el("div", { class: "side" },
      BBO.el("div", {}, BBO.el("h2", {}, "Parameters"), BBO.kv("params", t.params)),
      BBO.el("div", {}, BBO.el("h2", {}, "Metrics"),
             Object.keys(t.values).length ? BBO.kv("values", t.values) : BBO.el("p", { class: "note" }, "none told yet"))));
    if (t.error_tail) {
      parts.push(BBO.el("h2", {}, "stderr (last lines)"), BBO.el("pre", { id: "stderr" }, t.error_tail));
    }
    const samples = BBO.el("div", { class: "plot", id: "plot-samples", "data-study": name, hidden: !t.samples });
    const curve = BBO.el("div", { class: "plot", id: "plot-reports", "data-study": name, hidden: !t.reports.length });
    if (t.samples) parts.push(BBO.el("h2", {}, `Replicate samples (${t.samples.length})`), samples);
    if (t.reports.length) parts.push(BBO.el("h2", {}, "Intermediate values"), curve);
    if (t.llm) parts.push(...BBO.llmSection(t.llm));
    if (t.llm_failed_calls && t.llm_failed_calls.length) {
      parts.push(BBO.el("h2", {}, "LLM calls that fell short"),
                 BBO.el("pre", {}, JSON.stringify(t.llm_failed_calls, null, 1)));
    }
    if (Object.keys(t.attrs).length) parts.push(BBO.el("h2", {}, "Attributes"), BBO.kv("attrs", t.attrs));
    box.replaceChildren(...parts);
    const layout = (title, x, y) => ({ title: { text: title, x: 0.01 }, height: 320,
      margin: { l: 60, r: 20, t: 50, b: 45 }, xaxis: { title: { text: x } }, yaxis: { title: { text: y } } });
    if (t.samples) {
      await BBO.plot(samples, { data: [{ type: "histogram", x: t.samples, marker: { color: "#0072B2" } }],
        layout: layout(`${t.samples.length} samples, mean ${BBO.num(t.samples.reduce((a, b) => a + b, 0) / t.samples.length)}`,
                       t.objectives[0], "count") });
    }
    if (t.reports.length) {
      await BBO.plot(curve, { data: [{ type: "scatter", mode: "lines+markers",
        x: t.reports.map((r) => r[0]), y: t.reports.map((r) => r[1]) }],
        layout: layout("reported values", "step", t.objectives[0]) });
    }
  });
};
