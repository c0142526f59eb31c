"""Entry point of the `jayul` command."""

from __future__ import annotations

import logging

import typer

from jayul.cli.bench import bench_app
from jayul.cli.connect_cmds import register_connect
from jayul.cli.console_cmds import register_console
from jayul.cli.deadletter_cmds import deadletters_app
from jayul.cli.demo import demo
from jayul.cli.discover_cmds import connect_app
from jayul.cli.fleet_cmds import fleet_app
from jayul.cli.fleet_federated import federated_app
from jayul.cli.gate_cmds import gate_app
from jayul.cli.govern_cmds import govern_app
from jayul.cli.import_cmds import import_app
from jayul.cli.mcp_cmd import mcp
from jayul.cli.plant_cmds import plant_app
from jayul.cli.quality_cmds import quality_app
from jayul.cli.query import query_app
from jayul.cli.report_cmd import report


class QuietSessionTimeout(logging.Filter):
    """asyncua warns at every OPC UA session that the server granted a shorter session timeout
    than the hour it asked for (600 s on most servers): harmless, since the client renews the
    session, and printed three times at each `jayul run` start it buried jayul's own messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Requested session timeout")


logging.getLogger("asyncua.client.client").addFilter(QuietSessionTimeout())

app = typer.Typer(
    help="jayul: the autonomous-manufacturing loop (sense, judge, decide, verify, act, govern).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo)
app.command("report")(report)
app.command("mcp")(mcp)
app.add_typer(query_app, name="query")
app.add_typer(import_app, name="import")
app.add_typer(plant_app, name="plant")
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(connect_app, name="connect")
app.add_typer(bench_app, name="bench")
app.add_typer(fleet_app, name="fleet")
app.add_typer(quality_app, name="quality")
app.add_typer(federated_app, name="federated")
app.add_typer(gate_app)  # approvals, autonomy, kill
app.add_typer(govern_app)  # models, audit
register_connect(app)  # twin serve, run
register_console(app)  # serve, users


def main() -> None:  # pragma: no cover - console entry
    app()
