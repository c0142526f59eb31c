"""`jayul bench ...`: every benchmark harness, each writing its figures with `--report FILE`.

Each benchmark lives in its own folder `jayul.bench.<name>`: its harness (pure functions
returning a dict of figures), its command (`command.py`) and any code only it uses. This
module only wires the commands together.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(
    help="Benchmarks: public data sets, policies, throughput. Each accepts --report FILE "
    "(tep-generate writes a data set instead).",
    no_args_is_help=True,
)

from jayul.bench.jsp.command import bench_jsp  # noqa: E402

bench_app.command("jsp")(bench_jsp)

from jayul.bench.historian.command import bench_historian  # noqa: E402

bench_app.command("historian")(bench_historian)

from jayul.bench.skab.command import bench_skab  # noqa: E402

bench_app.command("skab")(bench_skab)

from jayul.bench.policies.command import bench_policies  # noqa: E402

bench_app.command("policies")(bench_policies)

from jayul.bench.gate.command import bench_audit, bench_gate  # noqa: E402

bench_app.command("gate")(bench_gate)
bench_app.command("audit")(bench_audit)

from jayul.bench.cmapss.command import bench_cmapss  # noqa: E402

bench_app.command("cmapss")(bench_cmapss)

from jayul.bench.twin.command import bench_twin  # noqa: E402

bench_app.command("twin")(bench_twin)

from jayul.bench.verify.command import bench_verify  # noqa: E402

bench_app.command("verify")(bench_verify)

from jayul.bench.jsp.command import bench_replan  # noqa: E402

bench_app.command("replan")(bench_replan)

from jayul.bench.api.command import bench_api, bench_lock_wait  # noqa: E402

bench_app.command("api")(bench_api)
bench_app.command("lock-wait")(bench_lock_wait)

from jayul.bench.rul_twin.command import bench_rul_twin  # noqa: E402

bench_app.command("rul-twin")(bench_rul_twin)

from jayul.bench.ingest.command import bench_ingest  # noqa: E402

bench_app.command("ingest")(bench_ingest)

from jayul.bench.tep.command import bench_tep  # noqa: E402

bench_app.command("tep")(bench_tep)

from jayul.bench.tep.generate_command import bench_tep_generate  # noqa: E402

bench_app.command("tep-generate")(bench_tep_generate)

from jayul.bench.process_opt.command import bench_process_opt  # noqa: E402
from jayul.bench.steel.command import bench_steel  # noqa: E402

bench_app.command("steel")(bench_steel)
bench_app.command("process-opt")(bench_process_opt)

from jayul.bench.faults.command import bench_faults  # noqa: E402

bench_app.command("faults")(bench_faults)

from jayul.bench.security.command import bench_security  # noqa: E402

bench_app.command("security")(bench_security)

from jayul.bench.explorer.command import bench_explorer  # noqa: E402

bench_app.command("explorer")(bench_explorer)

from jayul.bench.history_import.command import bench_import  # noqa: E402

bench_app.command("import")(bench_import)

from jayul.bench.calibrate.command import bench_calibrate, bench_calibrate_cmapss  # noqa: E402

bench_app.command("calibrate")(bench_calibrate)
bench_app.command("calibrate-cmapss")(bench_calibrate_cmapss)

from jayul.bench.gym.command import bench_gym  # noqa: E402

bench_app.command("gym")(bench_gym)

from jayul.bench.fleet.command import bench_fleet  # noqa: E402

bench_app.command("fleet")(bench_fleet)

from jayul.bench.federated.command import bench_federated  # noqa: E402

bench_app.command("federated")(bench_federated)

from jayul.bench.agents.command import bench_agents  # noqa: E402

bench_app.command("agents")(bench_agents)
