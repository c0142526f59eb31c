"""A plant file's top-level sections: a misspelt one is refused by name (it would otherwise be
ignored, a site running without its `fleet:` section), and every shipped example loads."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from jayul.connect.bindings import BindingsError, load_bindings
from jayul.plant import Plant, PlantFileError, demo_plant_path, load_plant
from jayul.plant.load import SECTIONS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plants"
TWIN_MD = Path(__file__).resolve().parents[2] / "docs" / "twin.md"


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


def _plant_field_names() -> set[str]:
    names: set[str] = set()
    seen: set[type] = set()

    def walk(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, field in annotation.model_fields.items():
                names.add(name)
                walk(field.annotation)
        else:
            for arg in typing.get_args(annotation):
                walk(arg)

    walk(Plant)
    return names


def test_twin_md_names_every_plant_field_and_no_other() -> None:
    """docs/twin.md's "What a plant file needs" covers each top-level field of `plant:` and
    every top-level section; its table names only fields the model has."""
    text = TWIN_MD.read_text()
    missing = [f for f in [*Plant.model_fields, *SECTIONS] if f"`{f}" not in text]
    assert missing == [], f"docs/twin.md does not name: {missing}"
    section = text.split("## What a plant file needs", 1)[1]
    table = section[section.index("| field |") :].split("\n\n", 1)[0]
    rows = [row for row in table.splitlines() if row.startswith("| `")]
    assert len(rows) > 10
    names = _plant_field_names()
    unknown = [
        part
        for row in rows
        for cell in re.findall(r"`([^`]+)`", row.split("|")[1])
        for part in re.split(r"[.\[\]*]+", cell)
        if part and part not in names
    ]
    assert unknown == [], f"docs/twin.md names fields the plant model lacks: {unknown}"
