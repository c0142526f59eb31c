"""`jayul run` watches its inputs against a real broker of the test's own: a plant from which
nothing arrives for `stop_after_s` stops `jayul run` with a clear error and exit code 4 instead
of running blind, whether the broker went away (under the console: the loop runs in the
background) or stands connected with nothing published (the foreground loop)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.input_watch import NO_DATA_EXIT
from jayul.historian import open_historian
from jayul.plant import demo_plant_path
from jayul.records import EventKind

if TYPE_CHECKING:
    from conftest import OwnBroker

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plant_file(tmp_path: Path, port: int, no_data: str) -> Path:
    path = tmp_path / "plant.yaml"
    path.write_text(
        f"plant_file: {demo_plant_path()}\n"
        "connect:\n"
        f"  historian: duckdb:///{tmp_path}/hist.duckdb\n"
        f"  buffer: {tmp_path}/buffer\n"
        f"  sources:\n    - {{kind: mqtt, port: {port}, client_id: watch-{port}}}\n"
        f"  no_data: {no_data}\n"
    )
    return path


def input_alerts(tmp_path: Path) -> list[str]:
    store = open_historian(f"duckdb:///{tmp_path}/hist.duckdb")
    try:
        events = store.query_events(0, None)
    finally:
        store.close()
    return [str(e.payload.get("detector")) for e in events if e.kind is EventKind.ALERT]


def test_a_silent_plant_stops_run_with_exit_code_4(own_broker: OwnBroker, tmp_path: Path) -> None:
    plant = plant_file(tmp_path, own_broker.port, "{stop_after_s: 8}")
    port = free_port()

    def stop_broker_once_serving() -> None:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        own_broker.stop()  # the broker goes away while jayul runs

    threading.Thread(target=stop_broker_once_serving, daemon=True).start()
    args = ["run", "--plant", str(plant), "--tick-s", "0.2", "--seconds", "90"]
    # with the console (the loop in the background): the watch stops the server too
    args += ["--port", str(port), "--admin-password", "watch-admin-pw"]
    result = runner.invoke(app, args)
    assert result.exit_code == NO_DATA_EXIT, result.output
    out = " ".join(result.output.split())
    assert "no sample from any source for" in out
    assert "stopping rather than running blind" in out
    assert "connect.sources[0]: disconnected" in out  # names the source that went away
    kinds = input_alerts(tmp_path)
    assert "connection" in kinds and "input_stopped" in kinds, kinds


def test_a_connected_but_silent_plant_stops_run_too(own_broker: OwnBroker, tmp_path: Path) -> None:
    """In the foreground loop, ingesting only; `--stop-after-silence` over the file's unset."""
    plant = plant_file(tmp_path, own_broker.port, "{periods: 5}")
    args = ["run", "--plant", str(plant), "--ingest-only", "--tick-s", "0.2", "--seconds", "60"]
    result = runner.invoke(app, [*args, "--stop-after-silence", "3"])
    assert result.exit_code == NO_DATA_EXIT, result.output
    assert "every source connected" in " ".join(result.output.split())
    stored = input_alerts(tmp_path)
    assert "input_stopped" in stored
    # the closing line counts every alert stored, the inputs' too (it said 0 alerts)
    assert f"{len(stored)} alerts ({len(stored)} on the inputs)" in result.output


def test_the_device_board_shows_each_source_receiving_then_silent(
    own_broker: OwnBroker, tmp_path: Path
) -> None:
    """`/api/devices` (the console's Devices page) carries the input watch: each source's last
    sample, how long it has been silent and its state, and how long before `jayul run` stops
    for the silence; a source that delivered reads `receiving`, then `silent` past its limit,
    until the plant's silence stops the run."""
    from jayul.bench.api.harness import call, login

    plant = tmp_path / "plant.yaml"
    plant.write_text(
        f"plant_file: {ROOT / 'examples/plants/sensors-only.yaml'}\nconnect:\n"
        f"  historian: duckdb:///{tmp_path}/h.duckdb\n  buffer: {tmp_path}/buffer\n"
        f"  sources:\n    - {{kind: mqtt, port: {own_broker.port}, topic_root: shop}}\n"
        "  no_data: {periods: 0.1, stop_after_s: 20}\n"  # a source is silent after 6 s
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    seen: list[dict[str, Any]] = []

    def watch_the_board() -> None:
        for _ in range(600):
            try:
                token = login(url, "admin", "watch-admin-pw")
                break
            except OSError:
                time.sleep(0.1)
        else:
            return
        pub = ["mosquitto_pub", "-p", str(own_broker.port), "-q", "1", "-t", "shop/p1/force"]
        published = False
        for _ in range(300):
            try:
                status, body = call(url, "GET", "/api/devices", token=token)
            except OSError:
                return  # the run stopped
            if status != 200:
                return
            seen.append(body["watch"])
            if not published and body["sources"][0]["state"] in ("connected", "stale"):
                sample = f'{{"t": {time.time_ns()}, "v": 412.0}}'
                subprocess.run([*pub, "-m", sample], check=True, timeout=10)
                published = True
            time.sleep(0.25)

    threading.Thread(target=watch_the_board, daemon=True).start()
    args = ["run", "--plant", str(plant), "--tick-s", "0.2", "--seconds", "90"]
    args += ["--port", str(port), "--admin-password", "watch-admin-pw"]
    result = runner.invoke(app, args)
    assert result.exit_code == NO_DATA_EXIT, result.output
    inputs = [w["sources"][0] for w in seen]
    states = [s["state"] for s in inputs]
    assert "receiving" in states and "silent" in states, states
    assert states.index("receiving") < len(states) - 1 - states[::-1].index("silent")
    receiving = next(s for s in inputs if s["state"] == "receiving")
    assert receiving["last_sample_ns"] is not None and receiving["silent_s"] <= 6.0
    silent = inputs[-1]
    assert silent["state"] in ("silent", "stopped") and silent["silent_s"] > silent["limit_s"]
    assert silent["last_sample_ns"] == receiving["last_sample_ns"]  # kept while silent
    counting = [w for w in seen if 0 < w["stops_in_s"] < 20]  # silent, before the stop
    assert counting, seen
    last = counting[-1]
    assert last["stop_after_s"] == 20
    assert last["silent_s"] + last["stops_in_s"] == pytest.approx(20, abs=0.2)
