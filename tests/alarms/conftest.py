"""The alarm store runs on every historian store: the historian tests' fixtures, shared."""

from tests.historian.conftest import Store, historian, pg_schema, store

__all__ = ["Store", "historian", "pg_schema", "store"]
