"""open_historian: which store a URL opens, and clear errors for URLs it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from jayul.historian import DuckDBHistorian, open_historian
from jayul.historian.open import parse_duckdb_url, resolve_url


@pytest.mark.parametrize(
    "url",
    [":memory:", "duckdb://:memory:", "", "duckdb://:memory:?threads=1", "duckdb:///:memory:"],
)
def test_memory_urls_open_duckdb_in_memory(url: str) -> None:
    with open_historian(url) as h:
        assert isinstance(h, DuckDBHistorian) and h.path == ":memory:"


def test_file_urls_and_bare_paths(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plant.duckdb"
    with open_historian(f"duckdb:///{target}?threads=1") as h:
        assert isinstance(h, DuckDBHistorian)
        assert h.path == str(target) and h.threads == 1
    assert target.exists()
    with open_historian(str(target)) as h:
        assert isinstance(h, DuckDBHistorian) and h.path == str(target)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("duckdb:///jayul.duckdb", "jayul.duckdb"),  # three slashes: relative
        ("duckdb:///data/x.duckdb?threads=2", "data/x.duckdb"),
        ("duckdb:////data/x.duckdb", "/data/x.duckdb"),  # four: absolute
        ("/data/x.duckdb", "/data/x.duckdb"),
        ("x.duckdb", "x.duckdb"),
    ],
)
def test_sqlalchemy_url_forms(url: str, path: str) -> None:
    assert parse_duckdb_url(url).path == path


def test_relative_urls_resolve_against_a_base(tmp_path: Path) -> None:
    assert resolve_url("duckdb:///h.duckdb?threads=1", tmp_path) == (
        f"duckdb:///{tmp_path / 'h.duckdb'}?threads=1"
    )
    assert resolve_url("duckdb:////abs/h.duckdb", tmp_path) == "duckdb:////abs/h.duckdb"
    assert resolve_url("postgresql://u@h/db?schema=s", tmp_path) == "postgresql://u@h/db?schema=s"


def test_unknown_schemes_and_bad_threads_are_refused() -> None:
    with pytest.raises(ValueError, match="expected duckdb"):
        open_historian("mysql://somewhere/db")
    with pytest.raises(ValueError, match=r"write duckdb:///x.duckdb .* or duckdb:////x.duckdb"):
        open_historian("duckdb://x.duckdb")
    with pytest.raises(ValueError, match="threads"):
        open_historian("duckdb://:memory:?threads=many")
