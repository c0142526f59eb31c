"""The `jayul bench fleet` benchmark: its harness, its command and the code only it uses."""
