"""The processes `jayul bench fleet` runs and disturbs: a NATS server of its own (so restarting
it disturbs nobody else) and the centre (`jayul fleet serve`, so a SIGKILL hits the product
as a user runs it), with the CPU time each has used."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone or not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


class PrivateNats:
    """nats-server with JetStream on a free port and a store directory of the benchmark's."""

    def __init__(self, store: Path) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            raise FileNotFoundError("nats-server is not installed")
        self.binary = binary
        self.store = store
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu_done = 0.0  # CPU seconds of the instances already stopped

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.cpu_done += cpu_seconds(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)  # a clean shutdown, as an operator restarts it
            self.proc.wait(30)
            self.proc = None

    def cpu(self) -> float:
        return self.cpu_done + (cpu_seconds(self.proc.pid) if self.proc is not None else 0.0)


class CentreProcess:
    """`jayul fleet serve` in a process of its own."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.cmd = [sys.executable, "-c", "from jayul.cli.main import app; app()", "fleet"]
        self.cmd += ["serve", *args]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu_done = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, url: str, stream: str, durable: str, timeout: float = 60.0) -> float:
        """Wait until this centre's pull consumer has asked for messages; returns the CPU
        seconds its start-up took (imports, connections), kept out of the per-core figures."""
        import asyncio

        async def waiting() -> bool:
            import nats

            nc = await nats.connect(url, connect_timeout=2)
            try:
                info = await nc.jetstream().consumer_info(stream, durable)
                return bool(info.num_waiting)
            except Exception:  # not created yet
                return False
            finally:
                await nc.close()

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"the centre exited; see {self.log}")
            if asyncio.run(waiting()):
                return cpu_seconds(self.proc.pid)
            time.sleep(0.2)
        raise RuntimeError(f"the centre was not consuming after {timeout:g} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no chance to finish a batch, acknowledge or close anything."""
        if self.proc is not None:
            self.cpu_done += cpu_seconds(self.proc.pid)
            self.proc.kill()
            self.proc.wait(30)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.cpu_done += cpu_seconds(self.proc.pid)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None

    def cpu(self) -> float:
        return self.cpu_done + (cpu_seconds(self.proc.pid) if self.proc is not None else 0.0)
