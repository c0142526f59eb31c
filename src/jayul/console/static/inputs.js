// The plant's inputs: dead letters counted by reason, and the newest ones with their raw bytes.
import { api, esc, when } from "./lib.js";

export async function deadLettersPage(el) {
  async function draw() {
    const d = await api("GET", "/api/deadletters?limit=100");
    el.innerHTML = `<h1>Dead letters</h1>
      <p class="muted">Input jayul could not store, kept with the reason. Fix the mapping in the
      plant file, then <code>jayul deadletters replay --plant FILE</code> stores what now passes.</p>
      ${d.total ? "" : '<p class="muted">No dead letters.</p>'}
      ${d.total ? `<h2>${d.total.toLocaleString()} by reason</h2>
      <table class="dead-reasons"><tr><th>count</th><th>source</th><th>reason</th></tr>
      ${d.by_reason.map((r) => `<tr><td class="num">${r.count.toLocaleString()}</td>
        <td>${esc(r.source)}</td><td>${esc(r.reason)}</td></tr>`).join("")}</table>
      <h2>Newest</h2>
      <table class="dead-letters"><tr><th>#</th><th>time</th><th>source</th><th>reason</th><th>raw</th></tr>
      ${d.letters.map((l) => `<tr data-seq="${l.seq}"><td>${l.seq}</td><td>${when(l.time)}</td>
        <td>${esc(l.source)}</td><td>${esc(l.reason)}</td>
        <td><code>${esc(l.raw.slice(0, 160))}</code></td></tr>`).join("")}</table>` : ""}`;
  }
  await draw();
  const t = setInterval(draw, 5000);
  return () => clearInterval(t);
}
