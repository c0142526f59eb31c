// Refusals: every action the verifier (on forked twins) or the gate (envelope, origin, rate
// limit, agreement, uncertainty) refused, with who refused it and why.
import { api, esc, when } from "./lib.js";

const CHECKS = { verdict: "verifier (tried on forked twins)", interlock: "gate: safe envelope",
  origin: "gate: origin", rate_limit: "gate: rate limit", agreement: "gate: agreement",
  uncertainty: "gate: uncertainty", autonomy: "gate: autonomy level", kill: "gate: kill switch" };

export async function refusalsPage(el) {
  const data = await api("GET", "/api/refusals?limit=300");
  el.innerHTML = `<h1>Refusals</h1>
    <p class="muted">${data.count.toLocaleString("en")} proposals refused since the start; newest first.
      A refused action was not carried out; the reason is the verifier's or the gate's own.</p>
    ${data.refusals.length ? `<div class="scroll"><table id="refusals"><tr><th>when</th><th>machine</th>
      <th>action</th><th>proposed by</th><th>refused by</th><th>why</th></tr>${data.refusals.map((r) => `
      <tr class="refusal"><td>${when(r.time)}</td><td><a href="#/machine/${esc(r.machine)}">${esc(r.machine)}</a></td>
      <td>${esc(r.action.replace(/_/g, " "))} ${esc(Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(", "))}</td>
      <td>${esc(r.proposer)}</td><td>${esc(CHECKS[r.check] ?? r.check)}</td>
      <td>${esc(r.reason)}${r.expected_effect ? `<div class="muted">expected: ${esc(r.expected_effect)}</div>` : ""}</td></tr>`).join("")}
      </table></div>` : '<p class="muted" id="no-refusals">Nothing has been refused yet: every proposal so far passed the verifier and the gate, or waits for a person.</p>'}`;
}
