"""The report as one self-contained HTML page (no script, no external file), printable."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from jayul.reports.gather import ReportData

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2330; margin: 2rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #d9dde5; }
th { color: #667085; font-weight: 600; font-size: .85rem; }
.kpis { display: flex; flex-wrap: wrap; gap: .6rem; }
.kpi { border: 1px solid #d9dde5; border-radius: 6px; padding: .4rem .7rem; min-width: 9rem; }
.kpi b { display: block; font-size: 1.2rem; } .muted { color: #667085; }
"""


def _t(ns: int | None) -> str:
    if ns is None:
        return "—"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")


def _table(head: list[str], rows: list[list[Any]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    out = "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
    for r in rows:
        out += "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>"
    return out + "</table>"


def render_html(d: ReportData, title: str = "Plant report") -> str:
    k = d.kpis
    tiles = [
        ("hours", f"{k['hours']:,.1f}"),
        ("availability", f"{k['availability']:.1%}"),
        ("down hours", f"{k['down_h']:,.1f}"),
        ("failures", f"{k['failures']:.0f}"),
        ("maintenance done", f"{k['maintenances']:.0f}"),
        ("repairs", f"{k['repairs']:.0f}"),
        ("orders done", f"{k['orders_done']:.0f}"),
        ("alerts", f"{k['alerts']:.0f}"),
        ("alarms", f"{len(d.alarms)}"),
    ]
    kpis = "".join(
        f'<div class="kpi"><span class="muted">{n}</span><b>{v}</b></div>' for n, v in tiles
    )
    alarms = _table(
        ["severity", "machine", "what", "alerts", "first", "last", "state", "by", "done"],
        [
            [a.severity.value, a.machine, a.message, a.count, _t(a.first_ns), _t(a.last_ns),
             a.state.value, a.acked_by or a.cleared_by or "", "; ".join(
                 f"{x.kind} {x.status}" for x in a.links)]
            for a in d.alarms
        ],
        "No alarm in this range.",
    )  # fmt: skip

    def acts(kind: str, empty: str) -> str:
        rows = [
            [_t(a["time"]), a["machine"], a["action"], a["proposer"], a["check"],
             a["verdict"] if kind == "executed" and a["verdict"] else a["reason"]]
            for a in d.actions.get(kind, [])
        ]  # fmt: skip
        return _table(["when", "machine", "action", "proposed by", "check", "why"], rows, empty)

    approvals = _table(
        ["when", "machine", "decision", "by", "why"],
        [[_t(a["time"]), a["machine"], a["what"], a["by"], a["reason"]] for a in d.approvals],
        "No request for approval was decided in this range.",
    )
    models = _table(
        ["model", "version", "status", "class", "metrics"],
        [[m["name"], m["version"], m["status"], m["class_name"],
          ", ".join(f"{n} {v:.3g}" for n, v in m["metrics"].items())] for m in d.models],
        "No model is registered in this plant database. The live loop's detectors and RUL "
        "models (fitted in the loop, trained on twin histories) are listed on the console's "
        "Models page with their cards and scorecards.",
    )  # fmt: skip
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{CSS}</style></head><body>
<h1>{escape(title)}{": " + escape(d.plant) if d.plant else ""}</h1>
<p class="muted">{_t(d.start_ns)} to {_t(d.end_ns)} UTC, plant time · {len(d.machines)} machines ·
KPIs from the recorded events (availability = 1 - down hours / machine hours)</p>
<h2>KPIs</h2><div class="kpis">{kpis}</div>
<h2>Alarms ({len(d.alarms)}, from {escape(d.alarms_from)})</h2>{alarms}
<h2>Actions taken ({len(d.actions.get("executed", []))})</h2>
{acts("executed", "No action was carried out in this range.")}
<h2>Actions refused ({len(d.actions.get("refused", []))}), with the reasons</h2>
{acts("refused", "Nothing was refused in this range.")}
<h2>Asked of a person ({len(d.actions.get("pending", []))})</h2>
{acts("pending", "No action waited for a person in this range.")}
<h2>Decisions by people</h2>{approvals}
<h2>Models</h2>{models}
</body></html>
"""
