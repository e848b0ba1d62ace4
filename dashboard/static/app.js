// bbo dashboard: helpers, the router and the live loop. Pages are in pages.js and trial.js.
"use strict";

const BBO = {
  POLL_MS: 500,        // live updates: one /api/changes call per half second
  PLOTS_MS: 1000,      // plots are refetched at most once a second while trials change
  timers: [],
};

// -- helpers --------------------------------------------------------------------------------
BBO.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
};

BBO.num = function (v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(4) : String(+v.toPrecision(6));
  }
  return String(v);
};

BBO.ago = function (t) {
  if (!t) return "";
  const s = Date.now() / 1000 - t;
  if (s < 60) return `${Math.max(0, Math.round(s))} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t * 1000).toLocaleString();
};

BBO.api = async function (path, params) {
  const q = new URLSearchParams(params || {}).toString();
  const r = await fetch(q ? `${path}?${q}` : path, { credentials: "same-origin" });
  if (r.status === 401) { location.href = "/login"; throw new Error("sign in"); }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
};

BBO.studyHref = (name) => `/study/${encodeURIComponent(name)}`;
BBO.trialHref = (name, id) => `${BBO.studyHref(name)}/trial/${id}`;

BBO.go = function (href) {
  history.pushState(null, "", href);
  BBO.route();
};

BBO.link = function (href, text, attrs) {
  return BBO.el("a", { href, ...(attrs || {}), onclick: (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.button !== 0) return;
    ev.preventDefault(); BBO.go(href);
  } }, text);
};

BBO.every = function (ms, fn) {  // fn now and every ms (never two at a time) until a route change
  let stop = false;
  const tick = async () => {
    if (stop) return;
    const ok = await fn().then(() => true, (e) => { console.error(e); return false; });
    document.getElementById("live").classList.toggle("stale", !ok);
    if (!stop) BBO.timers.push(setTimeout(tick, ms));
  };
  BBO.timers.push({ cancel: () => { stop = true; } });
  return tick();
};

BBO.plotlyReady = function () {  // plotly.min.js loads async (index.html)
  if (!BBO.plotly) {
    BBO.plotly = window.Plotly ? Promise.resolve() : new Promise((resolve) => {
      document.getElementById("plotly").addEventListener("load", resolve);
    });
  }
  return BBO.plotly;
};

BBO.plot = async function (div, fig) {  // draw a plotly figure spec; a click opens the trial
  const config = { responsive: true, displaylogo: false };
  await BBO.plotlyReady();
  return Plotly.react(div, fig.data, fig.layout, config).then(() => {
    div.dataset.rendered = String(fig.data.length);
    if (!div.dataset.clicks && div.dataset.study) {
      div.dataset.clicks = "1";
      div.on("plotly_click", (ev) => {
        const p = ev.points && ev.points[0];
        if (p && p.customdata !== undefined) BBO.go(BBO.trialHref(div.dataset.study, p.customdata));
      });
    }
  });
};

BBO.cards = function (items) {
  return BBO.el("div", { class: "cards" },
    items.map(([label, value, cls]) => BBO.el("div", { class: `card ${cls || ""}` },
      BBO.el("b", {}, value), BBO.el("span", {}, label))));
};

// -- router ---------------------------------------------------------------------------------
BBO.route = function () {
  for (const t of BBO.timers) (t.cancel ? t.cancel() : clearTimeout(t));
  BBO.timers = [];
  const main = document.getElementById("main");
  main.replaceChildren();
  const parts = location.pathname.split("/").filter((p) => p !== "");
  const where = document.getElementById("where");
  if (parts[0] === "study" && parts.length >= 2) {
    const tail = parts.slice(1);
    const k = tail.length >= 3 && tail[tail.length - 2] === "trial" ? tail.length - 2 : -1;
    const name = decodeURIComponent((k >= 0 ? tail.slice(0, k) : tail).join("/"));
    where.replaceChildren(BBO.link(BBO.studyHref(name), name));
    if (k >= 0) return BBO.trialPage(main, name, Number(tail[tail.length - 1]));
    return BBO.studyPage(main, name);
  }
  if (parts[0] === "compare") {
    where.textContent = "compare";
    return BBO.comparePage(main, new URLSearchParams(location.search).getAll("s"));
  }
  where.textContent = "";
  return BBO.listPage(main);
};

window.addEventListener("popstate", () => BBO.route());
window.addEventListener("DOMContentLoaded", () => { BBO.plotlyReady(); BBO.route(); });
