"""`jayul report` on a warm-started demo run: the HTML has the KPIs, alarms, actions taken and
refused with reasons; a PDF when Chromium is installed; clear errors otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "plant.duckdb"
    args = ["demo", "--days", "14", "--no-ui", "--policy", "condition", "--db", str(db)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return db


def test_report_html_and_pdf(demo_db: Path, tmp_path: Path) -> None:
    out, pdf = tmp_path / "week.html", tmp_path / "week.pdf"
    args = ["report", "--db", str(demo_db), "--out", str(out), "--last-h", "340"]
    if shutil.which("chromium"):
        args += ["--pdf", str(pdf)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    for section in ("KPIs", "Alarms (", "Actions taken (", "Actions refused (", "Models"):
        assert section in html
    assert "<script" not in html
    assert "alerts in" in result.output and "alarms" in result.output
    alarms = int(html.split("Alarms (")[1].split(",")[0])
    # commissioning takes 96 h of production (about 250 h of the clock), then the worn
    # machines alarm
    assert alarms >= 1, "the warm start's worn machines raise alarms in 14 days"
    if shutil.which("chromium"):
        assert pdf.read_bytes()[:5] == b"%PDF-"


def test_report_errors_are_clear(tmp_path: Path, demo_db: Path) -> None:
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no such plant database" in result.output
    result = runner.invoke(app, ["report", "--db", str(demo_db), "--from", "yesterday"])
    assert result.exit_code == 2 and "ISO date" in result.output
    result = runner.invoke(
        app, ["report", "--db", str(demo_db), "--from", "2026-01-05", "--to", "2026-01-02"]
    )
    assert result.exit_code == 2 and "after --from" in result.output
