"""A plant file's top-level sections: a misspelt one is refused by name (it would otherwise be
ignored, a site running without its `fleet:` section), and every shipped example loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jayul.connect.bindings import BindingsError, load_bindings
from jayul.plant import PlantFileError, demo_plant_path, load_plant

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plants"


def test_unknown_top_level_section_is_named(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(demo_plant_path().read_text() + "fleets:\n  url: nats://centre:4222\n")
    with pytest.raises(PlantFileError, match=r"unknown top-level section\(s\) 'fleets'"):
        load_plant(path)


def test_unknown_section_beside_plant_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(f"plant_file: {demo_plant_path()}\nconect:\n  sources: []\n")
    with pytest.raises(BindingsError, match=r"unknown top-level section.*'conect'"):
        load_bindings(path)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_loads(name: str) -> None:
    path = EXAMPLES / name
    data = yaml.safe_load(path.read_text())
    if "connect" in data or "plant_file" in data:
        assert load_bindings(path).plant.machines
    else:
        assert load_plant(path).machines
