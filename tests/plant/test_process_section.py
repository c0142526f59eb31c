"""The plant file's process section: the soft sensor's analyser and inputs and the known
faults' names, each checked against the machines with an error naming the file and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from jayul.plant import PlantFileError, load_plant, parse_plant

TEP = Path(__file__).resolve().parents[2] / "examples" / "plants" / "tep.yaml"
SMALL = """
plant:
  name: mixing
  process:
    model: tep
    soft_sensor:
      analysed: [{analysed}]
      delay_s: {delay}
      inputs: [{inputs}]
    known_faults: {faults}
  machine_types:
    mixer:
      signals:
        - {{id: flow_a, unit: m3/h, period_s: 180}}
        - {{id: flow_b, unit: m3/h, period_s: 180}}
        - {{id: purity, unit: "%", period_s: 180}}
  machines:
    - {{id: mixer, type: mixer}}
"""


def small(
    analysed: str = "mixer.purity",
    delay: str = "900",
    inputs: str = "mixer.flow_a, mixer.flow_b",
    faults: str = "{1: blocked A}",
) -> str:
    return SMALL.format(analysed=analysed, delay=delay, inputs=inputs, faults=faults)


def test_the_tep_plant_file_declares_its_analyser_and_faults() -> None:
    process = load_plant(TEP).process
    assert process is not None and process.soft_sensor is not None
    assert len(process.soft_sensor.analysed_refs) == 5 and len(process.soft_sensor.inputs) == 22
    assert process.soft_sensor.delay_s == 900.0
    assert process.known_faults[6] == "IDV(6) A feed loss" and len(process.known_faults) == 21


def test_a_valid_section_round_trips() -> None:
    plant = parse_plant(small(), "mixing.yaml")
    assert plant.process is not None and plant.process.soft_sensor is not None
    dumped = yaml.safe_dump({"plant": plant.model_dump(mode="json", exclude_none=True)})
    again = parse_plant(dumped, "again.yaml")
    assert again.process == plant.process


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (small(inputs="mixer.flow_a, mixer.flow_c"),
         r"process\.soft_sensor\.inputs\[1\] names unknown signal 'flow_c' of machine 'mixer'"),
        (small(analysed="lab.purity"),
         r"process\.soft_sensor\.analysed\[0\] names unknown machine 'lab'"),
        (small(delay="1000"),
         r"process\.soft_sensor\.delay_s: 1000 s is not a whole number of .* \(180 s\)"),
        (small(inputs="flow_a, mixer.flow_b"), r"'flow_a': name a signal as machine\.signal"),
        (small(inputs="mixer.purity, mixer.flow_b"), r"'mixer\.purity' is both analysed and an"),
        (small(inputs="mixer.flow_a"), r"plant\.process\.soft_sensor\.inputs: List should have"),
        (small(faults="{0: normal}"), r"known_faults: label 0 is the normal process"),
    ],
)  # fmt: skip
def test_a_bad_section_names_the_file_and_field(text: str, says: str) -> None:
    with pytest.raises(PlantFileError, match=r"mixing\.yaml: 1 problem") as caught:
        parse_plant(text, "mixing.yaml")
    assert re.search(says, str(caught.value)), str(caught.value)
