"""The `jayul bench ingest` benchmark: its harness, its command and the code only it uses."""
