"""The `jayul bench historian` benchmark: its harness, its command and the code only it uses."""
