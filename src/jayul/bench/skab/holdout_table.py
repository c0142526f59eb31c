"""The hold-out report's tables (`jayul bench skab --holdout`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(figures: dict[str, Any], key: str, fmt: str) -> str:
    value = figures.get(key)
    return format(value, fmt) if isinstance(value, int | float) else "-"


def print_holdout(console: Console, figures: dict[str, Any]) -> None:
    groups = figures["groups"]
    console.print(
        "groups: " + ", ".join(f"{name} ({n} stream{'s' * (n != 1)})" for name, n in groups.items())
    )
    for label, entry in figures["fixed"].items():
        table = Table(title=f"{label}: {entry['recipe']} (fixed on every group)")
        for column in ("group", "F1", "FAR %", "MAR %", "normal rows"):
            table.add_column(column, justify="right")
        for name, g in entry["groups"].items():
            table.add_row(
                name,
                _cell(g, "f1", ".3f"),
                _cell(g, "far_percent", ".1f"),
                _cell(g, "mar_percent", ".1f"),
                f"{g['rows']:,}",
            )
        console.print(table)
        _spread(console, entry["far_across_groups"])
        if "tep_detection" in entry:
            _tep(console, entry["tep_detection"])
    rule = figures.get("rule")
    if rule:
        table = Table(title="the label-free rule, scored on the group it did not see")
        for column in ("held-out group", "chosen", "F1", "FAR %", "MAR %", "rule's FAR est. %"):
            table.add_column(column, justify="right")
        for name, g in rule["left_out"].items():
            table.add_row(
                name,
                g["chosen"],
                _cell(g, "f1", ".3f"),
                _cell(g, "far_percent", ".1f"),
                _cell(g, "mar_percent", ".1f"),
                _cell(g, "stream_far_percent", ".1f"),
            )
        console.print(table)
        if rule.get("far_across_groups"):
            _spread(console, rule["far_across_groups"])
        if "tep_detection" in rule:
            _tep(console, rule["tep_detection"])


def _spread(console: Console, s: dict[str, float]) -> None:
    console.print(
        f"FAR across groups: {s['min']:.1f}-{s['max']:.1f} % (spread {s['spread']:.1f} points, "
        f"sd {s['sd']:.1f})"
    )


def _tep(console: Console, d: dict[str, Any]) -> None:
    mean = d["fdr_percent_mean_18"]
    if mean is not None:
        console.print(f"TEP detection rate, mean over the 18 usual faults: {mean:.1f} %")
