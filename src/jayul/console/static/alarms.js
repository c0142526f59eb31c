// The alarms page: one alarm per problem (repeats counted), its state with who and when, what
// was done about it, and the transitions people make; alarm rules as data (export, import).
import { api, esc, when } from "./lib.js";

const CAN_ACT = ["operator", "engineer"];
const every = (ms, fn) => { const t = setInterval(fn, ms); return () => clearInterval(t); };

function stateText(a) {
  const normal = a.normal_since != null ? ` (condition normal since ${when(a.normal_since)})` : "";
  if (a.state === "acknowledged") return `acknowledged by ${esc(a.acked_by)} at ${when(a.acked_at)}`;
  if (a.state === "rtn_unacked") return `returned to normal at ${when(a.normal_since)}, not acknowledged`;
  if (a.state === "shelved") return `shelved by ${esc(a.shelved_by)} until ${when(a.shelved_until)}${normal}`;
  if (a.state === "cleared") return `cleared by ${esc(a.cleared_by)} at ${when(a.cleared_at)}`;
  return "active, not acknowledged";
}

function buttons(a) {
  if (a.state === "cleared") return "";
  const b = (what, label) => `<button data-act="${what}" data-id="${esc(a.id)}">${label}</button>`;
  return [a.state === "active" || a.state === "rtn_unacked" ? b("acknowledge", "Acknowledge") : "",
    a.state === "shelved" ? b("unshelve", "Unshelve") : b("shelve", "Shelve…"),
    b("assign", "Assign…"), b("comment", "Comment…"), b("clear", "Clear…")].join(" ");
}

function alarmRow(a, canAct) {
  const explore = `#/explore?machine=${encodeURIComponent(a.machine)}&t=${a.last_ns}`;
  return `<tr class="alarm-row sev-${esc(a.severity)}" data-alarm="${esc(a.id)}">
    <td><span class="badge sev ${esc(a.severity)}">${esc(a.severity)}</span></td>
    <td><a href="#/machine/${esc(a.machine)}">${esc(a.machine)}</a></td>
    <td><b>${esc(a.message)}</b><div class="muted">${esc(a.mode ? `${a.mode} · ` : "")}${esc(a.source)}</div></td>
    <td class="count">${a.count.toLocaleString("en")}</td>
    <td>${when(a.first_ns)}<br>${when(a.last_ns)}</td>
    <td class="state">${stateText(a)}</td><td>${esc(a.owner ?? "—")}</td>
    <td>${a.links.map((k) => `<div>${esc(k.kind)} ${esc(k.status)}: ${esc(k.note)}</div>`).join("") || '<span class="muted">nothing yet</span>'}</td>
    <td><a class="explore" href="${explore}">history</a> <a class="detail" href="#" data-id="${esc(a.id)}">log</a>
      ${canAct ? `<div class="acts">${buttons(a)}</div>` : ""}</td></tr>`;
}

async function transition(id, what) {
  const body = {};
  if (what === "shelve") {
    const hours = prompt("Shelve for how many plant hours?", "8");
    if (!hours) return null;
    body.hours = Number(hours);
    body.reason = prompt("Why shelve it?") || "";
    if (!body.reason) return null;
  } else if (what === "clear") {
    body.reason = prompt("Why clear it (what was done)?") || "";
    if (!body.reason) return null;
  } else if (what === "assign") {
    const owner = prompt("Who owns it? (empty: nobody)");
    if (owner === null) return null;
    body.owner = owner || null;
  } else if (what === "comment") {
    body.text = prompt("Comment") || "";
    if (!body.text) return null;
  }
  return api("POST", `/api/alarms/${id}/${what}`, body);
}

// Per channel: what went out, what waits (and why it failed), what was given up.
function notifyTable(n) {
  if (!n.configured) return `<p class="muted">${esc(n.reason)}.</p>`;
  const rows = n.channels.map((c) => `<tr class="notify-row"><td>${esc(c.channel)}</td><td>${esc(c.kind)}</td>
    <td>${c.sent}</td><td>${c.pending}</td><td>${c.held}</td><td>${c.failed}</td>
    <td class="${c.last_error ? "error" : ""}">${esc(c.last_error) || "—"}</td></tr>` + c.failing.map((f) =>
    `<tr class="notify-failing"><td></td><td colspan="6"><small>${esc(f.key)}: ${f.attempts} attempts,
    ${f.state === "failed" ? "given up" : `next try in ${Math.max(0, Math.round(f.next_at - Date.now() / 1000))} s`}: ${esc(f.last_error)}</small></td></tr>`).join(""));
  return `<div class="scroll"><table id="notify-channels"><tr><th>channel</th><th>kind</th><th>sent</th>
    <th>waiting</th><th>held</th><th>given up</th><th>last error</th></tr>${rows.join("")}</table></div>
    <p class="muted">${n.channels.length && n.channels[0].durable ? "Waiting messages are kept in the plant database: a restart delivers them."
      : "Waiting messages are kept in memory only."}</p>`;
}

