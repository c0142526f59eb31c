// Exports: download samples, events, alerts or the audit trail as CSV or Parquet for any
// range (the server streams them); the links carry the session cookie, nothing else.
import { api, esc, when } from "./lib.js";

const H = 3.6e12;
const RANGES = [["last 8 h (a shift)", 8 * H], ["last 24 h", 24 * H], ["last 7 days", 168 * H],
  ["last 30 days", 720 * H], ["last year", 8760 * H]];

export async function exportsPage(el) {
  const plant = await api("GET", "/api/plant");
  el.innerHTML = `<h1>Exports</h1>
    <p class="muted">Streamed from the historian and the audit trail; times in plant time (UTC ns and ISO).</p>
    <form class="inline" id="e-form">
      <select id="e-range">${RANGES.map(([l, s], i) => `<option value="${s}" ${i === 1 ? "selected" : ""}>${l}</option>`).join("")}</select>
      <select id="e-machine"><option value="">every machine</option>${plant.machines.map((m) =>
        `<option>${esc(m.id)}</option>`).join("")}</select></form>
    <p id="e-span" class="muted"></p>
    <table id="e-links"></table>`;
  function draw() {
    const span = Number(el.querySelector("#e-range").value);
    const machine = el.querySelector("#e-machine").value;
    const end = plant.now_ns + 1, start = Math.max(end - span, 0);
    el.querySelector("#e-span").textContent = `${when(start)} to ${when(end)} UTC`;
    const link = (what, fmt) => {
      const q = new URLSearchParams({ format: fmt, start_ns: String(start), end_ns: String(end) });
      if (machine && what !== "audit") q.set("machine", machine);
      return `<a class="export-link" data-what="${what}" data-format="${fmt}" href="/api/export/${what}?${q}">${fmt.toUpperCase()}</a>`;
    };
    el.querySelector("#e-links").innerHTML = `<tr><th>what</th><th>download</th></tr>` +
      [["samples", "signal samples (time, machine, signal, value, quality)"],
       ["events", "events (operations, maintenance, failures, alerts, actions, ...)"],
       ["alerts", "alerts with detector, score, threshold, reason and contributions"],
       ["audit", "the audit trail with its hash chain (every machine)"]].map(([w, t]) =>
        `<tr><td>${esc(t)}</td><td>${link(w, "csv")} · ${link(w, "parquet")}</td></tr>`).join("");
  }
  el.querySelector("#e-form").addEventListener("change", draw);
  draw();
}
