"""`jayul bench explorer`: the history explorer over a year of one-minute data."""
