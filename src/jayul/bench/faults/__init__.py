"""`jayul bench faults`: poison messages and broker loss against a running `jayul run`."""
