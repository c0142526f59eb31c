// Models the live loop runs (detectors per machine, RUL models per machine type and failure
// mode), each with its card and risk scorecard, as the Models page shows them.
import { api, esc, num } from "./lib.js";

const RATINGS = ["safety_impact", "autonomy", "robustness", "data_quality", "drift"];

export function modelCard(m) {
  const metrics = Object.entries(m.metrics || {}).map(([k, v]) => `${esc(k)} ${num(v, 3)}`).join(", ");
  return `<div class="card model" data-model="${esc(m.name)}"><h3><span>${esc(m.name)}${m.version ? ` v${m.version}` : ""}</span>
      <span class="badge">${esc(m.status)}</span></h3>
    <div class="muted">${esc(m.kind ?? "")} ${esc(m.class_name)}</div>
    <div>metrics: ${metrics || "none"}</div>
    ${m.card ? `<h4>Card</h4><div><b>Intended use:</b> ${esc(m.card.intended_use)}</div>
      <div><b>Data:</b> ${esc(m.card.data)}</div>
      <div><b>Limits:</b> ${esc(m.card.limits.join("; ") || "none stated")}</div>` : '<p class="na">no model card</p>'}
    ${m.scorecard ? `<h4>Risk scorecard: ${esc(m.scorecard.overall)} · autonomy cap ${esc(m.scorecard.max_autonomy)}</h4>
      <table>${RATINGS.map((k) => `<tr><td>${k.replace("_", " ")}</td><td>${esc(m.scorecard[k].level)}</td>
        <td>${esc(m.scorecard[k].evidence)}</td></tr>`).join("")}</table>` : '<p class="na">no risk scorecard</p>'}
  </div>`;
}

export async function inUseSection() {
  const used = await api("GET", "/api/models-in-use");
  if (!used.length) return `<h2>In the live loop</h2><p class="na">The loop runs no model yet.</p>`;
  const rul = used.filter((m) => m.kind === "RUL model"), det = used.filter((m) => m.kind !== "RUL model");
  return `<h2>In the live loop: ${rul.length} RUL models, ${det.length} detectors</h2>
    <p class="muted">Fitted in the loop (detectors) or trained on twin histories and cached (RUL); each rating says its evidence.</p>
    <div class="grid" id="models-in-use">${[...rul, ...det].map(modelCard).join("")}</div>`;
}
