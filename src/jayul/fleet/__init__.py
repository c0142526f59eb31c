"""The fleet: many sites and a centre; models learned across sites (`jayul.fleet.federated`)."""

__all__: list[str] = []
