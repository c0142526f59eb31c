"""The historian: where samples, events and dead letters live (DuckDB default, PostgreSQL).

with open_historian("duckdb:///plant.duckdb") as h:
    h.append_samples(batch)
    h.query_buckets("m1", "vib_rms", start_ns, end_ns, 60 * 10**9)
"""

from jayul.historian.base import DeadLetter, Historian
from jayul.historian.duckdb_store import DuckDBHistorian
from jayul.historian.open import open_historian
from jayul.historian.sql_store import SqlHistorian

__all__ = ["DeadLetter", "DuckDBHistorian", "Historian", "SqlHistorian", "open_historian"]
