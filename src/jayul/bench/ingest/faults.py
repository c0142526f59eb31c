"""`jayul bench ingest --faults`: a full-rate MQTT run with the plant's worst minute in it.

During the run: the broker is restarted twice, PostgreSQL once (only when the store is
PostgreSQL), and the ingesting process (`jayul run --ingest-only`, a process of its own) is
killed with SIGKILL and started again. Afterwards the store is audited against the
publisher's log: acknowledged samples lost, rows stored twice.

The broker is a Mosquitto of the benchmark's own (free port, persistence in the work
directory), so that restarting it disturbs no one else; it is configured like the system
one plus `max_queued_messages 0` (no cap on what it keeps for a disconnected session).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jayul.bench.ingest.harness import (
    audit_store,
    ensure_session,
    machine_signals,
    read_publisher_log,
    start_publisher,
)
from jayul.bench.ingest.publisher import OVERSIZE_LIMIT, PublishPlan
from jayul.plant import demo_plant_path, load_demo_plant


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """A Mosquitto of our own that can be restarted (SIGTERM: it saves its sessions)."""

    def __init__(self, work: Path, settings: str = "max_queued_messages 0\n") -> None:
        self.port = _free_port()
        self.conf = work / "mosquitto.conf"
        own = ("listener", "allow_anonymous", "persistence", "persistence_location", "user")
        kept = [ln for ln in settings.splitlines() if ln.split(" ", 1)[0] not in own]
        self.conf.write_text(
            "\n".join(kept)  # with this broker's own port and persistence directory
            + f"\nlistener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {work}/\n"
            # as root, mosquitto drops to its own user, which cannot write our directory: its
            # sessions and queued messages would not survive a restart
             + ("user root\n" if os.geteuid() == 0 else "")
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def restart_postgres() -> None:
    """Restart the local PostgreSQL cluster (what the issue prescribes for this trial)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )


def _jayul_run(plant_file: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from jayul.cli.main import app; app()"]
    cmd += ["run", "--plant", str(plant_file), "--ingest-only"]
    return subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def run_fault_trial(
    historian_url: str,
    work: Path,
    *,
    rate: float = 50_000,
    seconds: float = 60,
    batch: int = 1000,
    restart_pg: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Run the trial (see module doc) and return its figures and the fault timeline."""
    plant = load_demo_plant()
    broker = Broker(work)
    broker.start()
    tag = uuid.uuid4().hex[:8]
    root, client_id = f"jayulfaults/{tag}", f"jayul-faults-{tag}"
    plant_file = work / "plant.yaml"
    plant_file.write_text(
        f"plant_file: {demo_plant_path()}\nconnect:\n  buffer: {work / 'buffer'}\n"
        f"  historian: {historian_url}\n  limits: {{max_message_bytes: {OVERSIZE_LIMIT}}}\n"
        f"  sources:\n    - {{kind: mqtt, port: {broker.port}, topic_root: {root}, "
        f"client_id: {client_id}}}\n"
    )
    ensure_session("127.0.0.1", broker.port, client_id, root)
    run_log = work / "jayul-run.log"
    ingest = _jayul_run(plant_file, run_log)
    log = work / "publisher.log"
    plan = PublishPlan(
        "127.0.0.1",
        broker.port,
        root,
        machine_signals(plant),
        rate,
        seconds,
        batch,
        str(log),
        client_id=f"jayul-faults-pub-{tag}",
    )
    timeline: list[tuple[float, str]] = []
    faults: list[tuple[float, str]] = [
        (0.15 * seconds, "mosquitto restart"),
        (0.55 * seconds, "SIGKILL jayul run"),
        (0.75 * seconds, "mosquitto restart"),
    ]
    if restart_pg:
        faults.append((0.35 * seconds, "postgresql restart"))
    faults.sort()
    started = time.monotonic()
    publisher = start_publisher(plan)
    try:
        for at, what in faults:
            while time.monotonic() - started < at:
                time.sleep(0.1)
                if progress is not None:
                    progress(time.monotonic() - started, what)
            t = time.monotonic() - started
            if what == "mosquitto restart":
                broker.restart()
            elif what == "postgresql restart":
                restart_postgres()
            else:
                ingest.send_signal(signal.SIGKILL)
                ingest.wait()
                time.sleep(1.0)
                ingest = _jayul_run(plant_file, run_log)
            timeline.append((round(t, 1), what))
        while publisher.is_alive():
            time.sleep(0.2)
            if progress is not None:
                progress(min(time.monotonic() - started, seconds), "publishing")
        publish_end = time.monotonic() - started
        valid, _ = read_publisher_log(log)
        signals = machine_signals(plant)
        acked = sum(rows * len(signals[m]) for m, msgs in valid.items() for _, rows in msgs)
        from jayul.historian.open import open_historian

        deadline = time.monotonic() + 180
        stored = 0
        while time.monotonic() < deadline:
            with open_historian(historian_url) as h:
                stored = h.count_samples()
            if stored >= acked:
                break
            time.sleep(1)
        caught_up = time.monotonic() - started - publish_end
    finally:
        ingest.send_signal(signal.SIGTERM)
        try:
            ingest.wait(60)
        except subprocess.TimeoutExpired:
            ingest.kill()
        publisher.kill()
        broker.stop()
    audit = audit_store(historian_url, log, plant)
    return {
        "rate_offered": rate,
        "seconds": seconds,
        "batch": batch,
        "faults": timeline,
        "samples_acked_by_broker": audit["acked"],
        "samples_lost": audit["lost"],
        "duplicates_stored": audit["duplicates"],
        "stored_not_acked": audit["extra"],
        "catch_up_after_publish_s": round(caught_up, 1),
        "ingest_exit_code": ingest.returncode,
    }
