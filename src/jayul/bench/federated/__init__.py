"""`jayul bench federated`: federated RUL on C-MAPSS FD001 across five non-IID sites."""
