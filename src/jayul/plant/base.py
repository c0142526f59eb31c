"""What every part of the plant file's model shares: strict, frozen fields, and the error a twin
raises for a simulation parameter the file leaves out."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class NotModelledError(ValueError):
    """A simulation parameter the plant file leaves out, asked for by the twin (or a model
    that simulates): the message names the field."""


def modelled(value: T | None, what: str) -> T:
    """`value`, or NotModelledError naming `what` when the plant file leaves it out."""
    if value is None:
        raise NotModelledError(f"{what} is not in the plant file (the twin needs it)")
    return value


class Strict(BaseModel):
    """A plant-file section: unknown keys are refused, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_range(low: float, high: float) -> None:
    """ValueError unless `low` is below `high` (an envelope, a sensor range, a limit)."""
    if not low < high:
        raise ValueError(f"low ({low}) must be below high ({high})")
