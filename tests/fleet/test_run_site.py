"""`jayul run` as a site: with a `fleet:` section in its plant file it publishes what its
policy shares (here raw signals and KPIs) to the centre, checked in the centre's database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import paho.mqtt.publish as mqtt_publish

from jayul.plant import demo_plant_path

from .conftest import NATS_URL, Fleet, wait_for


def test_jayul_run_publishes_to_the_fleet(fleet: Fleet, tmp_path: Path) -> None:
    root = f"fleet-{uuid.uuid4().hex[:8]}"
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
  url: {NATS_URL}
  stream: {fleet.stream}
  subject_prefix: {fleet.prefix}
  kpi_every_s: 0.5
  share: {{signals: raw}}
""")
    cmd = [
        sys.executable, "-c", "from jayul.cli.main import app; app()", "run",
        "--plant", str(plant), "--ingest-only", "--tick-s", "0.2", "--seconds", "60",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    centre = fleet.centre().start()
    try:
        wait_for(lambda: bool(fleet.rows("SELECT 1 FROM {s}.kpis")), 60, "the site's KPIs")
        t0 = time.time_ns() - 3600 * 10**9
        rows = [
            {"signal": "vib_rms", "t": t0 + k * 60 * 10**9, "v": 2.0 + k / 100} for k in range(50)
        ]
        mqtt_publish.single(f"{root}/pump1", json.dumps({"samples": rows}), qos=1)
        count = "SELECT count(*) FROM {s}.samples WHERE site = 'site-7'"
        try:
            wait_for(lambda: fleet.rows(count) == [(50,)], 30, "50 samples at the centre")
        except AssertionError:
            proc.terminate()
            print(proc.communicate(timeout=30)[0].decode()[-3000:])
            raise
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        centre.stop()
    assert b"fleet: site site-7" in out, out.decode()[-2000:]
    (kpis,) = fleet.rows("SELECT kpis FROM {s}.sites WHERE site = 'site-7'")[0]
    assert isinstance(kpis, dict) and "samples_stored" in kpis
