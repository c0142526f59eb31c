// The machine page: live signal charts with the anomaly score, alerts with their explanation,
// RUL, and proposing maintenance or a setpoint change (through the gate like any proposal).
import { api, esc, when, num, healthBar, rulText, rulHours } from "./lib.js";
import { lineChart } from "./charts.js";
import { alertCard } from "./pages.js";

const KEEP = 600; // rows per chart

export async function machinePage(el, ctx, id) {
  const m = await api("GET", `/api/machines/${encodeURIComponent(id)}`);
  const canPropose = ["operator", "engineer"].includes(ctx.me.role);
  el.innerHTML = `<h1>${esc(m.id)} <small class="muted">${esc(m.type)} · ${esc(m.line)}</small></h1>
    <div class="grid">
      <div class="card"><h3>State <span class="badge ${esc(m.status)}" id="m-status">${esc(m.status)}</span></h3>
        <div id="m-health">${healthBar(m.indicator)}</div><div id="m-suspect"></div>
        <div id="m-pending"></div></div>
      <div class="card"><h3>Remaining useful life</h3><div>${rulText(m.rul)}</div>
        ${m.rul && m.rul.modes ? `<table>${Object.entries(m.rul.modes).map(([k, v]) =>
          `<tr><td>${esc(k)}</td><td>${rulHours(v)}</td><td>${v.beyond ? "" : `${num(v.low_h)}–${num(v.high_h)} h`}</td></tr>`).join("")}</table>` : ""}
        ${m.rul_note ? `<small class="muted">(${esc(m.rul_note)})</small>` : ""}</div>
      <div class="card"><h3>Propose</h3>${canPropose ? `
        <form class="inline" id="propose"><select id="p-action">${m.maintenance.map((a) =>
          `<option value="${esc(a.id)}">${esc(a.id)} (${a.duration_h} h)</option>`).join("")}</select>
          <button>Propose maintenance</button></form>
        ${Object.keys(m.setpoints).length ? `<form class="inline" id="setpoint">${Object.entries(m.setpoints).map(([k, v]) =>
          `<label>${esc(k)} <input id="sp-value" data-sp="${esc(k)}" type="number" value="${v}" step="any" style="width:7rem"></label>`).join("")}
          <button>Change setpoint</button></form>` : ""}
        <small class="muted">Proposals pass the gate: the safe envelope first, then the autonomy level.</small>
        <p id="p-msg"></p>` : '<p class="muted">Operators and engineers may propose actions.</p>'}</div>
    </div>
    <h2>Live signals <small class="muted" id="live-note"></small></h2>
    <div class="charts" id="charts"></div>
    <h2>Alerts on ${esc(m.id)}</h2><div class="grid" id="m-alerts"></div>`;

  const box = el.querySelector("#charts");
  const mk = (title, opts) => { const d = document.createElement("div"); d.className = "chart";
    box.appendChild(d); return lineChart(d, title, [title], opts); };
  const score = mk("anomaly score (1 = alarm level)", { level: 1.0 });
  const charts = m.signals.map((s) => mk(`${s.id} (${s.unit})`));
  let t = [], cols = m.signals.map(() => []), sc = [];

  function add(rows) {
    t = t.concat(rows.time.map((x) => x / 1e9)).slice(-KEEP);
    cols = m.signals.map((s, j) => cols[j].concat(rows.signals[s.id]).slice(-KEEP));
    sc = sc.concat(rows.score).slice(-KEEP);
    charts.forEach((c, j) => c.set([t, cols[j]]));
    score.set([t, sc]);
    el.querySelector("#live-note").textContent = t.length ? `up to ${when(t[t.length - 1] * 1e9)}` : "";
  }
  function status(s) {
    const badge = el.querySelector("#m-status");
    badge.textContent = s.status; badge.className = `badge ${s.status}`;
    el.querySelector("#m-health").innerHTML = healthBar(s.indicator);
    el.querySelector("#m-suspect").innerHTML = s.suspect_mode ? `signals point at <b>${esc(s.suspect_mode)}</b>` : "";
    el.querySelector("#m-pending").innerHTML = s.pending_maintenance.length
      ? `maintenance ${s.status === "maintenance" ? "under way" : "waiting for its crew"}: <b>${esc(s.pending_maintenance.join(", "))}</b>` : "";
  }
  status(m);
  const stream = new EventSource(`/api/machines/${encodeURIComponent(id)}/stream`);
  stream.onmessage = (ev) => { const d = JSON.parse(ev.data); add(d.rows); status(d.machine); };

  async function alerts() {
    const found = await api("GET", `/api/alerts?machine=${encodeURIComponent(id)}&limit=20`);
    el.querySelector("#m-alerts").innerHTML = found.length ? found.map(alertCard).join("")
      : '<p class="muted">No alerts on this machine since the console started.</p>';
  }
  await alerts();
  const timer = setInterval(alerts, 10000);

  const say = (text) => { const p = el.querySelector("#p-msg"); if (p) p.textContent = text; };
  const propose = async (body) => {
    try {
      const out = await api("POST", "/api/actions", { machine: id, ...body });
      say(`${out.status} (${out.check}): ${out.reason}`);
      await ctx.refreshStatus();
    } catch (err) { say(err.message); }
  };
  const pf = el.querySelector("#propose");
  if (pf) pf.onsubmit = (ev) => { ev.preventDefault();
    propose({ kind: "start_maintenance", params: { action: el.querySelector("#p-action").value },
      risk: "medium", expected_effect: "requested in the console" }); };
  const sf = el.querySelector("#setpoint");
  if (sf) sf.onsubmit = (ev) => { ev.preventDefault();
    const input = el.querySelector("#sp-value");
    const sp = input.dataset.sp;
    const unit = m.setpoint_units[sp];
    propose({ kind: "change_setpoint", params: { setpoint: sp, value: Number(input.value),
      unit: unit ?? "" }, risk: "medium", expected_effect: "requested in the console" }); };
  return () => { stream.close(); clearInterval(timer); score.destroy(); charts.forEach((c) => c.destroy()); };
}
