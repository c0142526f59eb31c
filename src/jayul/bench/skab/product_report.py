"""`jayul bench skab --holdout --product-rule`: the pool on every group and the twin, the rule,
and its tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from jayul.bench.skab.holdout import (
    Group,
    Stream,
    file_group,
    normal_group,
    skab_groups,
    tep_groups,
)
from jayul.bench.skab.product_pool import REPLACED_DEFAULT, product_candidates, score_groups
from jayul.bench.skab.product_rule import apply_rule, rule_groups
from jayul.bench.skab.twin_group import score_twin


def run_product_rule(
    data_dir: Path,
    tep_dir: Path | None,
    twin_days: float = 90.0,
    twin_seeds: int = 2,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every candidate of the pool on every group and on the twin, then the rule."""
    candidates = product_candidates()
    folders, anomaly_free = skab_groups(data_dir)
    groups: list[Group] = [file_group(name, files) for name, files in folders.items()]
    if anomaly_free is not None:
        groups.append(normal_group("anomaly-free", anomaly_free))
    faults: dict[int, Stream] = {}
    if tep_dir is not None:
        tep, faults = tep_groups(tep_dir)
        groups += tep
    pool = score_groups(candidates, groups, faults, progress)
    twin = score_twin(candidates, twin_days, twin_seeds, progress)
    for name, figures in twin.items():
        pool[name]["twin"] = figures
    return {
        "data": str(data_dir),
        "tep": str(tep_dir) if tep_dir else None,
        "twin": {"days": twin_days, "seeds": twin_seeds},
        "groups": {g.name: len(g.streams) for g in groups},
        "pool": pool,
        "rule": apply_rule(pool, REPLACED_DEFAULT.name),
    }


def _fmt(value: Any, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) else "-"


def print_product_rule(console: Console, figures: dict[str, Any]) -> None:
    pool = figures["pool"]
    group_names = list(rule_groups(next(iter(pool.values()))["groups"]))
    table = Table(title="the pool: FAR % per group (F1 on labelled groups), the twin")
    columns = ("candidate", *group_names, "TEP FDR %", "twin caught", "warning h", "healthy alerts")
    for column in columns:
        table.add_column(column, justify="right")
    for name, c in pool.items():
        groups = rule_groups(c["groups"])
        cells = [
            _fmt(groups[g]["far_percent"], ".1f")
            + (f" ({groups[g]['f1']:.2f})" if "f1" in groups[g] else "")
            for g in group_names
        ]
        twin = c["twin"]
        table.add_row(
            name,
            *cells,
            _fmt(c.get("tep_fdr_percent_mean_18"), ".1f"),
            f"{twin['caught']}/{twin['failures']}",
            _fmt(twin.get("lead_h_median"), ".0f"),
            str(twin["healthy_alerts"]),
        )
    console.print(table)
    rule = figures["rule"]
    console.print(f"twin-eligible: {len(rule['eligible'])} of {len(pool)}")
    table = Table(title="the rule, each group left out: its choice scored on that group")
    for column in ("held-out group", "chosen on the others", "FAR %", "F1", "holds (<= 15 %)"):
        table.add_column(column, justify="right")
    for group, g in rule["left_out"].items():
        table.add_row(
            group, g["chosen"], _fmt(g["far_percent"], ".1f"), _fmt(g["f1"], ".3f"), str(g["holds"])
        )
    console.print(table)
    spread = rule["held_out_far"]
    if spread:
        console.print(
            f"held-out FAR across groups: {spread['min']:.1f}-{spread['max']:.1f} % (spread "
            f"{spread['spread']:.1f} points, sd {spread['sd']:.1f}); holds on "
            f"{spread['groups_held']} of {spread['groups']}"
        )
    console.print(f"the rule's choice on every group: {rule['default']}")
