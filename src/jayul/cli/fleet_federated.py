"""`jayul federated ...`: train a RUL model across sites with Flower, deploy it at a site.

`train` runs the sites' rounds in this process (each site's rows stay with its client; only
sums and weights reach the aggregation) and writes the model file. `deploy` is what a site
runs: it registers the model in its own plant database with its card, scores it on the
site's recent runs, back-tests it against the site's reference RMSE and deploys it only
through the registry's deployment gate.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import joblib
import typer
from rich.console import Console

from jayul.cli.gate_cmds import DbOption, plant_db
from jayul.shell import fail

federated_app = typer.Typer(
    help="Federated learning across sites (Flower; the federated extra).", no_args_is_help=True
)
console = Console()


def _site_files(values: list[str]) -> list[tuple[str, Path]]:
    pairs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            fail(f"--site {value!r}: expected NAME=FILE.csv")
        pairs.append((name.strip(), Path(path.strip())))
    return pairs


@federated_app.command("train")
def federated_train(
    site: list[str] = typer.Option(
        ..., "--site", help="NAME=FILE.csv: a site's run-to-failure table (unit, cycle, signals)."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the model file."),
    strategy: str = typer.Option(
        "fedavg", "--strategy", help="fedavg, fedprox, fedavgm or fedadam."
    ),
    rounds: int = typer.Option(30, "--rounds", min=1, help="Federated rounds."),
    local_epochs: int = typer.Option(5, "--local-epochs", min=1, help="Site epochs a round."),
    proximal_mu: float = typer.Option(0.01, "--proximal-mu", min=0.0, help="FedProx's mu."),
    dp_noise: float = typer.Option(
        0.0, "--dp-noise", min=0.0, help="Differential privacy noise multiplier (0: off)."
    ),
    dp_clip: float = typer.Option(1.0, "--dp-clip", min=0.0, help="DP clipping norm."),
    cap: float = typer.Option(125.0, "--cap", min=1.0, help="Label cap (rows)."),
    seed: int = typer.Option(0, "--seed", help="Network initialisation and batch order."),
) -> None:
    """Train a RUL model across the sites with Flower and write it to --out."""
    from jayul.fleet.federated.features import Site
    from jayul.fleet.federated.flower import STRATEGIES, flower_available, train_federated
    from jayul.fleet.federated.model import FederatedSettings
    from jayul.fleet.federated.runs import RunsFileError, read_runs_csv

    if strategy not in STRATEGIES:
        fail(f"--strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    if not flower_available():
        fail("federated training needs Flower: pip install 'jayul[federated]'")
    sites, signals = [], None
    for name, path in _site_files(site):
        try:
            histories, names = read_runs_csv(path)
        except RunsFileError as error:
            fail(str(error))
        if signals is not None and names != signals:
            fail(f"{path}: signals {names} differ from the first site's {signals}")
        signals = names
        sites.append(Site(name, histories, cap))
    if len(sites) < 2:
        fail("federated training needs at least two --site")
    settings = FederatedSettings(
        rounds=rounds,
        local_epochs=local_epochs,
        proximal_mu=proximal_mu,
        dp_noise=dp_noise,
        dp_clip=dp_clip,
        cap=cap,
        seed=seed,
    )
    model = train_federated(sites, settings, strategy)
    out.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": model, "signals": signals, "sites": [s.name for s in sites]}, out)
    rows = sum(s.n_rows for s in sites)
    console.print(
        f"{strategy}: {rounds} rounds over {len(sites)} sites ({rows} rows, none shared) -> {out}"
    )
    console.print(f"settings: {dataclasses.asdict(settings)}")


@federated_app.command("deploy")
def federated_deploy(
    model_file: Path = typer.Argument(..., help="A model file from `jayul federated train`."),
    site_name: str = typer.Option(..., "--site-name", help="This site's name."),
    recent: Path = typer.Option(..., "--recent", help="This site's recent completed runs (CSV)."),
    reference_rmse: float = typer.Option(
        ..., "--reference-rmse", min=0.0, help="This site's current model's RMSE on those runs."
    ),
    tolerance: float = typer.Option(0.10, "--tolerance", min=0.0, help="Allowed RMSE rise."),
    name: str = typer.Option("rul-federated", "--name", help="Registry name."),
    by: str = typer.Option(..., "--by", help="your name"),
    approver: str | None = typer.Option(None, "--approver", help="named approver (high risk)"),
    db: Path = DbOption,
) -> None:
    """Register, score and back-test a federated model at this site; deploy it through the gate."""
    from jayul.fleet.federated.deploy import (
        backtest_at_site,
        deploy_at_site,
        register_federated,
        score_at_site,
    )
    from jayul.fleet.federated.features import Site
    from jayul.fleet.federated.model import FederatedRul
    from jayul.fleet.federated.runs import RunsFileError, read_runs_csv
    from jayul.govern.registry import Registry
    from jayul.records.timebase import utc_now_ns

    if not model_file.is_file():
        fail(f"{model_file}: model file not found")
    try:
        bundle = joblib.load(model_file)
    except Exception as error:  # a corrupt or foreign file: say so, do not trace back
        fail(f"{model_file}: not a model file ({error})")
    model = bundle.get("model") if isinstance(bundle, dict) else None
    if not isinstance(model, FederatedRul):
        fail(f"{model_file}: not a model file from `jayul federated train`")
    try:
        histories, signals = read_runs_csv(recent)
    except RunsFileError as error:
        fail(str(error))
    if signals != bundle.get("signals"):
        fail(f"{recent}: signals {signals} differ from the model's {bundle.get('signals')}")
    site = Site(site_name, histories, model.settings.cap)
    backtest = backtest_at_site(model, site_name, histories, reference_rmse, tolerance)
    now = utc_now_ns()
    with plant_db(db) as (con, audit):
        registry = Registry(con, audit)
        data = f"federated over sites {', '.join(bundle.get('sites', []))}; rows stayed at each"
        record = register_federated(
            registry, name, model, {"backtest_rmse": backtest.rmse}, data, by, now
        )
        scorecard = score_at_site(registry, record, model, site, by, now)
        decision = deploy_at_site(registry, record, backtest, by, now, approver)
    console.print(backtest.reason)
    console.print(f"{name} v{record.version}: risk {scorecard.overall.value}")
    if not decision.allowed:
        fail(f"not deployed: {decision.reason}", 1)
    console.print(f"{name} v{record.version} deployed ({decision.reason})")
