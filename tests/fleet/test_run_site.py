"""`jayul run` as a site: with a `fleet:` section in its plant file it publishes what its
policy shares (here raw signals and KPIs) to the centre, checked in the centre's database;
with the centre unreachable it keeps storing, and what it queued arrives on the next run."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.publish as mqtt_publish

from jayul.plant import demo_plant_path

from .conftest import NATS_URL, NOWHERE, Fleet, wait_for

COUNT = "SELECT count(*) FROM {s}.samples WHERE site = 'site-7'"


def _plant(tmp_path: Path, fleet: Fleet, root: str, url: str) -> Path:
    plant = tmp_path / "plant.yaml"
    plant.write_text(f"""
plant_file: {demo_plant_path()}
connect:
  historian: duckdb:///{tmp_path}/hist.duckdb
  buffer: {tmp_path}/buffer
  sources:
    - {{kind: mqtt, client_id: jayul-{root}, topic_root: {root}}}
fleet:
  site: site-7
  url: {url}
  stream: {fleet.stream}
  subject_prefix: {fleet.prefix}
  kpi_every_s: 0.5
  share: {{signals: raw}}
""")
    return plant


class Site:
    """`jayul run` in a process of its own, its output collected as it comes."""

    def __init__(self, plant: Path) -> None:
        cmd = [
            sys.executable, "-c", "from jayul.cli.main import app; app()", "run",
            "--plant", str(plant), "--ingest-only", "--tick-s", "0.2", "--seconds", "60",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(30)
        self._reader.join(10)
        return "".join(self.lines)


def _publish(root: str) -> None:
    t0 = time.time_ns() - 3600 * 10**9
    rows = [{"signal": "vib_rms", "t": t0 + k * 60 * 10**9, "v": 2.0 + k / 100} for k in range(50)]
    mqtt_publish.single(f"{root}/pump1", json.dumps({"samples": rows}), qos=1)


def test_jayul_run_publishes_to_the_fleet(fleet: Fleet, tmp_path: Path) -> None:
    root = f"fleet-{uuid.uuid4().hex[:8]}"
    site = Site(_plant(tmp_path, fleet, root, NATS_URL))
    centre = fleet.centre().start()
    try:
        wait_for(lambda: bool(fleet.rows("SELECT 1 FROM {s}.kpis")), 60, "the site's KPIs")
        _publish(root)
        wait_for(lambda: fleet.rows(COUNT) == [(50,)], 30, "50 samples at the centre")
    finally:
        out = site.stop()
        centre.stop()
    assert "fleet: site site-7" in out, out[-2000:]
    (kpis,) = fleet.rows("SELECT kpis FROM {s}.sites WHERE site = 'site-7'")[0]
    assert isinstance(kpis, dict) and "samples_stored" in kpis


def test_jayul_run_offline_then_catching_up(fleet: Fleet, tmp_path: Path) -> None:
    root = f"fleet-{uuid.uuid4().hex[:8]}"
    site = Site(_plant(tmp_path, fleet, root, NOWHERE))  # the centre unreachable
    try:
        wait_for(lambda: site.said("running demo"), 60, "the site running")
        outbox = sqlite3.connect(tmp_path / "fleet-outbox.sqlite")  # read beside it (WAL)
        _publish(root)
        samples_queued = "SELECT count(*) FROM outbox WHERE subject LIKE '%.samples'"
        wait_for(
            lambda: outbox.execute(samples_queued).fetchone() == (1,),
            60,
            "the samples queued at the site",
        )
    finally:
        out = site.stop()
    outbox.close()
    assert "50 samples" in out, out[-2000:]  # stored at the site while the centre was away
    site = Site(_plant(tmp_path, fleet, root, NATS_URL))  # the link is back
    centre = fleet.centre().start()
    try:
        wait_for(lambda: fleet.rows(COUNT) == [(50,)], 60, "the queued samples at the centre")
    finally:
        site.stop()
        centre.stop()
