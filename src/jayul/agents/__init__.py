"""Ways for agents into jayul. `jayul.agents.gym`: the twin as a Gymnasium environment (the
`gym` extra). An edge package: it imports the core, and only cli, bench and tests import it."""

__all__: list[str] = []  # each way in is its own subpackage, with its own optional extra
