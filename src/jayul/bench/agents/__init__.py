"""`jayul bench agents`: the adversarial agent suite through the MCP server and the gate."""
