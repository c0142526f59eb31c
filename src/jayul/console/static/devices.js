// Device health: each source's connection (connected, stale, disconnected) with when it was
// last heard from, and each signal's last sample; redrawn every 2 s.
import { api, esc, when } from "./lib.js";

// "4 s ago", "3 min ago": how long since `ns`, against the server's clock `now`.
function ago(ns, now) {
  if (ns == null) return "never";
  const s = Math.max(0, (Number(now) - Number(ns)) / 1e9);
  if (s < 90) return `${s.toFixed(0)} s ago`;
  if (s < 5400) return `${(s / 60).toFixed(0)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

function sourceRow(s, now) {
  const retry = s.state === "disconnected" && s.retry_in_s != null ?
    ` · next try in ${s.retry_in_s} s` : "";
  return `<tr class="device" data-source="${esc(s.id)}" data-state="${esc(s.state)}">
    <td><span class="badge link ${esc(s.state)}">${esc(s.state)}</span></td>
    <td>${esc(s.id)}<br><small class="muted">${esc(s.kind)} ${esc(s.address)}</small></td>
    <td title="${when(s.last_seen_ns)}">${ago(s.last_seen_ns, now)}</td>
    <td title="${when(s.since_ns)}">${ago(s.since_ns, now)}</td>
    <td class="num">${s.drops}</td>
    <td>${esc(s.last_error)}${retry}</td></tr>`;
}

export async function devicesPage(el) {
  async function draw() {
    const d = await api("GET", "/api/devices");
    if (!d.connected_equipment) {
      el.innerHTML = `<h1>Devices</h1><p class="muted" id="devices-na">${esc(d.note)}</p>`;
      return;
    }
    const quiet = d.signals.filter((s) => s.state !== "ok");
    el.innerHTML = `<h1>Devices</h1>
      <p class="muted">Each source's connection, as <code>jayul run</code> sees it now: a drop
      is retried with backoff and recorded as an alert; <em>stale</em> means connected but
      silent.</p>
      <table class="devices"><tr><th>state</th><th>source</th><th>last data</th>
        <th>state since</th><th>drops</th><th>last error</th></tr>
      ${d.sources.map((s) => sourceRow(s, d.now_ns)).join("")}</table>
      <h2>Signals <small class="muted">${d.signals.length - quiet.length} of
        ${d.signals.length} speaking</small></h2>
      <table class="signals"><tr><th>state</th><th>signal</th><th>last sample</th>
        <th>samples</th><th>silent after</th></tr>
      ${d.signals.map((s) => `<tr data-signal="${esc(s.machine)}.${esc(s.signal)}">
        <td><span class="badge sig ${esc(s.state)}">${esc(s.state)}</span></td>
        <td>${esc(s.machine)}.${esc(s.signal)}</td>
        <td title="${when(s.last_seen_ns)}">${ago(s.last_seen_ns, d.now_ns)}</td>
        <td class="num">${Number(s.samples).toLocaleString()}</td>
        <td class="num">${s.limit_s} s</td></tr>`).join("")}</table>`;
  }
  await draw();
  const t = setInterval(draw, 2000);
  return () => clearInterval(t);
}
