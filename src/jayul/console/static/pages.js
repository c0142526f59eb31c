// The console's pages other than the machine page and the plan.
import { api, esc, when, pct, num, healthBar, rulText, contributions } from "./lib.js";
import { lineChart } from "./charts.js";
import { modelCard, inUseSection } from "./models.js";

const every = (ms, fn) => { const t = setInterval(fn, ms); return () => clearInterval(t); };

export async function overviewPage(el) {
  async function draw() {
    const machines = await api("GET", "/api/machines");
    const lines = [...new Set(machines.map((m) => m.line))];
    el.innerHTML = `<h1>Plant overview</h1>` + lines.map((line) => `
      <h2>${esc(line)}</h2><div class="grid">${machines.filter((m) => m.line === line).map((m) => `
        <div class="card machine-card" data-machine="${esc(m.id)}">
          <h3><a href="#/machine/${esc(m.id)}">${esc(m.id)}</a>
            <span><span class="badge ${esc(m.status)}">${esc(m.status)}</span>
            ${m.alert_active ? '<span class="badge alert">alert</span>' : ""}</span></h3>
          <div class="muted">${esc(m.type)}</div>
          ${healthBar(m.indicator)}
          ${m.suspect_mode ? `<div>points at <b>${esc(m.suspect_mode)}</b></div>` : ""}
          <div>${rulText(m.rul)}</div>
          ${m.pending_maintenance.length ? `<div>maintenance ${m.status === "maintenance" ? "under way" : "waiting"}: ${esc(m.pending_maintenance.join(", "))}</div>` : ""}
        </div>`).join("")}</div>`).join("");
  }
  await draw();
  return every(3000, draw);
}

function alertCard(a) {
  return `<div class="card alert-card" data-alert="${esc(a.id)}">
    <h3><a href="#/machine/${esc(a.machine)}">${esc(a.machine)}</a><small>${when(a.time)}</small></h3>
    <div><a class="alert-history" href="#/explore?machine=${encodeURIComponent(a.machine)}&t=${a.time}&span=${48 * 3.6e12}&signals=${encodeURIComponent(a.contributions.slice(0, 4).map((c) => c.signal).join(","))}">history around this alert</a></div>
    <div><b>${esc(a.reason)}</b></div>
    <div class="muted">${esc(a.detector)}: score ${a.score.toFixed(2)} over threshold ${a.threshold.toFixed(2)}</div>
    <h4>Why: each signal's share of the anomaly score</h4>${contributions(a)}</div>`;
}

export async function alertsPage(el) {
  async function draw() {
    const alerts = await api("GET", "/api/alerts?limit=200");
    el.innerHTML = `<h1>Alerts</h1>` + (alerts.length
      ? `<div class="grid">${alerts.map(alertCard).join("")}</div>`
      : `<p class="muted">No alerts since the console started.</p>`);
  }
  await draw();
  return every(5000, draw);
}
export { alertCard };

function actionText(a) {
  const p = Object.entries(a.params).map(([k, v]) => `${k}=${v}`).join(", ");
  return `${a.kind.replace(/_/g, " ")} on ${a.machine}${p ? ` (${p})` : ""}`;
}

export async function approvalsPage(el, ctx) {
  async function draw() {
    const [open, all] = await Promise.all([
      api("GET", "/api/approvals"), api("GET", "/api/approvals?all=true")]);
    const done = all.filter((a) => !["pending", "escalated"].includes(a.status)).slice(0, 50);
    const who = ["operator", "engineer"].includes(ctx.me.role) ? "" : ctx.me.role === "admin"
      ? '<p class="notice" id="role-hint">You are signed in as an admin: admins manage users and decide nothing here. Add an operator and an engineer on the <a href="#/users">Users</a> page and sign in as one of them to approve.</p>'
      : '<p class="notice" id="role-hint">Viewers read the queue; operators and engineers decide.</p>';
    el.innerHTML = `<h1>Approval queue</h1>${who}
      ${open.length ? "" : '<p class="muted">Nothing waits for a decision.</p>'}
      <div class="grid">${open.map((a) => {
        // who proposed it ("user:olga" in the console, "autopilot", ...), through which origin
        const by = (a.proposed_by ?? a.action.origin).replace(/^user:/, "");
        const mine = a.proposed_by === `user:${ctx.me.user}`;  // the plant's four-eyes rule applies
        return `
        <div class="card approval" data-approval="${esc(a.id)}">
          <h3><span>${esc(actionText(a.action))}</span><span class="badge">${esc(a.status)}</span></h3>
          <div class="proposer">proposed by <b>${esc(by)}</b>${by === a.action.origin ? "" : ` (${esc(a.action.origin)})`} at ${when(a.requested_at)}</div>
          <div>${esc(a.action.expected_effect)}</div>
          <div class="muted">why a person decides: ${esc(a.reason)}</div>
          <div class="muted">may decide: ${esc(a.roles.join(", "))} · expires ${when(a.expires_at)}</div>
          ${mine ? '<p class="muted own">You proposed this: under the four-eyes rule another person decides.</p>' : ""}
          ${who ? "" : `<p><button class="primary approve">Approve</button> <button class="reject">Reject…</button>
          <span class="error msg"></span></p>`}
        </div>`;
      }).join("")}</div>
      <h2>Decided</h2><div class="scroll"><table><tr><th>action</th><th>status</th><th>by</th>
        <th>when</th><th>note</th></tr>${done.map((a) => `<tr><td>${esc(actionText(a.action))}</td>
        <td>${esc(a.status)}</td><td>${esc(a.decided_by ?? "")} ${a.decided_role ? `(${esc(a.decided_role)})` : ""}</td>
        <td>${when(a.decided_at)}</td><td>${esc(a.note ?? "")}</td></tr>`).join("")}</table></div>`;
    for (const card of who ? [] : el.querySelectorAll(".approval")) {
      const id = card.dataset.approval;
      const msg = card.querySelector(".msg");
      card.querySelector(".approve").onclick = async () => {
        try {
          const out = await api("POST", `/api/approvals/${id}/approve`, { note: "approved in the console" });
          msg.textContent = `${out.status}: ${out.reason}`;
          await ctx.refreshStatus(); await draw();
        } catch (err) { msg.textContent = err.message; }
      };
      card.querySelector(".reject").onclick = async () => {
        const reason = prompt("Why reject it?");
        if (!reason) return;
        try {
          await api("POST", `/api/approvals/${id}/reject`, { reason });
          await ctx.refreshStatus(); await draw();
        } catch (err) { msg.textContent = err.message; }
      };
    }
  }
  await draw();
  return every(5000, () => { if (!el.contains(document.activeElement)) draw(); });
}

