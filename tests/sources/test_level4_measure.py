"""The level-4 share of 01/NQ-TU from the procedure catalogue (service-2025 `procedures_full_online`),
on the hand-written September 2025 catalogue of test_service766.py, against a figure worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.sources.test_service766 import PROCEDURES, _write

from chiso.clock import VIETNAM, FixedClock
from chiso.programme import load_programme
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.service import measure


def test_the_eligible_procedures_provided_fully_online_by_province(tmp_path: Path):
    lake = Lake(tmp_path / "lake", FixedClock(dt.datetime(2025, 10, 6, 9, tzinfo=VIETNAM)))
    ingest_file(_write(tmp_path / "procedures.jsonl", PROCEDURES), "procedures", lake=lake)
    found = measure(
        lake=lake, measures=load_measures("service-2025"), grains=[Grain.MONTH, Grain.YEAR], era="2025", province="19"
    ).values
    mine = found[(found["unit"] == "19") & found["variable"].str.contains("procedure")].set_index(
        ["variable", "period"]
    )
    # eligible: A and C (the department's), D (commune level, the province's); B and E are not.
    # provided fully online: A and D (C is partly online) → 2 of 3, in the month and in the year.
    for period in ("2025-09", "2025"):
        assert mine.loc[("procedures_full_online_eligible", period), "value"] == 3
        assert mine.loc[("procedures_full_online", period), "value"] == 2
        assert mine.loc[("full_online_procedure_share", period), "value"] == pytest.approx(2 / 3)
    assert mine.loc[("full_online_procedure_share", "2025"), "measure"] == "service-2025:procedures_full_online"
    assert set(found.loc[found["variable"] == "full_online_procedure_share", "unit"]) == {"19"}  # the province only


def test_the_level4_target_names_the_measured_share():
    target = next(t for t in load_programme("01/NQ-TU").targets if t.code == "level4_services")
    assert target.tracks is not None and target.tracks.measured == "full_online_procedure_share"
    outputs = {o for m in load_measures("service-2025").measures for o in m.outputs}
    assert target.tracks.measured in outputs
