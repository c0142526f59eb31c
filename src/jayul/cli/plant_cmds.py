"""`jayul plant export-aas` and `import-aas`: the plant model as an Asset Administration Shell
(docs/connect.md). The `basyx-python-sdk` package is imported only here, on use."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from jayul.connect.bindings import BindingsError, Connect, load_bindings
from jayul.plant import Plant, PlantFileError, load_plant
from jayul.shell.errors import fail

plant_app = typer.Typer(help="The plant model: exchange it as an Asset Administration Shell.")
console = Console(soft_wrap=True, highlight=False)
_NO_BASYX = "the AAS commands need basyx-python-sdk: pip install 'jayul[aas]'"


def _plant(path: Path) -> tuple[Plant, Connect | None]:
    """The plant of a plant file (or of the file its `plant_file:` names) and its `connect:`
    section when it has one."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
        if isinstance(data, dict) and "connect" in data:
            bindings = load_bindings(path)
            return bindings.plant, bindings.connect
        return load_plant(path), None
    except (OSError, yaml.YAMLError, PlantFileError, BindingsError) as exc:
        fail(str(exc))


@plant_app.command("export-aas")
def export_aas(
    plant_file: Path = typer.Argument(..., help="The plant file to export."),
    out: Path = typer.Option(..., "--out", help="Where to write: FILE.aasx or FILE.json."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write the plant (machines, signals with units and ranges, setpoints with envelopes,
    failure modes, maintenance) and its connect section (the bindings) as an AAS environment:
    an AASX package or AAS JSON."""
    try:
        from jayul.connect.aas_export import write_aas
    except ImportError:
        fail(_NO_BASYX)
    plant, connect = _plant(plant_file)
    if out.exists() and not force:
        fail(f"{out} exists; give --force to overwrite it")
    if out.suffix.lower() not in (".aasx", ".json"):
        fail(f"--out {out}: name a .aasx or .json file")
    try:
        shells = write_aas(plant, out, connect)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    console.print(
        f"wrote {out}: {shells} shells (the plant, {len(plant.machine_types)} machine types, "
        f"{len(plant.machines)} machines)" + (", with the connect section" if connect else "")
    )


@plant_app.command("import-aas")
def import_aas(
    aas_file: Path = typer.Argument(..., help="An AAS file: .aasx, .json or .xml."),
    out: Path = typer.Option(..., "--out", help="The plant file to write."),
    name: str | None = typer.Option(None, help="The plant's name (default: as the file says)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Read an AAS environment into a plant file draft; says what could not be mapped."""
    try:
        from jayul.connect.aas_import import AasImportError, read_aas
    except ImportError:
        fail(_NO_BASYX)
    if out.exists() and not force:
        fail(f"{out} exists; give --force to overwrite it")
    if not aas_file.exists():
        fail(f"{aas_file}: no such file")
    try:
        found = read_aas(aas_file, name)
    except AasImportError as exc:
        fail(str(exc))
    for note in found.notes:
        console.print(f"[bold yellow]not mapped:[/] {note}")
    out.write_text(
        f"# A plant file draft from {aas_file.name} (jayul plant import-aas): check it.\n"
        + found.yaml_text
    )
    p = found.plant
    console.print(
        f"wrote {out}: {len(p.machines)} machines, {len(p.machine_types)} machine types, "
        f"{sum(len(p.machine_type(m.id).signals) for m in p.machines)} signals"
    )
