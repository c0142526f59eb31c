// The history explorer: a machine's signals over any range (minutes to years), downsampled on
// the server to min/max/mean buckets (the band is min..max, the line the mean, so no spike is
// lost), with alerts and failures as markers and maintenance and repairs as bands on the same
// axis, and the anomaly score and RUL (10-90 % interval) beneath. Drag to zoom (the server
// re-buckets the new range); ◀ ▶ pan; the URL keeps machine, centre and span.
import uPlot from "./vendor/uPlot.esm.js";
import { api, esc, when } from "./lib.js";

const H = 3.6e12;
const SPANS = [["1 h", H], ["1 d", 24 * H], ["1 w", 168 * H], ["30 d", 720 * H], ["1 y", 8760 * H]];
const COLORS = ["#1f5fbf", "#c62828", "#1a7f37", "#b26a00", "#7b3fbf", "#00838f", "#6d4c41", "#37474f"];
// the last drag selection acted on (see the charts' setSelect hook)
let lastSelect = { t0: 0, t1: 0, at: 0 };

function params() {
  const q = new URLSearchParams((location.hash.split("?")[1]) || "");
  return { machine: q.get("machine"), t: q.get("t") ? Number(q.get("t")) : null,
    span: q.get("span") ? Number(q.get("span")) : null, signals: q.get("signals") };
}

// Draw the events under the series: bands as tinted rectangles, markers as vertical lines.
function eventHook(ev) {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    for (const b of ev.bands) {
      const x0 = u.valToPos(b.start / 1e9, "x", true), x1 = u.valToPos(b.end / 1e9, "x", true);
      ctx.fillStyle = b.kind === "repair" ? "rgba(198,40,40,.14)" : "rgba(123,63,191,.16)";
      ctx.fillRect(Math.max(x0, bbox.left), bbox.top, Math.max(Math.min(x1, bbox.left + bbox.width) - Math.max(x0, bbox.left), 1), bbox.height);
    }
    for (const m of ev.markers) {
      const x = u.valToPos(m.time / 1e9, "x", true);
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.strokeStyle = m.kind === "failure" ? "#000" : "#c62828";
      ctx.setLineDash(m.kind === "failure" ? [] : [4, 3]);
      ctx.lineWidth = m.kind === "failure" ? 2 : 1;
      ctx.beginPath(); ctx.moveTo(x, bbox.top); ctx.lineTo(x, bbox.top + bbox.height); ctx.stroke();
    }
    ctx.restore();
  };
}

function chart(box, title, x, lines, ev, onZoom, opts = {}) {
  const el = document.createElement("div");
  el.className = "chart explore-chart";
  el.innerHTML = `<div class="title">${esc(title)}</div>`;
  box.appendChild(el);
  const series = [{}];
  const data = [x];
  const bands = [];
  lines.forEach((l, i) => {
    const c = l.color ?? COLORS[i % COLORS.length];
    if (l.min) {
      series.push({ label: `${l.label} min`, stroke: "transparent", points: { show: false } });
      series.push({ label: `${l.label} max`, stroke: "transparent", points: { show: false } });
      data.push(l.min, l.max);
      bands.push({ series: [series.length - 1, series.length - 2], fill: `${c}33` });
    }
    series.push({ label: l.label, stroke: c, width: 1.3, points: { show: false }, spanGaps: false });
    data.push(l.mean);
  });
  const width = () => Math.max(el.clientWidth - 12, 200);
  const hooks = { drawClear: [eventHook(ev)], setSelect: [(u) => {
    if (u.select.width < 5) return;
    const a = u.posToVal(u.select.left, "x"), b = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ width: 0, height: 0 }, false);
    // the cursor sync hands one drag's selection to every chart of the page: zoom once
    const t0 = Math.round(a * 1e9), t1 = Math.round(b * 1e9), now = performance.now();
    if (lastSelect.t0 === t0 && lastSelect.t1 === t1 && now - lastSelect.at < 1000) return;
    lastSelect = { t0, t1, at: now };
    onZoom(t0, t1);
  }] };
  if (opts.level != null) hooks.draw = [(u) => {
    const y = u.valToPos(opts.level, "y", true), { ctx } = u;
    ctx.save(); ctx.strokeStyle = "#c62828"; ctx.setLineDash([6, 4]); ctx.beginPath();
    ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke(); ctx.restore();
  }];
  const plot = new uPlot({ width: width(), height: opts.height ?? 150, series, bands, hooks,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    cursor: { sync: { key: "explore" }, drag: { x: true, y: false, setScale: false } },
    legend: { show: false } }, data, el);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height ?? 150 }));
  ro.observe(el);
  return () => { ro.disconnect(); plot.destroy(); };
}

