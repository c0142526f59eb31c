"""The `jayul bench rul-twin` benchmark: its harness, its command and the code only it uses."""
