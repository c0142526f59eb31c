"""Ways for agents into jayul. `jayul.agents.gym`: the twin as a Gymnasium environment (the
`gym` extra). An edge package: it imports the core, and only cli, bench and tests import it."""
