"""Plant files: the demo validates; bad files get errors naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jayul.plant import PlantFileError, demo_plant_path, load_demo_plant, load_plant, parse_plant

ROOT = Path(__file__).resolve().parents[2]


def test_demo_plant_shape() -> None:
    plant = load_demo_plant()
    assert len(plant.lines) >= 2
    assert len(plant.machines) >= 12
    assert len(plant.machine_types) >= 3
    for mt in plant.machine_types.values():
        assert 4 <= len(mt.signals) <= 8
    example = load_plant(ROOT / "examples" / "plants" / "demo.yaml")
    assert example == plant


def _demo_data() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(demo_plant_path().read_text())  # type: ignore[no-any-return]


def test_unknown_type_named_with_its_path() -> None:
    data = _demo_data()
    data["plant"]["machines"][0]["type"] = "robot"
    with pytest.raises(PlantFileError, match=r"(?s)bad\.yaml.*plant: .*unknown type 'robot'"):
        parse_plant(yaml.safe_dump(data), "bad.yaml")


def test_wrong_field_type_names_field_path() -> None:
    data = _demo_data()
    data["plant"]["machine_types"]["pump"]["signals"][0]["noise"] = "loud"
    with pytest.raises(PlantFileError) as err:
        parse_plant(yaml.safe_dump(data), "x.yaml")
    assert "plant.machine_types.pump.signals[0].noise" in str(err.value)


def test_envelope_and_setpoint_checks() -> None:
    data = _demo_data()
    sp = data["plant"]["machine_types"]["pump"]["setpoints"][0]
    sp["default"] = 5000
    with pytest.raises(PlantFileError, match="outside its envelope"):
        parse_plant(yaml.safe_dump(data), "x.yaml")


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("plant: [unclosed")
    with pytest.raises(PlantFileError, match="not valid YAML"):
        load_plant(bad)
    with pytest.raises(PlantFileError, match="cannot read"):
        load_plant(tmp_path / "missing.yaml")
    bad.write_text("- a list\n")
    with pytest.raises(PlantFileError, match="top-level 'plant:'"):
        load_plant(bad)
