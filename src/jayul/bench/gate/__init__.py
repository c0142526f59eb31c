"""The `jayul bench gate` benchmark: its harness, its command and the code only it uses."""
