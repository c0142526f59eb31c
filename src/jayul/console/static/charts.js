// Line charts on uPlot (vendored from the npm registry, MIT; see vendor/uPlot.LICENSE).
import uPlot from "./vendor/uPlot.esm.js";

const COLORS = ["#1f5fbf", "#c62828", "#1a7f37", "#b26a00", "#7b3fbf", "#00838f"];

// A chart in `el` with a title and one line per name; set([xs, ys1, ys2, ...]) redraws.
// `level` draws a dashed horizontal line (e.g. the alarm level of an anomaly score); the
// series named in `dots` are drawn as points only (sparse readings, e.g. an analyser's).
export function lineChart(el, title, names, { level = null, height = 170, dots = [] } = {}) {
  el.innerHTML = `<div class="title">${title}</div>`;
  const width = () => Math.max(el.clientWidth - 12, 200);
  const series = [{}, ...names.map((n, i) => (dots.includes(n) ?
    { label: n, stroke: COLORS[i % COLORS.length], paths: () => null,
      points: { show: true, size: 6, fill: COLORS[i % COLORS.length] } } :
    { label: n, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false } }))];
  const hooks = level == null ? {} : { draw: [(u) => {
    const y = u.valToPos(level, "y", true);
    const { ctx } = u;
    ctx.save(); ctx.strokeStyle = "#c62828"; ctx.setLineDash([6, 4]); ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke(); ctx.restore();
  }] };
  const opts = {
    width: width(), height, series, hooks,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    legend: { show: names.length > 1 },
    cursor: { drag: { x: false, y: false } },
    scales: level == null ? {} : { y: { range: (u, lo, hi) => [0, Math.max(hi ?? 0, level * 1.2)] } },
  };
  const plot = new uPlot(opts, [[], ...names.map(() => [])], el);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height }));
  ro.observe(el);
  return {
    set: (data) => plot.setData(data),
    destroy: () => { ro.disconnect(); plot.destroy(); },
  };
}
