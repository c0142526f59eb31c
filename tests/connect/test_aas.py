"""The plant as an Asset Administration Shell: export checked by the IDTA's aas-test-engines,
plant -> AAS -> plant equal, and what cannot be mapped named on import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jayul.cli.main import app
from jayul.connect.bindings import load_bindings
from jayul.plant import Plant, load_demo_plant, load_plant

pytest.importorskip("basyx.aas", reason="pip install 'jayul[aas]'")
engines = pytest.importorskip("aas_test_engines.file", reason="pip install aas-test-engines")

from basyx.aas import model  # noqa: E402

from jayul.connect.aas_codec import global_ref  # noqa: E402
from jayul.connect.aas_export import plant_environment, write_aas  # noqa: E402
from jayul.connect.aas_import import (  # noqa: E402
    AasImportError,
    plant_from_environment,
    read_aas,
)

ROOT = Path(__file__).resolve().parents[2]
PLANTS = [load_demo_plant(), load_plant(ROOT / "examples/plants/sensors-only.yaml")]


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: p.name)
@pytest.mark.parametrize("suffix", [".json", ".aasx"])
def test_export_passes_the_test_engines_and_reads_back_equal(
    plant: Plant, suffix: str, tmp_path: Path
) -> None:
    out = tmp_path / f"plant{suffix}"
    shells = write_aas(plant, out)
    assert shells == 1 + len(plant.machine_types) + len(plant.machines)
    if suffix == ".json":
        result = engines.check_json_data(json.loads(out.read_text()))
    else:
        with out.open("rb") as f:
            result = engines.check_aasx_file(f)
    assert result.ok(), result.to_dict()
    back = read_aas(out)
    assert back.notes == [] and back.connect is None
    assert back.plant == plant  # every field: signals, units, envelopes, modes, orders, alarms


@pytest.mark.parametrize("name", ["demo-opcua.yaml", "demo-mqtt.yaml"])
def test_the_connect_section_travels_with_the_plant(name: str, tmp_path: Path) -> None:
    bindings = load_bindings(ROOT / "examples/plants" / name)
    out = tmp_path / "p.aasx"
    write_aas(bindings.plant, out, bindings.connect)
    with out.open("rb") as f:
        assert engines.check_aasx_file(f).ok()
    back = read_aas(out)
    assert back.plant == bindings.plant and back.connect == bindings.connect
    written = tmp_path / "back.yaml"
    written.write_text(back.yaml_text)
    again = load_bindings(written)
    assert again.connect == bindings.connect


def test_units_and_envelopes_are_where_an_aas_reader_looks(tmp_path: Path) -> None:
    plant = load_demo_plant()
    write_aas(plant, tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    pump = next(s for s in doc["assetAdministrationShells"] if s["idShort"] == "pump1")
    assert pump["assetInformation"]["assetKind"] == "Instance"
    assert pump["derivedFrom"]["keys"][0]["value"].endswith("/type/pump")
    signals = next(s for s in doc["submodels"] if s["id"].endswith("/type/pump/sm/Signals"))
    assert signals["semanticId"]["keys"][0]["value"] == "urn:jayul:aas:Signals:1"
    first = plant.machine_type("pump1").signals[0]
    values = {e["idShort"]: e.get("value") for e in signals["submodelElements"][0]["value"]}
    assert values["id"] == first.id and values["unit"] == first.unit
    setpoints = next(s for s in doc["submodels"] if s["id"].endswith("/type/pump/sm/Setpoints"))
    env = next(e for e in setpoints["submodelElements"][0]["value"] if e["idShort"] == "envelope")
    sp = plant.machine_type("pump1").setpoints[0]
    got = {e["idShort"]: float(e["value"]) for e in env["value"]}
    assert got["low"] == sp.envelope.low and got["high"] == sp.envelope.high


def _nameplate_shell(store: model.DictIdentifiableStore[model.Identifiable]) -> None:
    sm = model.Submodel(
        "urn:supplier:sm:np",
        [model.Property("ManufacturerName", model.datatypes.String, "ACME")],
        id_short="Nameplate",
        semantic_id=global_ref("https://admin-shell.io/idta/nameplate/3/0/Nameplate"),
    )
    aas = model.AssetAdministrationShell(
        model.AssetInformation(model.AssetKind.INSTANCE, global_asset_id="urn:supplier:a1"),
        "urn:supplier:aas1",
        id_short="Motor_M1",
        submodel={model.ModelReference.from_referable(sm)},
    )
    store.add(sm)
    store.add(aas)


def test_a_supplier_shell_is_named_as_not_mapped() -> None:
    store: model.DictIdentifiableStore[model.Identifiable] = model.DictIdentifiableStore()
    _nameplate_shell(store)
    with pytest.raises(AasImportError) as err:
        plant_from_environment(store, "supplier.aasx")
    text = str(err.value)
    assert "no shell maps to a jayul machine" in text
    assert "shell 'Motor_M1' (urn:supplier:aas1)" in text
    assert "Nameplate (https://admin-shell.io/idta/nameplate/3/0/Nameplate)" in text
    mixed = plant_environment(PLANTS[1])
    _nameplate_shell(mixed)
    found = plant_from_environment(mixed, "mixed.json")
    assert found.plant == PLANTS[1]
    assert len(found.notes) == 1 and "Motor_M1" in found.notes[0]


def test_a_wrong_value_names_the_field(tmp_path: Path) -> None:
    store = plant_environment(PLANTS[1])
    signals = next(
        x for x in store if isinstance(x, model.Submodel) and x.id.endswith("/sm/Signals")
    )
    first = next(iter(signals.submodel_element))
    assert isinstance(first, model.SubmodelElementCollection)
    period = first.get_referable("period_s")
    assert isinstance(period, model.Property)
    period.value_type, period.value = model.datatypes.String, "fast"
    with pytest.raises(AasImportError, match=r"signals\[0\]\.period_s: Input should be a valid"):
        plant_from_environment(store, "edited.json")


def test_the_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    plant_file = ROOT / "examples/plants/sensors-only.yaml"  # with a connect section
    out = tmp_path / "plant.aasx"
    r = runner.invoke(app, ["plant", "export-aas", str(plant_file), "--out", str(out)])
    assert r.exit_code == 0, r.output
    again = runner.invoke(app, ["plant", "export-aas", str(plant_file), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    back = tmp_path / "back.yaml"
    r = runner.invoke(app, ["plant", "import-aas", str(out), "--out", str(back)])
    assert r.exit_code == 0, r.output
    assert load_bindings(back).connect == load_bindings(plant_file).connect
    assert load_plant(back) == load_plant(plant_file)
    junk = tmp_path / "junk.json"
    junk.write_text('{"assetAdministrationShells": [{"idShort": 3}]}')
    r = runner.invoke(app, ["plant", "import-aas", str(junk), "--out", str(tmp_path / "j.yaml")])
    assert r.exit_code == 2 and "not an AAS 3 file" in r.output
