"""`jayul bench warm-start`: how long `jayul run` takes from start to its first live tick over a
plant with weeks of stored history (the warm-up of `--warm-days`)."""
