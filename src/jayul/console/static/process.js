// The process view of a continuous process: per unit its monitor's score against the control
// limit (with its recent history), the diagnosis of its last alert (the variables that drove
// it, with direction), its measured variables with the product limits, its setpoints; the
// setpoint changes waiting for a person; the run's cost, energy and carbon on the twin; the soft
// sensor's prediction of the product analyser with its interval, against the later reading.
import { api, esc, healthBar, num, when } from "./lib.js";
import { lineChart } from "./charts.js";

function diagnosis(d) {
  if (!d) return `<p class="muted">no alarm</p>`;
  const vars = d.variables.map((c) => `<li>${esc(c.signal)} ${c.direction < 0 ? "falling" :
    "rising"} (${c.z == null ? "" : `${num(c.z, 1)}σ, `}${num(100 * c.share, 0)} % of the score)</li>`);
  return `<p class="diagnosis"><strong>alarm since ${when(d.time)}</strong>: ${esc(d.reason)}</p>
    <ul class="variables">${vars.join("")}</ul>`;
}

function signalRows(signals) {
  return signals.map((s) => `<tr data-signal="${esc(s.id)}" class="${s.outside ? "bad" : ""}">
    <td>${esc(s.id)}</td><td class="num">${num(s.value, 3)}</td><td>${esc(s.unit)}</td>
    <td class="num">${s.low == null ? "" : `${num(s.low, 2)} – ${num(s.high, 2)}`}</td></tr>`);
}

function unitCard(u) {
  const sps = Object.entries(u.setpoints).map(([k, v]) => `${esc(k)} ${num(v, 2)}`).join(" · ");
  return `<section class="card unit" data-unit="${esc(u.machine)}">
    <h2>${esc(u.machine)} <small class="muted">${esc(u.detector ?? "")}</small></h2>
    ${healthBar(u.score)}
    <div class="chart" id="chart-${esc(u.machine)}"></div>
    ${diagnosis(u.diagnosis)}
    <p class="muted">setpoints: ${sps || "none"}</p>
    <details><summary>${u.signals.length} measured variables</summary>
      <table class="signals"><tr><th>variable</th><th>now</th><th>unit</th><th>limits</th></tr>
      ${signalRows(u.signals).join("")}</table></details></section>`;
}

function ledger(l) {
  if (!l) return "";
  return `<p id="process-ledger">operating cost ${num(l.cost_per_h, 1)} $/h · product
    ${num(l.product_m3_per_h, 2)} m³/h · energy ${num(l.energy_kwh_per_m3, 2)} kWh/m³ · carbon
    ${num(l.carbon_kg_per_m3, 2)} kg CO₂e/m³ · off spec ${num(100 * l.off_spec_share, 1)} %</p>`;
}

function softSensor(s) {
  if (!s) return "";
  if (!s.available) {
    return `<section class="card" id="soft-sensor"><h2>Soft sensor: product analyser</h2>
      <p class="muted" id="soft-sensor-na">${esc(s.reason)}</p></section>`;
  }
  const rows = s.quantities.map((q) => `<tr data-signal="${esc(q.signal)}">
    <td>${esc(q.signal)}</td><td class="num">${num(q.prediction, 2)}</td>
    <td class="num">${q.low == null ? "" : `${num(q.low, 2)} – ${num(q.high, 2)}`}</td>
    <td class="num">${num(q.reading, 2)}</td><td>${esc(q.unit)}</td>
    <td>${q.sample_time == null ? "" : when(q.sample_time)}</td></tr>`);
  return `<section class="card" id="soft-sensor"><h2>Soft sensor: product analyser</h2>
    <p class="muted">predicted now from the fast measurements (${Math.round(100 * s.coverage)} %
    interval), before the analyser reports ${s.delay_rows} samples later; fitted on
    ${s.fit_readings} readings up to ${when(s.fitted_time)}</p>
    ${(s.drift || []).map((d) => `<p class="drift">${when(d.time)}: ${esc(d.finding)}</p>`).join("")}
    <table class="soft-sensor"><tr><th>quantity</th><th>predicted now</th><th>interval</th>
    <th>last reading</th><th>unit</th><th>sampled at</th></tr>${rows.join("")}</table>
    <div class="units">${s.quantities.map((q) =>
      `<div class="chart" id="soft-${esc(q.signal)}"></div>`).join("")}</div></section>`;
}

export async function processPage(el) {
  let charts = [];
  async function draw() {
    const v = await api("GET", "/api/process");
    charts.forEach((c) => c.destroy());
    charts = [];
    if (!v.available) {
      el.innerHTML = `<h1>Process</h1><p class="muted" id="process-na">${esc(v.reason)}</p>`;
      return;
    }
    const waiting = v.proposals.map((a) => `<li class="proposal">${esc(a.action.machine)}
      ${esc(a.action.params.setpoint)} → ${num(a.action.params.value, 3)}
      ${esc(a.action.params.unit ?? "")}: ${esc(a.reason)}</li>`);
    el.innerHTML = `<h1>Process</h1>${ledger(v.ledger)}
      <h2>Setpoint changes waiting for a person (${v.proposals.length})</h2>
      ${waiting.length ? `<ul id="proposals">${waiting.join("")}</ul>
        <p><a href="#/approvals">Approve or reject on the Approvals page</a></p>` :
        `<p class="muted" id="proposals">none</p>`}
      ${softSensor(v.soft_sensor)}
      <div class="units">${v.units.map(unitCard).join("")}</div>`;
    for (const q of v.soft_sensor?.available ? v.soft_sensor.quantities : []) {
      const c = lineChart(el.querySelector(`#soft-${q.signal}`), `${q.signal} (${q.unit})`,
        ["predicted", "low", "high", "analyser"], { height: 140, dots: ["analyser"] });
      const h = q.history;
      c.set([v.soft_sensor.time.map((t) => t / 1e9), h.prediction, h.low, h.high, h.reading]);
      charts.push(c);
    }
    for (const u of v.units) {
      const c = lineChart(el.querySelector(`#chart-${u.machine}`),
        "score / control limit", ["score"], { level: 1, height: 120 });
      c.set([u.history.time.map((t) => t / 1e9), u.history.score]);
      charts.push(c);
    }
  }
  await draw();
  const t = setInterval(draw, 5000);
  return () => { clearInterval(t); charts.forEach((c) => c.destroy()); };
}
