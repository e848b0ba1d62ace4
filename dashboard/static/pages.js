// bbo dashboard: the study list, the study page (plots, live trials table), the comparison.
"use strict";

// -- study list -----------------------------------------------------------------------------
BBO.listPage = function (main) {
  const table = BBO.el("table", { id: "studies" });
  const compare = BBO.el("button", { id: "compare", disabled: true, onclick: () => {
    const names = [...table.querySelectorAll("input:checked")].map((c) => c.value);
    BBO.go(`/compare?${names.map((n) => `s=${encodeURIComponent(n)}`).join("&")}`);
  } }, "Compare selected");
  const storage = BBO.el("p", { class: "note" });
  main.append(BBO.el("h1", {}, "Studies"), storage, table, BBO.el("p", {}, compare));
  const checked = new Set();
  table.addEventListener("change", (ev) => {
    if (ev.target.checked) checked.add(ev.target.value); else checked.delete(ev.target.value);
    compare.disabled = checked.size < 2;
  });
  const head = ["", "study", "state", "trials", "completed", "failed", "running", "best",
                "objectives", "strategy", "last activity"];
  return BBO.every(2000, async () => {
    const body = await BBO.api("/api/studies");
    storage.textContent = `storage: ${body.storage}`;
    const rows = body.studies.map((s) => {
      const c = s.counts;
      const best = s.best_values ? Object.values(s.best_values).map(BBO.num).join(", ")
        : (s.pareto_size !== null ? `${s.pareto_size} on the Pareto front` : "");
      return BBO.el("tr", { "data-study": s.name },
        BBO.el("td", {}, BBO.el("input", { type: "checkbox", value: s.name,
                                           checked: checked.has(s.name) })),
        BBO.el("td", { class: "l" }, BBO.link(BBO.studyHref(s.name), s.name)),
        BBO.el("td", { class: "l" }, s.state), BBO.el("td", {}, s.n_trials),
        BBO.el("td", {}, c.COMPLETED || 0), BBO.el("td", {}, c.FAILED || 0),
        BBO.el("td", {}, c.RUNNING || 0), BBO.el("td", { class: "best" }, best),
        BBO.el("td", { class: "l" }, s.objectives.map((o) => `${o.name} (${o.direction})`).join(", ")),
        BBO.el("td", { class: "l" }, s.strategy), BBO.el("td", {}, BBO.ago(s.last_activity)));
    });
    table.replaceChildren(BBO.el("thead", {}, BBO.el("tr", {}, head.map((h) => BBO.el("th", {}, h)))),
      BBO.el("tbody", {}, rows.length ? rows : BBO.el("tr", {}, BBO.el("td", { class: "l" }, "no study yet"))));
    table.dataset.count = String(rows.length);
  });
};

// -- the summary cards of a study --------------------------------------------------------------
BBO.summaryCards = function (s) {
  const items = [["trials", s.n_trials]];
  for (const st of ["COMPLETED", "RUNNING", "FAILED", "PRUNED", "INFEASIBLE", "ABANDONED"]) {
    if (s.counts[st]) items.push([st.toLowerCase(), s.counts[st], st]);
  }
  if (s.best_values) items.push([`best ${Object.keys(s.best_values)[0]} (trial ${s.best[0]})`,
                                 BBO.num(Object.values(s.best_values)[0])]);
  if (s.pareto_size !== null) items.push(["on the Pareto front", s.pareto_size]);
  items.push(["strategy", s.strategy], ["last activity", BBO.ago(s.last_activity)]);
  return BBO.cards(items);
};

// in page order; the parallel coordinates (WebGL, the slowest to draw) come last
BBO.PLOTS = [["history", "Optimization history", true], ["pareto", "Pareto front"],
             ["importance", "Parameter importance"], ["slices", "Slices", true],
             ["curves", "Learning curves", true], ["contour", "Surrogate", true],
             ["parallel", "Parallel coordinates", true]];
BBO.CONTOUR_MS = 10000;  // a GP fit: refetched at most every 10 s while the study changes

