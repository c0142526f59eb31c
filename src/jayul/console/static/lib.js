// Small helpers shared by the pages: the API client, escaping, formatting.
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const d = data && data.detail;
    const msg = typeof d === "string" ? d : d ? JSON.stringify(d) : `${r.status} ${r.statusText}`;
    throw new ApiError(r.status, msg);
  }
  return data;
}

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

// Plant time (UTC ns) as "2026-01-08 14:00".
export const when = (ns) => (ns == null ? "—" :
  new Date(Number(ns) / 1e6).toISOString().slice(0, 16).replace("T", " "));
export const pct = (x) => (x == null ? "—" : `${(100 * x).toFixed(1)} %`);
export const num = (x, d = 0) => (x == null ? "—" :
  Number(x).toLocaleString("en", { maximumFractionDigits: d, minimumFractionDigits: d }));

export function healthBar(indicator) {
  if (indicator == null) return `<span class="na">detector still learning normal behaviour</span>`;
  const w = Math.min(indicator / 1.5, 1) * 100;
  const cls = indicator >= 1 ? "bad" : indicator >= 0.7 ? "warn" : "";
  return `<div class="bar" title="anomaly indicator ${indicator.toFixed(2)} (1 = alarm level)">` +
    `<span class="${cls}" style="width:${w.toFixed(0)}%"></span></div>` +
    `<small class="muted">anomaly ${indicator.toFixed(2)} of alarm level 1.00</small>`;
}

// A median at the models' label cap says "at least", not "this long": "> N h".
export const rulHours = (v) => (v.beyond ? `&gt; ${num(Math.floor(v.median_h))} h` : `${num(v.median_h)} h`);

export function rulText(rul) {
  if (!rul) return `<span class="na">RUL not available yet</span>`;
  if (rul.beyond) {
    return `<span class="rul-beyond">RUL ${rulHours(rul)}</span>${rul.mode ? ` for <b>${esc(rul.mode)}</b>` : ""} ` +
      `<small class="muted">(beyond what the model can tell: it learned lives up to ${num(rul.cap_h)} h)</small>`;
  }
  return `RUL ${num(rul.median_h)} h (${num(rul.low_h)}–${num(rul.high_h)} h, ` +
    `${pct(rul.level ?? 0.8)} interval)${rul.mode ? ` for <b>${esc(rul.mode)}</b>` : ""}`;
}

export function contributions(alert) {
  const rows = alert.contributions.map((c) => {
    const z = c.z == null ? "" : `${c.direction >= 0 ? "+" : "−"}${Math.abs(c.z).toFixed(1)}σ`;
    return `<div>${esc(c.signal)}</div><div class="bar"><span class="bad" ` +
      `style="width:${(100 * c.share).toFixed(0)}%"></span></div><div>${(100 * c.share).toFixed(0)} % ${z}</div>`;
  });
  return `<div class="contrib">${rows.join("")}</div>`;
}