export async function autonomyPage(el, ctx) {
  async function draw() {
    const a = await api("GET", "/api/autonomy");
    el.innerHTML = `<h1>Autonomy and the kill switch</h1>
      ${a.killed ? `<p class="notice"><b>Kill switch engaged</b> by ${esc(a.kill.set_by)}: ${esc(a.kill.reason)}. Everything is at L0.</p>` : ""}
      <table><tr><th>scope</th><th>level</th><th>set by</th><th>why</th></tr>
      ${a.settings.map((s) => `<tr><td>${esc(s.scope)}</td><td><b>${esc(s.level)}</b> ${esc(a.levels[s.level])}</td>
        <td>${esc(s.set_by)}</td><td>${esc(s.reason)}</td></tr>`).join("")}</table>
      <p class="muted">Default when nothing is set: ${esc(a.default)}. Changing levels is for engineers.</p>
      <h2>Set a level</h2>
      <form class="inline" id="set-level">
        <select id="lvl">${Object.entries(a.levels).map(([k, v]) => `<option value="${k}">${k} ${esc(v)}</option>`).join("")}</select>
        <select id="line"><option value="">whole plant</option>${a.lines.map((l) => `<option>${esc(l)}</option>`).join("")}</select>
        <select id="kind"><option value="">every action</option>${a.kinds.map((k) => `<option>${esc(k)}</option>`).join("")}</select>
        <input id="why" placeholder="reason" required>
        <button class="primary">Set</button></form>
      <h2>Kill switch</h2>
      <form class="inline" id="kill"><input id="kill-why" placeholder="reason" required>
        ${a.killed ? '<button class="primary" id="release">Release</button>' : '<button class="danger">Stop all autonomy (L0)</button>'}</form>
      <p class="error" id="msg"></p>`;
    const msg = el.querySelector("#msg");
    el.querySelector("#set-level").onsubmit = async (ev) => {
      ev.preventDefault();
      const body = { level: el.querySelector("#lvl").value, reason: el.querySelector("#why").value };
      if (el.querySelector("#line").value) body.line = el.querySelector("#line").value;
      if (el.querySelector("#kind").value) body.kind = el.querySelector("#kind").value;
      try { await api("PUT", "/api/autonomy", body); await draw(); } catch (err) { msg.textContent = err.message; }
    };
    el.querySelector("#kill").onsubmit = async (ev) => {
      ev.preventDefault();
      const reason = el.querySelector("#kill-why").value;
      try {
        await api("POST", a.killed ? "/api/kill/clear" : "/api/kill", { reason });
        await draw(); await ctx.refreshStatus();
      } catch (err) { msg.textContent = err.message; }
    };
  }
  await draw();
}

export async function modelsPage(el) {
  const [models, inUse] = await Promise.all([api("GET", "/api/models"), inUseSection()]);
  el.innerHTML = `<h1>Models</h1>${inUse}<h2>Registered</h2>` + (models.length
    ? `<div class="grid">${models.map(modelCard).join("")}</div>`
    : `<p class="na">No model is registered in this plant's registry yet.</p>`);
}

