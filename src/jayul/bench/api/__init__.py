"""The `jayul bench api` benchmark: its harness, its command and the code only it uses."""
