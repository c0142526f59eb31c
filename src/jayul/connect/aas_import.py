"""An Asset Administration Shell environment (AASX, AAS JSON or XML) as a plant file draft.

The inverse of `jayul.connect.aas_export`: the plant shell's `Plant` submodel gives the plant's
own fields (its `Connect` submodel, when there is one, the `connect:` section), each type
shell (its `MachineType`, `Signals`, `Setpoints`, `FailureModes`, `Maintenance` submodels) a
machine type, each shell with a `Machine` submodel a machine of the
type its `derivedFrom` names. A shell without jayul's `Machine` submodel but with a `Signals`
submodel of its own is read as a machine with a type of its own (for shells written by hand
after jayul's scheme).

What cannot map is said, never guessed: a shell with none of jayul's submodels (a supplier's
Nameplate or TechnicalData alone) is listed as not read, with the submodels it has; a value of
the wrong kind names the shell, the submodel and the element; the plant this builds is checked
as a plant file is (field paths in the message). Nothing maps: `AasImportError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from basyx.aas import model
from basyx.aas.adapter import aasx
from basyx.aas.adapter.json import read_aas_json_file
from basyx.aas.adapter.xml import read_aas_xml_file

from jayul.connect.aas_codec import AasDecodeError, decode, fields_of, is_semantic, no_files
from jayul.connect.aas_export import SEMANTIC, TYPE_SUBMODELS, Store
from jayul.connect.bindings import BindingsError, Connect, parse_bindings
from jayul.plant import Plant
from jayul.plant.load import PlantFileError, parse_plant


class AasImportError(ValueError):
    """An AAS file that gives no plant; the message lists each problem."""


@dataclass
class AasPlant:
    plant: Plant
    yaml_text: str
    connect: Connect | None = None
    notes: list[str] = field(default_factory=list)  # what was not read, and why


def read_environment(path: Path) -> Store:
    """Every identifiable of an AASX package, AAS JSON or AAS XML file."""
    store: Store = Store()
    try:
        if path.suffix.lower() == ".aasx":
            with aasx.AASXReader(str(path)) as reader:
                reader.read_into(store, no_files())
        elif path.suffix.lower() == ".xml":
            store.update(read_aas_xml_file(str(path), failsafe=False))
        else:
            with path.open(encoding="utf-8-sig") as f:
                store.update(read_aas_json_file(f, failsafe=False))
    except OSError as exc:
        raise AasImportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # basyx raises many kinds for a malformed file
        raise AasImportError(
            f"{path}: not an AAS 3 file (AASX, JSON or XML): {type(exc).__name__}: {exc}"
        ) from None
    return store


def _submodels(aas: model.AssetAdministrationShell, store: Store) -> list[model.Submodel]:
    out = []
    for ref in aas.submodel:
        found = store.get(ref.key[-1].value)
        if isinstance(found, model.Submodel):
            out.append(found)
    return out


def _jayul(submodels: list[model.Submodel], name: str) -> model.Submodel | None:
    for sm in submodels:
        if is_semantic(sm, SEMANTIC.format(name)):
            return sm
    return None


def _machine_type(
    submodels: list[model.Submodel], where: str, fallback: str
) -> tuple[str, dict[str, Any]]:
    """(name, machine type fields) from a shell's type submodels."""
    head_sm = _jayul(submodels, "MachineType")
    head = fields_of(head_sm, f"{where}/MachineType") if head_sm is not None else {}
    name = str(head.pop("name", fallback))
    out: dict[str, Any] = dict(head)
    for part, key in zip(
        TYPE_SUBMODELS[1:], ("signals", "setpoints", "failure_modes", "maintenance"), strict=True
    ):
        sm = _jayul(submodels, part)
        if sm is not None:
            out[key] = [decode(e, f"{where}/{part}.{e.id_short}") for e in sm.submodel_element]
    return name, out


def _describe(aas: model.AssetAdministrationShell, submodels: list[model.Submodel]) -> str:
    names = []
    for sm in submodels:
        sid = sm.semantic_id.key[-1].value if sm.semantic_id is not None else "no semantic id"
        names.append(f"{sm.id_short} ({sid})")
    has = ", ".join(names) or "no submodels"
    return f"shell '{aas.id_short}' ({aas.id}): not read, none of jayul's submodels; it has {has}"


def plant_from_environment(store: Store, source: str, name: str | None = None) -> AasPlant:
    """The plant an environment describes (module doc); `source` names it in messages."""
    shells = [x for x in store if isinstance(x, model.AssetAdministrationShell)]
    notes: list[str] = []
    head: dict[str, Any] = {}
    connect: dict[str, Any] | None = None
    types: dict[str, tuple[str, dict[str, Any]]] = {}  # shell id -> (name, fields)
    machines: list[tuple[model.AssetAdministrationShell, dict[str, Any] | None]] = []
    try:
        for aas in shells:
            sms = _submodels(aas, store)
            where = f"shell '{aas.id_short}'"
            plant_sm, machine_sm = _jayul(sms, "Plant"), _jayul(sms, "Machine")
            if plant_sm is not None:
                head = fields_of(plant_sm, f"{where}/Plant")
                connect_sm = _jayul(sms, "Connect")
                if connect_sm is not None:
                    connect = fields_of(connect_sm, f"{where}/Connect")
            elif machine_sm is not None:
                machines.append((aas, fields_of(machine_sm, f"{where}/Machine")))
            elif _jayul(sms, "MachineType") is not None:
                types[aas.id] = _machine_type(sms, where, str(aas.id_short))
            elif _jayul(sms, "Signals") is not None:
                machines.append((aas, None))
            else:
                notes.append(_describe(aas, sms))
        out_machines, out_types = [], {name_: mt for name_, mt in types.values()}
        for aas, spec in machines:
            where = f"shell '{aas.id_short}'"
            if spec is None:  # signals of its own: a type of its own
                type_name, mt = _machine_type(_submodels(aas, store), where, str(aas.id_short))
                out_types[type_name] = mt
                spec = {"id": str(aas.id_short), "type": type_name}
            elif aas.derived_from is not None and spec.get("type") not in out_types:
                derived = types.get(aas.derived_from.key[-1].value)
                if derived is not None:
                    spec["type"] = derived[0]
            out_machines.append(spec)
    except AasDecodeError as exc:
        raise AasImportError(f"{source}: {exc}") from None
    if not out_machines:
        lines = [f"{source}: no shell maps to a jayul machine (a `Machine` or `Signals` "
                 "submodel with semantic id urn:jayul:aas:<name>:1)", *notes]  # fmt: skip
        raise AasImportError("\n  - ".join(lines))
    order = head.pop("machines", None)
    if isinstance(order, list):
        rank = {m: i for i, m in enumerate(order)}
        out_machines.sort(key=lambda m: rank.get(m.get("id"), len(rank)))
    data = {**head, "machine_types": out_types, "machines": out_machines}
    data["name"] = name or data.get("name") or Path(source).stem
    doc = {"plant": data} if connect is None else {"plant": data, "connect": connect}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    try:
        plant = parse_plant(text, f"{source} (as a plant file)")
        bound = None if connect is None else parse_bindings(text, Path(source)).connect
    except (PlantFileError, BindingsError) as exc:
        raise AasImportError(str(exc)) from None
    return AasPlant(plant, text, bound, notes)


def read_aas(path: Path, name: str | None = None) -> AasPlant:
    """The plant file draft of the AAS file at `path` (module doc)."""
    return plant_from_environment(read_environment(path), str(path), name)
