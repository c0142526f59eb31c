"""The `jayul bench cmapss` benchmark: its harness, its command and the code only it uses."""
