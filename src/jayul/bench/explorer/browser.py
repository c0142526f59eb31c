"""The history explorer page in headless Chromium on a year of one-minute data: the first draw
of the whole year as the page sees it, then zooms and pans as a user makes them, with the
browser's CPU over the session as a share of one core.

The CPU is read the way `jayul bench api` reads it (every Chromium process this process
started, from /proc: renderer, GPU and browser processes together); the server runs in its
own process and is not counted. Between interactions the bench waits `think_s` as a person
looking at the chart would, so the share is that of a session of use; the CPU spent inside the
interactions alone (from the action to the redrawn charts) is reported beside it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from jayul.bench.api.harness import CHROMIUM_ARGS, chromium_cpu_seconds, chromium_path

# The charts are drawn when a chart per signal holds its canvas and none of them is left from
# before the action (the page replaces every chart on a redraw).
_DRAWN = """(n) => {
  const c = document.querySelectorAll('.explore-chart');
  return c.length >= n && !c[0].dataset.stale && !!c[c.length - 1].querySelector('canvas')
    && performance.now();
}"""

_SPAN = "Number(new URLSearchParams(location.hash.split('?')[1]).get('span'))"

_TWO_FRAMES = "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"

# What a user does after the year appears: drag to zoom in (twice), pan, pick spans from the
# buttons, zoom out, back to the year. ("drag", a, b) selects from a to b of the chart's width.
ACTIONS: list[tuple[str, Any]] = [
    ("drag", (0.40, 0.70)),
    ("drag", (0.30, 0.45)),
    ("click", "#x-left"),
    ("click", "#x-right"),
    ("click", "[data-span='86400000000000']"),
    ("click", "#x-left"),
    ("click", "[data-span='3600000000000']"),
    ("click", "#x-out"),
    ("click", "[data-span='2592000000000000']"),
    ("drag", (0.10, 0.60)),
    ("click", "#x-right"),
    ("click", "[data-span='31536000000000000']"),
]


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def explorer_page_cpu(
    url: str,
    user: str,
    password: str,
    machine: str,
    year: dict[str, Any],
    interactions: int = 24,
    think_s: float = 1.0,
    screenshot: Path | None = None,
) -> dict[str, Any]:
    """Open the explorer on the whole year, then make `interactions` zooms and pans."""
    from playwright.sync_api import Page, sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    start, end = int(year["start_ns"]), int(year["end_ns"])
    span = end - start
    address = f"{url}/#/explore?machine={machine}&t={start + span // 2}&span={span}"
    # a chart per signal (the page builds every chart in one go, so these are all of them)
    charts = int(year["signals"])

    pending = [0, 0]  # explore requests in flight, sent in all

    def track(page: Page) -> None:
        def sent(r: Any) -> None:
            if "/api/explore/" in r.url:
                pending[0] += 1
                pending[1] += 1

        def done(r: Any) -> None:
            if "/api/explore/" in r.url:
                pending[0] -= 1

        page.on("request", sent)
        page.on("requestfinished", done)
        page.on("requestfailed", done)

    def drawn(page: Page, timeout_s: float = 60.0) -> float:
        """performance.now() of the first animation frame with the new charts in place."""
        handle = page.wait_for_function(_DRAWN, arg=charts, polling="raf", timeout=timeout_s * 1e3)
        return float(handle.json_value())

    def settled(page: Page) -> None:
        """Until the page's last answer is drawn: a drag can send more than one request."""
        drawn(page)
        deadline = time.monotonic() + 60
        while pending[0] > 0 and time.monotonic() < deadline:
            page.wait_for_timeout(5)
        page.evaluate(_TWO_FRAMES)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        track(page)
        page.goto(address)
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        drawn(page)
        # The first draw as a returning user sees it: from the start of the page's load (a
        # reload, signed in) to the frame with every chart of the year, modules, session,
        # plant, machine and the year's buckets included.
        cpu0 = chromium_cpu_seconds()
        page.reload()
        first_draw_ms = drawn(page)
        first_draw_cpu_ms = (chromium_cpu_seconds() - cpu0) * 1e3
        note = str(page.evaluate("document.querySelector('#x-note').textContent"))
        page.wait_for_timeout(think_s * 1e3)
        walls: list[float] = []
        cpus: list[float] = []
        kinds: list[str] = []
        spans_h: list[float] = []
        requests: list[int] = []
        cpu_start, t_start = chromium_cpu_seconds(), time.monotonic()
        for k in range(interactions):
            kind, what = ACTIONS[k % len(ACTIONS)]
            page.evaluate("document.querySelector('.explore-chart').dataset.stale = '1'")
            c0, t0, n0 = chromium_cpu_seconds(), time.perf_counter(), pending[1]
            if kind == "drag":
                box = page.locator(".explore-chart .u-over").first.bounding_box()
                if box is None:
                    raise RuntimeError(f"the explorer's chart has no drawing area (action {k})")
                y = box["y"] + box["height"] / 2
                page.mouse.move(box["x"] + what[0] * box["width"], y)
                page.mouse.down()
                page.mouse.move(box["x"] + what[1] * box["width"], y, steps=8)
                page.mouse.up()
            else:
                page.click(what)
            settled(page)
            requests.append(pending[1] - n0)
            walls.append((time.perf_counter() - t0) * 1e3)
            cpus.append((chromium_cpu_seconds() - c0) * 1e3)
            kinds.append(f"{kind} {what}")
            # the range the page now shows, from the address it keeps (span in ns)
            spans_h.append(float(page.evaluate(_SPAN)) / 3.6e12)
            page.wait_for_timeout(think_s * 1e3)
        cpu_end, t_end = chromium_cpu_seconds(), time.monotonic()
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    session_s = t_end - t_start
    return {
        "machine": machine,
        "charts": charts,
        "first_draw_page_ms": first_draw_ms,
        "first_draw_browser_cpu_ms": first_draw_cpu_ms,
        "first_draw_note": note,
        "interactions": interactions,
        "think_s": think_s,
        "session_s": session_s,
        "cpu_share_of_one_core": (cpu_end - cpu_start) / session_s,
        "cpu_share_during_interactions": sum(cpus) / max(sum(walls), 1e-9),
        "interaction_ms_p50": statistics.median(walls),
        "interaction_ms_p95": _pct(walls, 95),
        "interaction_cpu_ms_p50": statistics.median(cpus),
        "interaction_cpu_ms_p95": _pct(cpus, 95),
        "actions": kinds,
        "interaction_ms": walls,
        "interaction_cpu_ms": cpus,
        "spans_h": spans_h,
        "explore_requests": requests,
    }
