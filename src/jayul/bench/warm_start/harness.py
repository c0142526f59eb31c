"""Start `jayul run` over a plant whose history is stored, and time it: from the start of the
process to the line it prints when its loop starts ("running <plant> from ..."), after which
the first live tick comes one `--tick-s` later; and the warm-up's own seconds, as the run
reports them. An MQTT broker of the benchmark's own (mosquitto) is the source, silent: the
warm-up is what is measured, not ingestion."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jayul.bench.warm_start.history import write_history
from jayul.historian.open import open_historian
from jayul.plant import load_plant
from jayul.records import utc_now_ns

TICK_S = 0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plant_file(work: Path, source_plant: Path, broker_port: int) -> Path:
    """`source_plant`'s plant: section with a connect: section of the benchmark's own."""
    import yaml

    data = yaml.safe_load(source_plant.read_text())
    data["connect"] = {
        "historian": "duckdb:///history.duckdb",
        "buffer": "buffer",
        "sources": [{"kind": "mqtt", "port": broker_port, "topic_root": "bench"}],
    }
    out = work / "plant.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def timed_run(plant: Path, warm_days: float) -> dict[str, Any]:
    """One `jayul run`: seconds to its loop's start, the first tick's time, the warm-up line."""
    cmd = [
        sys.executable, "-c", "from jayul.cli.main import app; app()", "run",
        "--plant", str(plant), "--tick-s", str(TICK_S), "--seconds", "2",
        "--warm-days", str(warm_days),
    ]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=plant.parent,
        env={**os.environ, "COLUMNS": "400", "PYTHONPATH": _this_jayul()},
    )  # fmt: skip
    assert proc.stdout is not None
    running_s, lines = None, []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if running_s is None and line.startswith("running "):
            running_s = time.monotonic() - started
    proc.wait(60)
    if running_s is None or proc.returncode != 0:
        raise RuntimeError("jayul run did not start:\n" + "\n".join(lines[-20:]))
    warm = next((x for x in lines if "health monitor: ran over" in x), "")
    found = re.search(r"in ([\d.]+) s", warm)
    return {
        "warm_days": warm_days,
        "to_loop_start_s": round(running_s, 2),
        "to_first_tick_s": round(running_s + TICK_S, 2),
        "warm_up_s": float(found.group(1)) if found else None,
        "warm_up_line": warm,
    }


def _this_jayul() -> str:
    """PYTHONPATH for the child: the jayul this benchmark runs from (a worktree's `src`, not
    another copy installed in the environment), then the caller's."""
    import jayul

    own = str(Path(jayul.__file__).resolve().parents[1])
    return os.pathsep.join(p for p in (own, os.environ.get("PYTHONPATH", "")) if p)


def run(source_plant: Path, days: int, work: Path) -> dict[str, Any]:
    """Store `days` days of history for `source_plant`, then time `jayul run` warmed over it
    and cold (`--warm-days 0`)."""
    mosquitto = shutil.which("mosquitto")
    if mosquitto is None:
        raise RuntimeError("the benchmark needs mosquitto (apt-get install mosquitto)")
    port = _free_port()
    conf = work / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    broker = subprocess.Popen([mosquitto, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        path = plant_file(work, source_plant, port)
        plant = load_plant(path)
        store = open_historian(f"duckdb:///{work / 'history.duckdb'}")
        t0 = time.monotonic()
        samples = write_history(store, plant, utc_now_ns(), days)
        store.close()
        write_s = time.monotonic() - t0
        warm = timed_run(path, days)
        cold = timed_run(path, 0)
    finally:
        broker.terminate()
        broker.wait(10)
    return {
        "plant": plant.name,
        "machines": len(plant.machines),
        "days": days,
        "samples_stored": samples,
        "history_write_s": round(write_s, 1),
        "warm": warm,
        "cold": cold,
        "warm_up_cost_s": round(warm["to_first_tick_s"] - cold["to_first_tick_s"], 2),
    }
