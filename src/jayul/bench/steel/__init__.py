"""`jayul bench steel`: defect classification on the UCI steel plates faults, against a
500-tree random forest in the same run."""
