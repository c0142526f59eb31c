"""The value encoding of jayul's AAS submodels (docs/connect.md, "Asset Administration Shell").

A plant file's values become submodel elements by one rule, so that export and import stay
each other's inverse and a new plant-file field needs no new AAS code:

- str, bool, int, float, datetime: a Property (xs:string, xs:boolean, xs:long, xs:double,
  xs:dateTime);
- a model (signal, envelope, failure mode, ...): a SubmodelElementCollection, one element per
  field that is set;
- a list or a tuple: a SubmodelElementList (of Properties or of collections);
- a mapping (crews, operations, effects): a SubmodelElementList of collections `{key, value}`,
  marked with the semantic id `KEY_VALUE`.

Field names are idShorts as they are (`period_s`, `wear_per_h`: valid AAS idShorts); a field
left out of the plant file (None) has no element. Ids of machines, signals and types are
values of properties, never only idShorts, since an idShort cannot hold every id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from basyx.aas import model
from basyx.aas.adapter import aasx
from pydantic import BaseModel

KEY_VALUE = "urn:jayul:aas:KeyValueList:1"


class AasDecodeError(ValueError):
    """An element that does not hold what jayul's encoding puts there; says where."""


def no_files() -> aasx.DictSupplementaryFileContainer:
    """An empty store of supplementary files (jayul's shells reference none)."""
    return aasx.DictSupplementaryFileContainer()  # type: ignore[no-untyped-call]


def global_ref(value: str) -> model.ExternalReference:
    return model.ExternalReference((model.Key(model.KeyTypes.GLOBAL_REFERENCE, value),))


def id_short(text: str, taken: set[str] | None = None) -> str:
    """A valid idShort close to `text` (AAS 3.0: `[a-zA-Z][a-zA-Z0-9_]*`), unique among `taken`
    (which it joins)."""
    out = re.sub(r"[^a-zA-Z0-9_]", "_", text)
    if not out or not out[0].isalpha():
        out = "x" + out
    if taken is not None:
        base, n = out, 2
        while out in taken:
            out, n = f"{base}_{n}", n + 1
        taken.add(out)
    return out


def _property(name: str | None, value: str | bool | int | float | datetime) -> model.Property:
    kind: type[Any]
    if isinstance(value, bool):
        kind = model.datatypes.Boolean
    elif isinstance(value, int):
        kind = model.datatypes.Long
    elif isinstance(value, float):
        kind = model.datatypes.Double
    elif isinstance(value, datetime):
        kind = model.datatypes.DateTime
    else:
        kind = model.datatypes.String
    return model.Property(name, kind, value)


def encode(name: str | None, value: Any) -> model.SubmodelElement | None:
    """The element of one plant-file value (module doc); None for a value left out."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        fields = {k: getattr(value, k) for k in type(value).model_fields}
        return collection(name, fields)
    if isinstance(value, Mapping):
        pairs = [collection(None, {"key": str(k), "value": v}) for k, v in value.items()]
        return model.SubmodelElementList(
            name, model.SubmodelElementCollection, pairs, semantic_id=global_ref(KEY_VALUE)
        )
    if isinstance(value, list | tuple):
        items = [e for e in (encode(None, v) for v in value) if e is not None]
        if items and isinstance(items[0], model.Property):
            return model.SubmodelElementList(
                name, model.Property, items, value_type_list_element=items[0].value_type
            )
        if items:
            return model.SubmodelElementList(name, model.SubmodelElementCollection, items)
        return model.SubmodelElementList(
            name, model.Property, value_type_list_element=model.datatypes.String
        )
    return _property(name, value)


def elements(fields: Mapping[str, Any]) -> list[model.SubmodelElement]:
    """The elements of `fields` (name -> value), encoded by `encode`; None values left out."""
    return [e for e in (encode(k, v) for k, v in fields.items()) if e is not None]


def collection(name: str | None, fields: Mapping[str, Any]) -> model.SubmodelElementCollection:
    """A collection of `fields` (name -> value), values encoded by `encode`."""
    return model.SubmodelElementCollection(name, elements(fields))


def decode(element: model.SubmodelElement, where: str) -> Any:
    """The plain value (str, number, dict, list) of an element `encode` made; `where` names the
    element in errors."""
    if isinstance(element, model.Property):
        return _plain(element.value)
    if isinstance(element, model.Range):
        return {"low": element.min, "high": element.max}
    if isinstance(element, model.SubmodelElementCollection):
        return fields_of(element, where)
    if isinstance(element, model.SubmodelElementList):
        items = [decode(e, f"{where}[{i}]") for i, e in enumerate(element.value)]
        if is_semantic(element, KEY_VALUE):
            out = {}
            for i, pair in enumerate(items):
                if not isinstance(pair, dict) or "key" not in pair:
                    raise AasDecodeError(f"{where}[{i}]: expected a collection with a 'key'")
                out[str(pair["key"])] = pair.get("value")
            return out
        return items
    raise AasDecodeError(f"{where}: a {type(element).__name__} holds no plant-file value")


def _plain(value: Any) -> Any:
    """basyx's value types (Long, NormalizedString, ...) as the Python types they extend."""
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def fields_of(
    container: model.SubmodelElementCollection | model.Submodel, where: str
) -> dict[str, Any]:
    """The decoded children of a collection or submodel, by idShort."""
    children = (
        container.value
        if isinstance(container, model.SubmodelElementCollection)
        else container.submodel_element
    )
    return {str(e.id_short): decode(e, f"{where}.{e.id_short}") for e in children}


def is_semantic(element: model.HasSemantics, semantic: str) -> bool:
    """Whether `element`'s semantic id is the global reference `semantic`."""
    sid = element.semantic_id
    return sid is not None and any(k.value == semantic for k in sid.key)
