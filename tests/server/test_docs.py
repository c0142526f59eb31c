"""Every API route is documented in docs/api.md, every console page in docs/console.md."""

from __future__ import annotations

import re
from pathlib import Path

from jayul.server import LiveState, create_app

ROOT = Path(__file__).resolve().parents[2]


def test_every_route_is_in_the_api_doc(fuzz_state: LiveState) -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    paths = create_app(fuzz_state).openapi()["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if f"`{method.upper()} {path}`" not in doc
    ]
    assert not missing, f"undocumented in docs/api.md: {missing}"


def test_every_console_page_is_in_the_console_doc() -> None:
    doc = (ROOT / "docs" / "console.md").read_text()
    static = ROOT / "src" / "jayul" / "console" / "static"
    app_js = (static / "app.js").read_text() + (static / "operate.js").read_text()
    pages = re.findall(r"\[/\^#\\/([a-z]+)", app_js)
    assert len(pages) >= 8
    missing = [p for p in pages if f"`#/{p}" not in doc]
    assert not missing, f"undocumented in docs/console.md: {missing}"
