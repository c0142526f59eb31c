"""The `jayul bench policies` benchmark: its harness, its command and the code only it uses."""
