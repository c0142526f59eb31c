"""`jayul bench import`: history import into DuckDB against DuckDB's own read."""
