// The operating pages (alarms, refusals, history explorer, exports, notifications): their
// routes and navigation links, kept in one file so the shell (app.js) only adds them.
import { alarmsPage } from "./alarms.js";
import { refusalsPage } from "./refusals.js";
import { explorerPage } from "./explorer.js";
import { exportsPage } from "./exports.js";

export const operateRoutes = [
  [/^#\/alarms$/, () => alarmsPage],
  [/^#\/refusals$/, () => refusalsPage],
  [/^#\/explore(?:\?.*)?$/, () => explorerPage],
  [/^#\/exports$/, () => exportsPage],
];

// [href, label, insert after the link with this href]
export const operateNav = [
  ["#/alarms", "Alarms", "#/alerts"],
  ["#/refusals", "Refusals", "#/approvals"],
  ["#/explore", "History", "#/alarms"],
  ["#/exports", "Exports", "#/kpis"],
];

export function addOperateNav(nav) {
  for (const [href, label, after] of operateNav) {
    if (nav.querySelector(`a[href="${href}"]`)) continue;
    const a = document.createElement("a");
    a.href = href; a.textContent = label;
    const prev = nav.querySelector(`a[href="${after}"]`);
    if (prev) prev.after(a); else nav.appendChild(a);
  }
}
