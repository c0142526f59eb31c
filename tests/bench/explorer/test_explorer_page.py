"""The explorer bench's browser part, small: 20 days of one-minute data for 8 signals, the page
in headless Chromium against a real `jayul serve`, a few zooms and pans. It checks that every
interaction redraws the charts with the range it asked for and that the figures add up, not
how fast (the machine is shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.bench.api.harness import chromium_path, eight_signal_plant, serve
from jayul.bench.explorer.browser import ACTIONS, explorer_page_cpu
from jayul.bench.explorer.harness import fill_year

if chromium_path() is None:
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytestmark = pytest.mark.slow  # a real server and a real browser: about half a minute


def test_page_draws_the_range_then_zooms_and_pans(tmp_path: Path) -> None:
    plant = eight_signal_plant(tmp_path / "plant.yaml")
    db = tmp_path / "days.duckdb"
    days = fill_year(db, plant, minutes=20 * 24 * 60)
    assert days["samples"] == 8 * 20 * 24 * 60
    with serve(db, plant, speed=1.0, warmup_h=0.0, log=tmp_path / "serve.log") as server:
        page = explorer_page_cpu(
            server.url, "admin", server.admin_password, "pump1", days,
            interactions=5, think_s=0.2, screenshot=tmp_path / "explorer.png",
        )  # fmt: skip
    # the first draw showed every sample of the 20 days, counted by the page from the buckets
    assert f"{days['samples']:,} samples in" in page["first_draw_note"], page["first_draw_note"]
    assert page["charts"] == 8
    assert page["first_draw_page_ms"] > 0
    assert page["actions"] == [f"{k} {w}" for k, w in ACTIONS[:5]]
    # two drags zoom in, the pans keep the span, the "1 d" button sets it
    spans = page["spans_h"]
    assert spans[0] < 20 * 24 * 0.35 and spans[1] < spans[0] * 0.2, spans
    assert spans[2] == spans[3] == spans[1], spans
    assert spans[4] == 24, spans
    # a button asks once, and so does a drag (uPlot's cursor sync hands the selection to
    # every chart of the page; only the first acts on it)
    assert page["explore_requests"][2:5] == [1, 1, 1], page["explore_requests"]
    assert page["explore_requests"][:2] == [1, 1], page["explore_requests"]
    assert page["session_s"] >= 5 * 0.2
    # the browser did the drawing: its CPU over the session and inside the redraws
    assert page["cpu_share_of_one_core"] > 0
    assert page["interaction_cpu_ms_p50"] > 0
    assert page["interaction_ms_p95"] >= page["interaction_ms_p50"] > 0
    assert (tmp_path / "explorer.png").stat().st_size > 0