export async function auditPage(el) {
  el.innerHTML = `<h1>Audit trail</h1>
    <form class="inline" id="filter"><input id="f-actor" placeholder="who (actor)">
      <input id="f-kind" placeholder="kind, e.g. approval_approved"><button>Filter</button>
      <button type="button" id="verify">Verify the chain</button> <span id="verdict"></span></form>
    <div class="scroll"><table id="audit"></table></div>`;
  async function draw() {
    const q = new URLSearchParams({ limit: "300" });
    const actor = el.querySelector("#f-actor").value, kind = el.querySelector("#f-kind").value;
    if (actor) q.set("actor", actor);
    if (kind) q.set("kind", kind);
    const data = await api("GET", `/api/audit?${q}`);
    el.querySelector("#audit").innerHTML = `<tr><th>#</th><th>time</th><th>who</th><th>what</th>
      <th>about</th><th>why</th></tr>` + data.records.map((r) => `<tr class="audit-row">
      <td>${r.seq}</td><td>${when(r.time)}</td><td>${esc(r.actor)}</td><td>${esc(r.kind)}</td>
      <td>${esc(r.subject)}</td><td>${esc(r.reason)}</td></tr>`).join("");
  }
  el.querySelector("#filter").onsubmit = (ev) => { ev.preventDefault(); draw(); };
  el.querySelector("#verify").onclick = async () => {
    const v = await api("GET", "/api/audit/verify");
    el.querySelector("#verdict").textContent = v.summary;
  };
  await draw();
}

const KPI_TILES = [["oee", "OEE", pct], ["availability", "availability", pct],
  ["throughput", "orders per day", (x) => num(x, 1)], ["on_time_rate", "on time", pct],
  ["failures", "failures", num], ["maintenances", "maintenances done", num],
  ["downtime_h", "downtime (h)", (x) => num(x, 1)], ["total_cost", "total cost", num],
  ["maintenance_cost", "maintenance cost", num], ["failure_cost", "failure cost", num]];

export async function kpiPage(el) {
  const first = await api("GET", "/api/kpis");
  if (!first.available) {  // connected equipment: no ledger of orders and costs to show
    el.innerHTML = `<h1>KPIs</h1><p class="notice" id="kpis-na">Not available: ${esc(first.reason)}.</p>`;
    return;
  }
  el.innerHTML = `<h1>KPIs</h1><div class="kpis" id="tiles"></div>
    <h2>Over time</h2><div class="charts"><div class="chart" id="c-oee"></div><div class="chart" id="c-cost"></div></div>`;
  const oee = lineChart(el.querySelector("#c-oee"), "OEE and availability", ["OEE", "availability"]);
  const cost = lineChart(el.querySelector("#c-cost"), "cost so far", ["maintenance", "failure", "total"]);
  async function draw() {
    const k = await api("GET", "/api/kpis");
    el.querySelector("#tiles").innerHTML = `<div class="kpi"><div class="muted">plant hours</div>
      <div class="v">${num(k.now.hours, 1)}</div></div>` + KPI_TILES.map(([key, label, f]) =>
      `<div class="kpi" data-kpi="${key}"><div class="muted">${label}</div><div class="v">${f(k.now[key])}</div></div>`).join("");
    const h = k.history, t = h.map((r) => r.time / 1e9);
    oee.set([t, h.map((r) => r.oee), h.map((r) => r.availability)]);
    cost.set([t, h.map((r) => r.maintenance_cost), h.map((r) => r.failure_cost), h.map((r) => r.total_cost)]);
  }
  await draw();
  const stop = every(5000, draw);
  return () => { stop(); oee.destroy(); cost.destroy(); };
}

export async function usersPage(el, ctx) {
  async function draw() {
    const users = await api("GET", "/api/users");
    el.innerHTML = `<h1>Users</h1><table><tr><th>name</th><th>role</th><th>added</th><th></th></tr>
      ${users.map((u) => `<tr><td>${esc(u.name)}</td><td>${esc(u.role)}</td><td>by ${esc(u.by)}</td>
        <td>${u.name === ctx.me.user ? "" : `<button data-remove="${esc(u.name)}">Remove</button>`}</td></tr>`).join("")}</table>
      <h2>Add a user</h2><form class="inline" id="add"><input id="u-name" placeholder="name" required>
        <select id="u-role"><option>viewer</option><option>agent</option><option>operator</option><option>engineer</option><option>admin</option></select>
        <input id="u-pass" type="password" placeholder="password (8+ characters)" minlength="8" required>
        <button class="primary">Add</button></form><p class="error" id="msg"></p>`;
    const msg = el.querySelector("#msg");
    el.querySelector("#add").onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", "/api/users", { name: el.querySelector("#u-name").value,
          role: el.querySelector("#u-role").value, password: el.querySelector("#u-pass").value });
        await draw();
      } catch (err) { msg.textContent = err.message; }
    };
    for (const b of el.querySelectorAll("[data-remove]")) {
      b.onclick = async () => {
        try { await api("DELETE", `/api/users/${b.dataset.remove}`); await draw(); }
        catch (err) { msg.textContent = err.message; }
      };
    }
  }
  await draw();
}
