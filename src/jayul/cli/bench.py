"""`jayul bench ...`: every benchmark harness, each writing its figures with `--report FILE`.

Each harness lives in `jayul.bench.<name>` (pure functions returning a dict of figures) and
its command in `jayul.cli.bench_<name>`; this module only wires the commands together.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(
    help="Benchmarks: public data sets, policies, throughput. Each accepts --report FILE.",
    no_args_is_help=True,
)

from jayul.cli.bench_jsp import bench_jsp  # noqa: E402

bench_app.command("jsp")(bench_jsp)

from jayul.cli.bench_historian import bench_historian  # noqa: E402

bench_app.command("historian")(bench_historian)

from jayul.cli.bench_skab import bench_skab  # noqa: E402

bench_app.command("skab")(bench_skab)

from jayul.cli.bench_policies import bench_policies  # noqa: E402

bench_app.command("policies")(bench_policies)

from jayul.cli.bench_gate import bench_audit, bench_gate  # noqa: E402

bench_app.command("gate")(bench_gate)
bench_app.command("audit")(bench_audit)

from jayul.cli.bench_cmapss import bench_cmapss  # noqa: E402

bench_app.command("cmapss")(bench_cmapss)

from jayul.cli.bench_twin import bench_twin  # noqa: E402

bench_app.command("twin")(bench_twin)

from jayul.cli.bench_verify import bench_verify  # noqa: E402

bench_app.command("verify")(bench_verify)

from jayul.cli.bench_jsp import bench_replan  # noqa: E402

bench_app.command("replan")(bench_replan)

from jayul.cli.bench_api import bench_api  # noqa: E402

bench_app.command("api")(bench_api)

from jayul.cli.bench_rul_twin import bench_rul_twin  # noqa: E402

bench_app.command("rul-twin")(bench_rul_twin)

from jayul.cli.bench_ingest import bench_ingest  # noqa: E402

bench_app.command("ingest")(bench_ingest)

from jayul.cli.bench_calibrate import bench_calibrate, bench_calibrate_cmapss  # noqa: E402

bench_app.command("calibrate")(bench_calibrate)
bench_app.command("calibrate-cmapss")(bench_calibrate_cmapss)
