"""`jayul bench tep`: the Tennessee Eastman process (Braatz files d00-d21): detection,
diagnosis and a soft sensor, each against a peer in the same run."""
