"""The `jayul bench skab` benchmark: its harness, its command and the code only it uses."""