export async function alarmsPage(el, ctx) {
  const canAct = CAN_ACT.includes(ctx.me.role);
  const canEdit = ctx.me.role === "engineer";
  el.innerHTML = `<h1>Alarms</h1><p id="alarm-counts" class="muted"></p>
    <form class="inline" id="alarm-filter"><select id="a-state"><option value="">every open state</option>
      <option>active</option><option>acknowledged</option><option value="rtn_unacked">returned, not acknowledged</option>
      <option>shelved</option><option>cleared</option></select>
      <label><input type="checkbox" id="a-all"> include cleared</label></form>
    <p class="error" id="alarm-msg"></p>
    <div class="scroll"><table id="alarms"></table></div><div id="alarm-log"></div>
    <h2>Notifications</h2><div id="notify"></div>
    <h2>Alarm rules <small class="muted">(beyond the detector: threshold, rate of change, no data)</small></h2>
    <p><a id="rules-yaml" href="/api/alarm-rules?format=yaml">export as YAML</a> ·
      <a href="/api/alarm-rules?format=json">as JSON</a></p>
    <div class="scroll"><table id="rules"></table></div>
    ${canEdit ? `<h3>Import rules</h3><form id="rules-import"><textarea id="rules-text" rows="6" cols="80"
      placeholder="alarms:\n  - {id: vib-high, kind: threshold, machine: pump1, signal: vib_rms, above: 6}"></textarea>
      <p><button class="primary">Import</button> <span id="rules-msg"></span></p></form>`
      : '<p class="muted">Engineers add and import alarm rules.</p>'}`;
  const msg = el.querySelector("#alarm-msg");
  async function draw() {
    const q = new URLSearchParams({ limit: "300" });
    const st = el.querySelector("#a-state").value;
    if (st) q.set("state", st);
    if (el.querySelector("#a-all").checked || st === "cleared") q.set("include_cleared", "true");
    const data = await api("GET", `/api/alarms?${q}`);
    el.querySelector("#alarm-counts").textContent = Object.entries(data.counts)
      .filter(([k]) => k !== "cleared").map(([k, v]) => `${v} ${k === "rtn_unacked" ? "returned, not acknowledged" : k}`).join(" · ") + " (open alarms)";
    el.querySelector("#alarms").innerHTML = `<tr><th>severity</th><th>machine</th><th>what</th>
      <th>alerts</th><th>first / last</th><th>state</th><th>owner</th><th>what was done</th><th></th></tr>` +
      (data.alarms.length ? data.alarms.map((a) => alarmRow(a, canAct)).join("")
        : `<tr><td colspan="9" class="muted" id="no-alarms">No alarms${st ? ` ${esc(st)}` : " open"}.</td></tr>`);
    for (const b of el.querySelectorAll("[data-act]")) {
      b.addEventListener("click", async () => {
        try { if (await transition(b.dataset.id, b.dataset.act)) { msg.textContent = ""; await draw(); } }
        catch (err) { msg.textContent = err.message; }
      });
    }
    for (const a of el.querySelectorAll("a.detail")) {
      a.addEventListener("click", async (ev) => {
        ev.preventDefault();
        const x = await api("GET", `/api/alarms/${a.dataset.id}`);
        el.querySelector("#alarm-log").innerHTML = `<h2>Log of ${esc(x.machine)}: ${esc(x.message)}</h2>
          <table class="alarm-history"><tr><th>when</th><th>who</th><th>what</th><th>note</th></tr>${x.history.map((s) =>
          `<tr><td>${when(s.time)}</td><td>${esc(s.who)}</td><td>${esc(s.what)}</td><td>${esc(s.note)}</td></tr>`).join("")}</table>`;
      });
    }
    el.querySelector("#notify").innerHTML = notifyTable(await api("GET", "/api/notifications"));
    const rules = await api("GET", "/api/alarm-rules");
    el.querySelector("#rules").innerHTML = `<tr><th>id</th><th>kind</th><th>machine</th><th>signal</th>
      <th>condition</th><th>severity</th><th>from</th></tr>` + (rules.length ? rules.map((r) => `<tr class="rule-row">
      <td>${esc(r.id)}</td><td>${esc(r.kind)}</td><td>${esc(r.machine)}</td><td>${esc(r.signal)}</td>
      <td>${r.kind === "no_data" ? `silent ${r.after_s} s` : [r.above != null ? `above ${r.above}` : "",
        r.below != null ? `below ${r.below}` : ""].filter(Boolean).join(", ") + (r.kind === "rate" ? ` per h over ${r.window_s} s` : "")}</td>
      <td>${esc(r.severity)}</td><td>${r.from_plant_file ? "plant file" : "console/API"}</td></tr>`).join("")
      : '<tr><td colspan="7" class="muted">No alarm rules: only the detector raises alarms.</td></tr>');
  }
  el.querySelector("#alarm-filter").addEventListener("change", () => draw().catch((e) => { msg.textContent = e.message; }));
  const imp = el.querySelector("#rules-import");
  if (imp) imp.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = el.querySelector("#rules-msg");
    try {
      const r = await api("POST", "/api/alarm-rules/import", { text: el.querySelector("#rules-text").value });
      out.textContent = `imported ${r.imported.join(", ")}`; await draw();
    } catch (err) { out.textContent = err.message; }
  });
  await draw();
  return every(5000, () => { if (!el.contains(document.activeElement) || document.activeElement.tagName === "A") draw(); });
}
