"""`jayul run` at start: the live health monitor runs over the plant's stored history (imported
with `jayul import samples`, or stored by an earlier run), so it judges from the first live
sample instead of learning `--fit-h` hours of live production first."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from jayul.records.timebase import NS_PER_H

if TYPE_CHECKING:
    from jayul.autopilot.monitor import HealthMonitor
    from jayul.historian.base import Historian
    from jayul.plant.model import Plant

console = Console()


def warm_from_history(
    monitor: HealthMonitor, store: Historian, plant: Plant, now_ns: int, days: float
) -> list[str]:
    """Run `monitor` over the last `days` of stored samples up to `now_ns` (alerts of that span
    are not raised again: they were raised when it was imported or lived); return what each
    machine learned, as lines for the console."""
    from jayul.autopilot.backfill import replay

    if days <= 0:
        return ["health monitor: not warmed from history (--warm-days 0)"]
    start = now_ns - int(days * 24 * NS_PER_H)
    began = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"health monitor over the last {days:g} days stored", total=1.0)
        result = replay(
            monitor, store, plant, start, now_ns, progress=lambda f: bar.update(task, completed=f)
        )
    if result.samples == 0:
        return [f"health monitor: no stored samples in the last {days:g} days to learn from"]
    fitted = sorted(mid for mid, mh in monitor.machines.items() if mh.scorer is not None)
    learning = sorted(set(monitor.machines) - set(fitted))
    lines = [
        f"health monitor: ran over {result.samples:,} stored samples of the last {days:g} days "
        f"in {time.monotonic() - began:.1f} s ({len(result.alerts)} alert(s) there, raised when "
        "they were stored, not again)"
    ]
    if fitted:
        lines.append(f"  judging from the first live sample: {', '.join(fitted)}")
    if learning:
        lines.append(
            f"  still learning (less than --fit-h {monitor.fit_h:g} h of production stored): "
            + ", ".join(learning)
        )
    return lines
