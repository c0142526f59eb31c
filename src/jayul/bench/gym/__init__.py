"""`jayul bench gym`: the twin as a Gymnasium environment, its speed and the baselines."""
