"""The `jayul bench verify` benchmark: its harness, its command and the code only it uses."""
