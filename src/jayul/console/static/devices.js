// Device health: the input watch (how long the plant has been silent and when `jayul run`
// stops for it, each source's input: receiving, silent or stopped), each source's connection
// (connected, stale, disconnected) with when it was last heard from, and each signal's last
// sample; redrawn every 2 s.
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

// "1.5 min": a duration in seconds, short.
function span(s) {
  if (s < 90) return `${Number(s).toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

// The input watch of `jayul run` (connect.no_data): the plant's silence against the limit
// that stops it, and each source's input.
function inputWatch(w, now) {
  if (w == null) return "";
  const stop = w.stopping ? `<strong class="input-stopping">stopping: ${esc(w.stopping)}</strong>` :
    w.stop_after_s == null ? "no stop limit: a silence raises alerts and jayul waits" :
    `stops after ${span(w.stop_after_s)} of silence (in ${span(w.stops_in_s)} if nothing comes)`;
  const silent = w.silent_signals.length ?
    ` · silent signals: ${w.silent_signals.map(esc).join(", ")}` : "";
  return `<section id="input-watch" data-ok="${w.ok}">
    <h2>Input watch</h2>
    <p>Last sample <span title="${when(w.last_sample_ns)}">${ago(w.last_sample_ns, now)}</span>
      · plant silent for <span id="input-silent">${span(w.silent_s)}</span> · ${stop}${silent}</p>
    <table class="inputs"><tr><th>input</th><th>source</th><th>last sample</th>
      <th>silent for</th><th>silent after</th><th>stopped</th></tr>
    ${w.sources.map((s) => `<tr class="input" data-source="${esc(s.id)}"
        data-state="${esc(s.state)}">
      <td><span class="badge input ${esc(s.state)}">${esc(s.state)}</span></td>
      <td>${esc(s.id)}</td>
      <td title="${when(s.last_sample_ns)}">${ago(s.last_sample_ns, now)}</td>
      <td class="num">${span(s.silent_s)}</td><td class="num">${span(s.limit_s)}</td>
      <td>${esc(s.stopped || "")}</td></tr>`).join("")}</table></section>`;
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
      ${inputWatch(d.watch, d.now_ns)}
      <h2>Connections</h2>
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