// -- study page --------------------------------------------------------------------------------
BBO.studyPage = function (main, name) {
  const st = { name, cursor: "", trials: [], fresh: new Set(), summary: null, plotsAt: 0,
               plotsVersion: -1, plotting: false };
  const cards = BBO.el("div", { id: "summary" });
  const plots = BBO.el("div", { class: "plots", id: "plots" });
  const skipped = BBO.el("p", { class: "note", id: "skipped" });
  const divs = {};
  for (const [kind, , wide] of BBO.PLOTS) {
    divs[kind] = BBO.el("div", { id: `plot-${kind}`, class: `plot${wide ? " wide" : ""}`,
                                 "data-study": name, hidden: true });
    plots.append(divs[kind]);
  }
  const table = BBO.trialsTable(st);
  main.append(BBO.el("h1", { id: "title" }, `Study ${name}`), cards, plots, skipped,
              BBO.el("h2", {}, "Trials"), table.root);

  // each plot is drawn when it comes near the viewport, once per version of the study: the
  // page is usable at once, and a WebGL plot below the fold costs nothing until it is seen
  const shown = new Map();  // kind -> version drawn
  const near = new Set();
  const draw = async (kind) => {
    const fig = st.figs && st.figs.figures[kind];
    if (!fig || shown.get(kind) === st.figs.version) return;
    shown.set(kind, st.figs.version);
    await new Promise((resolve) => setTimeout(resolve, 0));  // let input and the table in first
    await BBO.plot(divs[kind], fig);
  };
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const kind = e.target.id.slice(5);
      if (e.isIntersecting) { near.add(kind); draw(kind); } else near.delete(kind);
    }
  }, { rootMargin: "0px" });
  for (const [kind] of BBO.PLOTS) seen.observe(divs[kind]);
  BBO.timers.push({ cancel: () => seen.disconnect() });
  const drawPlots = async () => {
    st.plotting = true;
    try {
      const p = await BBO.api("/api/plots", { name });
      await st.tableShown;  // the table first: it is what a user reads and clicks at once
      if (st.contour) p.figures.contour = st.contour.figure;
      st.figs = p;
      for (const [kind] of BBO.PLOTS) {  // at its final height: only plots in view are drawn
        const fig = p.figures[kind];
        divs[kind].hidden = !fig;
        if (fig) divs[kind].style.height = `${fig.layout.height || 400}px`;
      }
      for (const kind of near) await draw(kind);
      skipped.textContent = Object.entries(p.skipped).map(([k, why]) => `${k}: ${why}`).join("; ");
      st.plotsVersion = p.version;
      document.body.dataset.plotsVersion = String(p.version);
    } finally { st.plotting = false; st.plotsAt = Date.now(); }
  };
  const drawContour = async () => {  // after the other plots, at its own pace
    st.contourAt = Date.now();
    const c = await BBO.api("/api/contour", { name });
    st.contour = c;
    if (!st.figs) return;
    st.figs.figures.contour = c.figure;
    divs.contour.hidden = !c.figure;
    if (c.figure) divs.contour.style.height = `${c.figure.layout.height}px`;
    if (c.skipped) skipped.textContent += `${skipped.textContent ? "; " : ""}contour: ${c.skipped}`;
    shown.delete("contour");
    if (near.has("contour")) await draw("contour");
  };
  let tableShown;
  st.tableShown = new Promise((resolve) => { tableShown = resolve; });
  drawPlots();  // fetched at once, beside the first read of the trials

  return BBO.every(BBO.POLL_MS, async () => {
    const ch = await BBO.api("/api/changes", { name, cursor: st.cursor });
    if (ch.full) st.trials = [];
    for (const t of ch.trials) {
      if (!ch.full) st.fresh.add(t.id);
      st.trials[t.id] = t;
    }
    st.cursor = ch.cursor;
    st.summary = ch.summary;
    st.states = ch.states;
    cards.replaceChildren(BBO.summaryCards(ch.summary));
    if (ch.trials.length || ch.full) table.update();
    tableShown();
    const due = Date.now() - st.plotsAt >= BBO.PLOTS_MS;
    if (ch.summary.version !== st.plotsVersion && due && !st.plotting) drawPlots();
    const contourDue = !st.contourAt || Date.now() - st.contourAt >= BBO.CONTOUR_MS;
    if (st.figs && contourDue && (!st.contour || st.contour.version !== ch.summary.version)) {
      drawContour();
    }
    document.body.dataset.trials = String(st.trials.length);
  });
};

