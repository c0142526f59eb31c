"""Benchmarks of the console: API requests per second for recent signal data, and the
browser's CPU on a machine page with live charts.

Both run against a real `jayul serve` in its own process: the API benchmark loads it from
separate client processes (keep-alive HTTP/1.1, one connection each), the browser benchmark
opens the machine page in headless Chromium and sums the CPU time of every Chromium process
it started (read from /proc) over a window, as a share of one core.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from jayul.plant import demo_plant_path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return None


def eight_signal_plant(path: Path) -> Path:
    """The demo plant with two more signals on the pump type (8 in all), for the live-chart
    load the console must carry: 8 signals at 1 Hz."""
    doc = yaml.safe_load(demo_plant_path().read_text())
    pump = doc["plant"]["machine_types"]["pump"]
    pump["signals"] += [
        {"id": "seal_temp", "unit": "degC", "nominal": 45.0, "noise": 0.4, "load_gain": 8.0,
         "low": -20, "high": 150},
        {"id": "inlet_pressure", "unit": "bar", "nominal": 1.2, "noise": 0.03, "load_gain": 0.2,
         "low": 0, "high": 5},
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    admin_password: str


@contextmanager
def serve(
    db: Path,
    plant: Path | None = None,
    speed: float = 60.0,
    warmup_h: float = 100.0,
    extra: tuple[str, ...] = (),
    log: Path | None = None,
) -> Iterator[Server]:
    """`jayul serve` in a child process on a free port, ready when this yields."""
    port = free_port()
    password = "bench-admin-password"
    args = [sys.executable, "-c", "from jayul.cli.main import app; app()", "serve"]
    args += ["--db", str(db), "--port", str(port), "--speed", str(speed)]
    args += ["--warmup-h", str(warmup_h), *extra]
    if plant is not None:
        args += ["--plant", str(plant)]
    env = {**os.environ, "JAYUL_ADMIN_PASSWORD": password}
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jayul serve exited with {proc.returncode} (log: {log})")
            try:
                call(url, "GET", "/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("jayul serve did not answer within 180 s") from None
                time.sleep(0.3)
        yield Server(url, proc, password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not None:
            out.close()  # type: ignore[union-attr]


def call(
    url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """One JSON request; (status, decoded body)."""
    host = url.removeprefix("http://")
    con = http.client.HTTPConnection(host, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    con.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = con.getresponse()
    data = r.read()
    con.close()
    return r.status, (json.loads(data) if data else None)


def login(url: str, user: str, password: str) -> str:
    status, body = call(url, "POST", "/api/login", {"username": user, "password": password})
    if status != 200:
        raise RuntimeError(f"login of {user} failed: {status} {body}")
    return str(body["token"])


def _client(url: str, path: str, token: str, seconds: float, vary: bool, queue: Any) -> None:
    host = url.removeprefix("http://")
    con = http.client.HTTPConnection(host, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    latencies, errors, i = [], 0, os.getpid() * 1_000_000
    end = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < end:
        i += 1  # a different `since_ns` each time: no two requests share a cached answer
        con.request("GET", f"{path}&since_ns={i}" if vary else path, headers=headers)
        r = con.getresponse()
        r.read()
        if r.status != 200:
            errors += 1
        latencies.append(time.perf_counter() - t0)
    con.close()
    queue.put((latencies, errors))


def api_throughput(
    url: str,
    token: str,
    machine: str,
    seconds: float = 10.0,
    clients: int = 4,
    rows: int = 60,
    vary: bool = False,
) -> dict[str, Any]:
    """Requests per second for a machine's recent rows from `clients` processes at once.

    The server caches each answer until the next row arrives; `vary` makes every request
    distinct, so each one is answered from the ring afresh (the uncached figure)."""
    path = f"/api/machines/{machine}/recent?rows={rows}"
    ctx = mp.get_context("fork")  # the clients need nothing but http.client
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(url, path, token, seconds, vary, queue))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    lat = np.concatenate([np.asarray(r[0]) for r in results])
    return {
        "path": path,
        "cached": not vary,
        "clients": clients,
        "seconds": seconds,
        "requests": len(lat),
        "errors": sum(r[1] for r in results),
        "requests_per_s": len(lat) / seconds,
        "latency_p50_ms": float(np.percentile(lat, 50) * 1e3),
        "latency_p99_ms": float(np.percentile(lat, 99) * 1e3),
    }


def _descendants(root: int) -> list[int]:
    """Every process below `root` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the Chromium processes among `pids`."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if "chrom" not in comm:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def chromium_cpu_seconds() -> float:
    """CPU seconds so far of every Chromium process this process started (renderer, GPU,
    browser), for benchmarks of other pages to read the same way."""
    return _cpu_seconds(_descendants(os.getpid()))


def browser_cpu(
    url: str,
    user: str,
    password: str,
    machine: str,
    seconds: float = 20.0,
    settle_s: float = 3.0,
    screenshot: Path | None = None,
) -> dict[str, Any]:
    """The browser's CPU (share of one core) while a machine page shows live charts."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # Sign in on the machine's own address: after the sign-in the console renders the page
        # the address names. Going there only after the sign-in raced that first render (of the
        # overview), which could land last and replace the machine page.
        page.goto(f"{url}/#/machine/{machine}")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("#charts canvas")
        page.wait_for_timeout(settle_s * 1000)
        charts = page.locator("#charts .chart").count()
        pids = _descendants(os.getpid())
        cpu0, t0 = _cpu_seconds(pids), time.monotonic()
        first = page.evaluate("document.querySelector('#live-note').textContent")
        page.wait_for_timeout(seconds * 1000)
        cpu1, t1 = _cpu_seconds(_descendants(os.getpid())), time.monotonic()
        last = page.evaluate("document.querySelector('#live-note').textContent")
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return {
        "machine": machine,
        "charts": charts,
        "seconds": t1 - t0,
        "cpu_share_of_one_core": (cpu1 - cpu0) / (t1 - t0),
        "live_from": first,
        "live_to": last,
    }
