"""Reading plant files, with errors that name the file, the field path and the problem."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from jayul.plant.model import Plant


class PlantFileError(Exception):
    """A plant file that cannot be used; the message says where and why."""


# Every top-level section a plant file may hold, with who reads it: a misspelt `fleet:` or
# `conect:` would otherwise be ignored and the site would run without it, silently.
SECTIONS = ("plant", "plant_file", "connect", "fleet", "calibration")


def check_sections(data: dict[object, object], source: str) -> None:
    """PlantFileError naming each top-level key that is not a plant-file section."""
    unknown = [str(key) for key in data if key not in SECTIONS]
    if unknown:
        raise PlantFileError(
            f"{source}: unknown top-level section(s) {', '.join(map(repr, unknown))}; "
            f"a plant file holds {', '.join(SECTIONS)}"
        )


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_plant(text: str, source: str = "<string>") -> Plant:
    """Validate a plant file's text; raise `PlantFileError` naming `source` and the fields."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlantFileError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or "plant" not in data or not isinstance(data["plant"], dict):
        raise PlantFileError(f"{source}: expected a mapping with a top-level 'plant:' key")
    check_sections(data, source)
    try:
        return Plant.model_validate(data["plant"])
    except ValidationError as exc:
        lines = [f"{source}: {exc.error_count()} problem(s) in the plant file:"]
        for err in exc.errors():
            loc = _field_path(("plant", *err["loc"]))
            lines.append(f"  - {loc}: {err['msg']}")
        raise PlantFileError("\n".join(lines)) from None


def load_plant(path: Path | str) -> Plant:
    """Read and validate a plant file."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise PlantFileError(f"{p}: cannot read the plant file: {exc.strerror}") from None
    return parse_plant(text, str(p))


def demo_plant_path() -> Path:
    """The demo plant shipped with jayul (`examples/plants/demo.yaml` is a copy of it)."""
    return Path(str(resources.files("jayul.plant").joinpath("demo.yaml")))


def load_demo_plant() -> Plant:
    return load_plant(demo_plant_path())