export async function explorerPage(el) {
  const plant = await api("GET", "/api/plant");
  const p = params();
  const machine = p.machine ?? plant.machines[0].id;
  const info = await api("GET", `/api/machines/${encodeURIComponent(machine)}`);
  const all = info.signals.map((s) => s.id);
  let chosen = p.signals ? p.signals.split(",").filter((s) => all.includes(s)) : all.slice(0, 8);
  if (!chosen.length) chosen = all.slice(0, 8);
  let span = p.span ?? 168 * H;
  let end = p.t != null ? p.t + span / 2 : plant.now_ns + 1;
  el.innerHTML = `<h1>History <small class="muted">min, max and mean per bucket; drag across a chart to zoom</small></h1>
    <form class="inline" id="x-controls">
      <select id="x-machine">${plant.machines.map((m) => `<option ${m.id === machine ? "selected" : ""}>${esc(m.id)}</option>`).join("")}</select>
      ${SPANS.map(([l, s]) => `<button type="button" data-span="${s}">${l}</button>`).join("")}
      <button type="button" id="x-left" title="back half a range">◀</button>
      <button type="button" id="x-right" title="forward half a range">▶</button>
      <button type="button" id="x-out">zoom out</button>
      <button type="button" id="x-now">now</button></form>
    <div class="inline" id="x-signals">${all.map((s) => `<label><input type="checkbox" value="${esc(s)}" ${chosen.includes(s) ? "checked" : ""}> ${esc(s)}</label>`).join(" ")}</div>
    <p class="muted" id="x-note"></p>
    <div id="x-charts"></div>
    <div class="legend"><span><i class="lg-alert"></i>alert</span><span><i class="lg-failure"></i>failure</span>
      <span><i class="lg-maint"></i>maintenance</span><span><i class="lg-repair"></i>repair</span></div>
    <h2>Events in this range</h2><div class="scroll"><table id="x-events"></table></div>`;
  let destroy = [];
  const box = el.querySelector("#x-charts");
  const note = el.querySelector("#x-note");

  function remember() {
    const q = new URLSearchParams({ machine, t: String(Math.round(end - span / 2)), span: String(Math.round(span)),
      signals: chosen.join(",") });
    history.replaceState(null, "", `#/explore?${q}`);
  }

  async function draw() {
    const start = Math.round(end - span);
    const q = new URLSearchParams({ start_ns: String(start), end_ns: String(Math.round(end)), buckets: "800" });
    if (chosen.length) q.set("signals", chosen.join(","));
    const t0 = performance.now();
    const d = await api("GET", `/api/explore/${encodeURIComponent(machine)}?${q}`);
    const ms = performance.now() - t0;
    destroy.forEach((f) => f()); destroy = [];
    box.replaceChildren();
    const x = d.time.map((t) => (t + d.bucket_ns / 2) / 1e9);
    const zoom = (a, b) => { end = b; span = Math.max(b - a, 60e9); remember(); draw(); };
    const samples = chosen.reduce((n, s) => n + d.signals[s].count.reduce((a, b) => a + b, 0), 0);
    note.textContent = `${when(start)} to ${when(end)} UTC (plant time) · ${samples.toLocaleString("en")} samples in ` +
      `${d.time.length} buckets of ${(d.bucket_ns / 60e9).toFixed(d.bucket_ns < 60e9 ? 2 : 0)} min · ${ms.toFixed(0)} ms` +
      (d.thinned ? " · alerts thinned to fit" : "");
    for (const [i, s] of chosen.entries()) {
      const v = d.signals[s];
      destroy.push(chart(box, `${s} (${d.units[s] ?? ""})`, x, [{ label: s, ...v, color: COLORS[i % COLORS.length] }], d, zoom));
    }
    const sc = d.signals["score:anomaly"];
    if (sc) destroy.push(chart(box, "anomaly score (1 = alarm level; max per bucket)", x,
      [{ label: "score", mean: sc.max, color: "#c62828" }], d, zoom, { level: 1.0, height: 120 }));
    const r50 = d.signals["rul:p50_h"];
    if (r50 && r50.count.some((c) => c > 0)) {
      destroy.push(chart(box, "RUL of the soonest-failing mode, h (median, 10–90 % band)", x,
        [{ label: "RUL", min: d.signals["rul:p10_h"].mean, max: d.signals["rul:p90_h"].mean, mean: r50.mean, color: "#1a7f37" }],
        d, zoom, { height: 120 }));
    } else {
      box.insertAdjacentHTML("beforeend", '<p class="na" id="x-no-rul">RUL: no RUL model runs for this machine in this range.</p>');
    }
    const rows = [...d.markers.map((m) => ({ t: m.time, what: m.kind, text: m.text })),
      ...d.bands.map((b) => ({ t: b.start, what: b.kind, text: `${b.text} until ${b.open ? "now" : when(b.end)}` }))]
      .sort((a, b) => a.t - b.t).slice(-200);
    el.querySelector("#x-events").innerHTML = `<tr><th>when</th><th>what</th><th></th><th></th></tr>` +
      (rows.length ? rows.map((r) => `<tr class="x-event"><td>${when(r.t)}</td><td>${esc(r.what)}</td><td>${esc(r.text)}</td>
        <td><a href="#" data-centre="${r.t}">centre here</a></td></tr>`).join("") : '<tr><td colspan="4" class="muted">none</td></tr>');
    for (const a of el.querySelectorAll("[data-centre]")) a.addEventListener("click", (ev) => {
      ev.preventDefault(); end = Number(a.dataset.centre) + span / 2; remember(); draw(); });
  }

  el.querySelector("#x-machine").addEventListener("change", (ev) => {
    location.hash = `#/explore?machine=${encodeURIComponent(ev.target.value)}&t=${Math.round(end - span / 2)}&span=${span}`;
  });
  for (const b of el.querySelectorAll("[data-span]")) b.addEventListener("click", () => {
    const centre = end - span / 2; span = Number(b.dataset.span);
    end = Math.min(centre + span / 2, plant.now_ns + 1); remember(); draw(); });
  el.querySelector("#x-left").addEventListener("click", () => { end -= span / 2; remember(); draw(); });
  el.querySelector("#x-right").addEventListener("click", () => { end += span / 2; remember(); draw(); });
  el.querySelector("#x-out").addEventListener("click", () => { end += span / 2; span *= 2; remember(); draw(); });
  el.querySelector("#x-now").addEventListener("click", async () => {
    end = (await api("GET", "/api/plant")).now_ns + 1; remember(); draw(); });
  el.querySelector("#x-signals").addEventListener("change", () => {
    chosen = [...el.querySelectorAll("#x-signals input:checked")].map((i) => i.value); remember(); draw(); });
  remember();
  await draw();
  return () => destroy.forEach((f) => f());
}
