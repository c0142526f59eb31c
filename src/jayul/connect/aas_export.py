"""A plant file as an Asset Administration Shell environment (IDTA AAS 3.0, Eclipse BaSyx).

What becomes what (docs/connect.md, "Asset Administration Shell"):

- the plant: one shell (asset kind Instance) with the submodel `Plant` (name, start, lines,
  crews, orders, alarm rules, the machines' order) and, when the file has one, `Connect`: its
  `connect:` section (sources with their bindings of signals to nodes, topics and registers,
  sinks, state tags; credentials are never in it, only the names of where they are kept);
- each machine type: one shell of asset kind Type with the submodels `MachineType`
  (name, operations, downtime cost), `Signals` (one collection per signal: id, unit, valid
  range `low`/`high`, sampling period, sensor model), `Setpoints` (id, unit, default and the
  safe `envelope`), `FailureModes` and `Maintenance`;
- each machine: one shell of asset kind Instance, derived from its type's shell, with the
  submodel `Machine` (id, type, line) and references to its type's submodels, so a reader of
  the machine's shell sees its signals.

The standard templates (Nameplate, TechnicalData) are not used: they describe a product by its
manufacturer, part number and serial number, which a plant file does not hold; filling them
with blanks would make shells that claim a conformance they lack. jayul's submodels carry the
semantic ids `urn:jayul:aas:<Submodel>:1`, and values follow `jayul.connect.aas_codec`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

from basyx.aas import model
from basyx.aas.adapter import aasx
from basyx.aas.adapter.json import write_aas_json_file

from jayul.connect.aas_codec import collection, elements, global_ref, id_short, no_files
from jayul.connect.bindings import Connect
from jayul.plant import Plant
from jayul.plant.model import MachineType

Store = model.DictIdentifiableStore[model.Identifiable]
SEMANTIC = "urn:jayul:aas:{}:1"
TYPE_SUBMODELS = ("MachineType", "Signals", "Setpoints", "FailureModes", "Maintenance")


def _submodel(sm_id: str, name: str, elements: list[model.SubmodelElement]) -> model.Submodel:
    return model.Submodel(
        sm_id,
        elements,
        id_short=name,
        semantic_id=global_ref(SEMANTIC.format(name)),
        kind=model.ModellingKind.INSTANCE,
    )


def _per_item(items: list[Any]) -> list[model.SubmodelElement]:
    """One collection per signal (setpoint, mode, action), named by its id."""
    taken: set[str] = set()
    return [collection(id_short(x.id, taken), dict(x)) for x in items]


def _type_submodels(base: str, name: str, mt: MachineType) -> list[model.Submodel]:
    head = {
        "name": name,
        "operations": mt.operations,
        "downtime_cost_per_h": mt.downtime_cost_per_h,
    }
    parts: dict[str, list[model.SubmodelElement]] = {
        "MachineType": elements(head),
        "Signals": _per_item(mt.signals),
        "Setpoints": _per_item(mt.setpoints),
        "FailureModes": _per_item(mt.failure_modes),
        "Maintenance": _per_item(mt.maintenance),
    }
    return [_submodel(f"{base}/sm/{k}", k, v) for k, v in parts.items()]


def plant_environment(plant: Plant, connect: Connect | None = None) -> Store:
    """Every shell and submodel of `plant` (module doc)."""
    base = f"urn:jayul:{quote(plant.name, safe='')}"
    store: Store = Store()
    shells: set[str] = set()

    def shell(
        shell_id: str,
        name: str,
        kind: model.AssetKind,
        submodels: list[model.Submodel],
        derived_from: model.AssetAdministrationShell | None = None,
    ) -> model.AssetAdministrationShell:
        for sm in submodels:
            if store.get(sm.id) is None:
                store.add(sm)
        aas = model.AssetAdministrationShell(
            model.AssetInformation(kind, global_asset_id=f"{shell_id}/asset"),
            shell_id,
            id_short=id_short(name, shells),
            submodel={model.ModelReference.from_referable(sm) for sm in submodels},
            derived_from=(
                model.ModelReference.from_referable(derived_from) if derived_from else None
            ),
        )
        store.add(aas)
        return aas

    fields = {k: getattr(plant, k) for k in type(plant).model_fields}
    head = {k: v for k, v in fields.items() if k not in ("machine_types", "machines", "kind")}
    head["machines"] = plant.machine_ids  # their order; each is a shell of its own
    plant_sms = [_submodel(f"{base}/sm/Plant", "Plant", elements(head))]
    if connect is not None:
        plant_sms.append(_submodel(f"{base}/sm/Connect", "Connect", elements(dict(connect))))
    shell(f"{base}/plant", plant.name, model.AssetKind.INSTANCE, plant_sms)
    types: dict[str, tuple[model.AssetAdministrationShell, list[model.Submodel]]] = {}
    for name, mt in plant.machine_types.items():
        t_base = f"{base}/type/{quote(name, safe='')}"
        sms = _type_submodels(t_base, name, mt)
        types[name] = (shell(t_base, name, model.AssetKind.TYPE, sms), sms)
    for m in plant.machines:
        m_base = f"{base}/machine/{quote(m.id, safe='')}"
        type_shell, type_sms = types[m.type]
        own = _submodel(f"{m_base}/sm/Machine", "Machine", elements(dict(m)))
        shell(m_base, m.id, model.AssetKind.INSTANCE, [own, *type_sms], derived_from=type_shell)
    return store


def write_aas(plant: Plant, out: Path, connect: Connect | None = None) -> int:
    """Write `plant` (and its `connect` section) to `out`: an AASX package when it ends in
    .aasx, else AAS JSON. Returns the number of shells written."""
    store = plant_environment(plant, connect)
    if out.suffix.lower() == ".aasx":
        shell_ids = [x.id for x in store if isinstance(x, model.AssetAdministrationShell)]
        with aasx.AASXWriter(str(out)) as writer:
            writer.write_aas(
                shell_ids,
                store,
                no_files(),
                write_json=True,  # AAS 3.0 JSON: checkers of 3.0 refuse basyx's 3.1 XML
            )
    else:
        buf = io.StringIO()
        write_aas_json_file(buf, store, indent=1)
        out.write_text(buf.getvalue())
    return sum(1 for x in store if isinstance(x, model.AssetAdministrationShell))
