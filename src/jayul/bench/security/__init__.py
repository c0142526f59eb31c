"""`jayul bench security`: audit records across crashes, forged trails, writes around the gate."""
