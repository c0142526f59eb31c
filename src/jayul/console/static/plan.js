// The plan as a Gantt chart (operations and maintenance per machine). Without a planner in
// the loop the page says so, and shows what the twin actually did instead, labelled as such.
import { api, esc, when } from "./lib.js";

function gantt(rows, machines, t0, t1) {
  const span = Math.max(t1 - t0, 1);
  const x = (t) => `${(100 * (t - t0) / span).toFixed(3)}%`;
  const w = (a, b) => `${Math.max(100 * (b - a) / span, 0.3).toFixed(3)}%`;
  return `<div class="gantt">${machines.map((m) => `<div class="row"><div class="label">${esc(m)}</div>
    <div class="lane">${rows.filter((r) => r.machine === m).map((r) =>
      `<div class="op ${r.cls}" style="left:${x(r.start)};width:${w(r.start, r.end)}" title="${esc(r.title)}">${esc(r.text)}</div>`).join("")}
    </div></div>`).join("")}</div>
    <div class="legend"><span><i style="background:#8fb3e8"></i>operation</span>
    <span><i style="background:var(--maint)"></i>maintenance</span><span><i style="background:var(--bad)"></i>repair</span></div>
    <p class="muted">${when(t0)} to ${when(t1)} (plant time, UTC)</p>`;
}

// Pair start/end events per machine into bars; a bar still open ends now.
function bars(events, now) {
  const open = {}, out = [];
  const pairs = { operation_start: ["op", "operation_end", ""], maintenance_start: ["m", "maintenance_end", "maint"],
    repair_start: ["r", "repair_end", "repair"] };
  const ends = { operation_end: "op", maintenance_end: "m", repair_end: "r" };
  for (const e of events) {
    if (pairs[e.kind]) {
      const [key, , cls] = pairs[e.kind];
      open[`${e.machine}/${key}`] = { start: e.time, cls, p: e.payload };
    } else if (ends[e.kind]) {
      const k = `${e.machine}/${ends[e.kind]}`;
      const s = open[k];
      if (s) { out.push(bar(e.machine, s, e.time)); delete open[k]; }
    }
  }
  for (const [k, s] of Object.entries(open)) out.push(bar(k.split("/")[0], s, now));
  return out;
}
function bar(machine, s, end) {
  const text = s.cls === "" ? `#${s.p.order ?? ""} ${s.p.name ?? ""}` : (s.p.action ?? s.p.mode ?? s.cls);
  return { machine, start: s.start, end, cls: s.cls, text, title: `${text} ${when(s.start)}–${when(end)}` };
}

export async function planPage(el) {
  const [plan, plant] = await Promise.all([api("GET", "/api/plan"), api("GET", "/api/plant")]);
  const machines = plant.machines.map((m) => m.id);
  if (plan.available) {
    const h = (x) => plan.epoch_ns + x * 3.6e12;
    const rows = plan.operations.map((o) => ({ machine: o.machine, start: h(o.start_h), end: h(o.end_h),
      cls: "", text: `${o.order_id}/${o.index}`, title: `order ${o.order_id} op ${o.index}` }))
      .concat(plan.maintenance.map((m) => ({ machine: m.machine, start: h(m.start_h), end: h(m.end_h),
        cls: "maint", text: m.action_id, title: `${m.action_id} (${m.crew}): ${m.reason}` })));
    const t0 = Math.min(...rows.map((r) => r.start)), t1 = Math.max(...rows.map((r) => r.end));
    el.innerHTML = `<h1>Plan</h1><p>${esc(plan.status)} · expected cost ${plan.objective.toFixed(0)}</p>
      ${gantt(rows, machines, t0, t1)}${plan.notes.map((n) => `<p class="muted">${esc(n)}</p>`).join("")}`;
    return;
  }
  const events = await api("GET", "/api/activity?hours=24");
  const now = plant.now_ns, t0 = now - 24 * 3.6e12;
  el.innerHTML = `<h1>Plan</h1><p class="notice" id="plan-na">Plan not available yet: ${esc(plan.reason)}.</p>
    <h2 id="activity-title">${plant.connected_equipment
      ? "What the machines did in the last 24 hours, from their state tags and events (not a plan)"
      : "What the twin did in the last 24 plant hours (not a plan)"}</h2>
    ${gantt(bars(events, now).map((b) => ({ ...b, start: Math.max(b.start, t0) })), machines, t0, now)}`;
}
