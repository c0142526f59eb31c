"""`jayul bench calibrate` and `calibrate-cmapss`: a calibrated twin against a truth plant and
against C-MAPSS lives."""
