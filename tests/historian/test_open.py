"""open_historian: which store a URL opens, and clear errors for URLs it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.historian import DuckDBHistorian, open_historian


@pytest.mark.parametrize(
    "url", [":memory:", "duckdb://:memory:", "", "duckdb://:memory:?threads=1"]
)
def test_memory_urls_open_duckdb_in_memory(url: str) -> None:
    with open_historian(url) as h:
        assert isinstance(h, DuckDBHistorian) and h.path == ":memory:"


def test_file_urls_and_bare_paths(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plant.duckdb"
    with open_historian(f"duckdb://{target}?threads=1") as h:
        assert isinstance(h, DuckDBHistorian)
        assert h.path == str(target) and h.threads == 1
    assert target.exists()
    with open_historian(str(target)) as h:
        assert isinstance(h, DuckDBHistorian) and h.path == str(target)


def test_unknown_schemes_and_bad_threads_are_refused() -> None:
    with pytest.raises(ValueError, match="expected duckdb"):
        open_historian("mysql://somewhere/db")
    with pytest.raises(ValueError, match="threads"):
        open_historian("duckdb://:memory:?threads=many")