// -- trials table: sort, filter (state, source, a parameter's range), pages of 50 -------------
BBO.trialsTable = function (st) {
  const PAGE = 50;
  const ui = { sort: "id", desc: true, page: 0, states: null, source: "", param: "", lo: "", hi: "" };
  const stateBox = BBO.el("span", { id: "state-filter" });
  const source = BBO.el("select", { id: "source-filter", onchange: () => { ui.source = source.value; render(); } });
  const param = BBO.el("select", { id: "param-filter", onchange: () => { ui.param = param.value; render(); } });
  const lo = BBO.el("input", { type: "number", step: "any", id: "param-lo", placeholder: "min",
                               oninput: () => { ui.lo = lo.value; render(); } });
  const hi = BBO.el("input", { type: "number", step: "any", id: "param-hi", placeholder: "max",
                               oninput: () => { ui.hi = hi.value; render(); } });
  const count = BBO.el("span", { class: "note", id: "shown" });
  const table = BBO.el("table", { id: "trials" });
  const pager = BBO.el("div", { class: "pager" });
  const root = BBO.el("div", {}, BBO.el("div", { class: "filters" }, "state:", stateBox,
    BBO.el("label", {}, "source: ", source), BBO.el("label", {}, "parameter: ", param), lo, hi,
    count), table, pager);

  const value = (t, key) => {
    if (key === "id" || key === "state" || key === "source" || key === "reason") return t[key];
    if (key === "duration") return t.finished ? t.finished - t.created : null;
    if (key.startsWith("v:")) return t.values[key.slice(2)];
    return t.params[key.slice(2)];
  };
  const keep = (t) => {
    if (ui.states && !ui.states.has(t.state)) return false;
    if (ui.source && (t.source || "") !== ui.source) return false;
    if (ui.param) {
      const v = t.params[ui.param];
      if (ui.lo !== "" && !(v >= Number(ui.lo))) return false;
      if (ui.hi !== "" && !(v <= Number(ui.hi))) return false;
    }
    return true;
  };
  const setupFilters = () => {
    if (stateBox.childElementCount || !st.states) return;
    ui.states = new Set(st.states);
    for (const s of st.states) {
      stateBox.append(BBO.el("label", { class: s }, BBO.el("input", { type: "checkbox", checked: true,
        value: s, onchange: (ev) => { ev.target.checked ? ui.states.add(s) : ui.states.delete(s); render(); } }), s, " "));
    }
    param.replaceChildren(BBO.el("option", { value: "" }, "(any)"),
      ...st.summary.params.filter((p) => p.type === "float" || p.type === "int")
        .map((p) => BBO.el("option", { value: p.name }, p.name)));
  };
  const render = () => {
    setupFilters();
    const s = st.summary;
    const metrics = [...s.objectives.map((o) => o.name), ...s.constraints.map((c) => c.split(/\s/)[0])];
    const cols = [["id", "trial"], ["state", "state"], ...metrics.map((m) => [`v:${m}`, m]),
                  ...s.params.map((p) => [`p:${p.name}`, p.name]), ["source", "source"],
                  ["duration", "seconds"], ["reason", "failure reason"]];
    const all = st.trials.filter((t) => t);
    const sources = [...new Set(all.map((t) => t.source || ""))].sort();
    if (source.options.length !== sources.length + 1) {
      source.replaceChildren(BBO.el("option", { value: "" }, "(any)"),
        ...sources.filter((x) => x).map((x) => BBO.el("option", { value: x }, x)));
      source.value = ui.source;
    }
    const rows = all.filter(keep);
    const dir = ui.desc ? -1 : 1;
    rows.sort((a, b) => {
      const x = value(a, ui.sort), y = value(b, ui.sort);
      if (x === y) return (a.id - b.id) * dir;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    ui.page = Math.min(ui.page, pages - 1);
    const best = new Set(s.best || []);
    const head = BBO.el("tr", {}, cols.map(([key, label]) => BBO.el("th", {
      class: ["state", "source", "reason"].includes(key) ? "l" : "", "data-key": key,
      onclick: () => { ui.desc = ui.sort === key ? !ui.desc : false; ui.sort = key; render(); },
    }, label + (ui.sort === key ? (ui.desc ? " ▾" : " ▴") : ""))));
    const body = rows.slice(ui.page * PAGE, (ui.page + 1) * PAGE).map((t) => {
      const cls = `click${best.has(t.id) ? " best" : ""}${st.fresh.has(t.id) ? " fresh" : ""}`;
      return BBO.el("tr", { class: cls, "data-trial": t.id, onclick: () => BBO.go(BBO.trialHref(st.name, t.id)) },
        cols.map(([key]) => {
          const v = value(t, key);
          if (key === "state") return BBO.el("td", { class: `l ${v}` }, v);
          if (key === "reason") return BBO.el("td", { class: "reason" }, v || "");
          if (key === "source") return BBO.el("td", { class: "l" }, v || "");
          return BBO.el("td", {}, BBO.num(v));
        }));
    });
    st.fresh.clear();
    table.replaceChildren(BBO.el("thead", {}, head), BBO.el("tbody", {}, body));
    count.textContent = `${rows.length} of ${all.length} trial(s)`;
    pager.replaceChildren(
      BBO.el("button", { disabled: ui.page === 0, onclick: () => { ui.page--; render(); } }, "‹ newer"),
      `page ${ui.page + 1} of ${pages}`,
      BBO.el("button", { disabled: ui.page >= pages - 1, onclick: () => { ui.page++; render(); } }, "older ›"));
  };
  return { root, update: render };
};

// -- two or more studies side by side ------------------------------------------------------------
BBO.comparePage = function (main, names) {
  main.append(BBO.el("h1", {}, `Compare ${names.join(", ")}`));
  const grid = BBO.el("div", { class: "side", id: "side" });
  main.append(grid);
  const cols = names.map((name) => {
    const cards = BBO.el("div", {});
    const hist = BBO.el("div", { class: "plot", id: `compare-${names.indexOf(name)}`, "data-study": name });
    const imp = BBO.el("div", { class: "plot", id: `compare-importance-${names.indexOf(name)}`, "data-study": name });
    grid.append(BBO.el("div", {}, BBO.el("h2", {}, BBO.link(BBO.studyHref(name), name)), cards, hist, imp));
    return { name, cards, hist, imp, version: -1 };
  });
  return BBO.every(2000, async () => {
    for (const c of cols) {
      const summary = await BBO.api("/api/summary", { name: c.name });
      c.cards.replaceChildren(BBO.summaryCards(summary));
      if (summary.version === c.version) continue;
      const p = await BBO.api("/api/plots", { name: c.name });
      if (p.figures.history) await BBO.plot(c.hist, p.figures.history);
      if (p.figures.importance) await BBO.plot(c.imp, p.figures.importance);
      c.version = p.version;
    }
  });
};
