"""Source schemas and measure definitions are data: they validate, round-trip and fit the framework."""

from __future__ import annotations

import pytest

from chiso.framework import load_framework
from chiso.sources.conditions import Condition
from chiso.sources.measures import SHIPPED, load_measures, parse_measures
from chiso.sources.schemas import SourceError, catalog, parse_catalog


def test_source_catalog_round_trips():
    assert parse_catalog(catalog().to_yaml()) == catalog()
    assert set(catalog().sources) == {"dossiers", "documents", "staff", "procedures"}


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_measure_sets_round_trip(code):
    measures = load_measures(code)
    assert parse_measures(measures.to_yaml()) == measures


def test_commune_measures_produce_exactly_the_measurable_inputs():
    framework = load_framework("commune-2025")
    measurable = [n for n in framework.indicators if getattr(n, "measurable", False)]
    assert sorted(n.code for n in measurable) == ["c4_10", "c4_11", "c4_18", "c4_19", "c4_21", "c4_4", "c4_6"]
    wanted = {v for n in measurable for v in n.inputs}
    produced = {o for m in load_measures("commune-2025").measures for o in m.outputs}
    assert produced == wanted


def test_766_measures_produce_exactly_the_measurable_inputs():
    framework = load_framework("service-766")
    measurable = [n for n in framework.indicators if n.measurable]
    wanted = {v for n in measurable for v in n.inputs}
    produced = {o for m in load_measures("service-766").measures for o in m.outputs}
    assert produced == wanted
    declared = {v for n in framework.indicators if not n.measurable for v in n.inputs} - produced
    assert declared == {"dossiers_personal_store", "procedures_population_data", "procedures_for_citizens",
                        "dossiers_population_data", "communes_certified_copy", "communes", "feedback",
                        "feedback_on_time", "feedback_satisfied"}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"column": "status"}, "needs an op"),
        ({"column": "status", "op": "eq"}, "exactly one of value"),
        ({"column": "status", "op": "in", "values": []}, "non-empty list"),
        ({"column": "status", "op": "is_null", "value": 1}, "takes no value"),
        ({"all": []}, "at least one"),
        ({"column": "a", "op": "eq", "value": 1, "all": [{"column": "b", "op": "is_null"}]}, "exactly one of"),
    ],
)
def test_bad_conditions_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        Condition.model_validate(data)


def test_measure_set_is_checked_against_the_sources():
    text = load_measures("commune-2025").to_yaml()
    with pytest.raises(SourceError, match="'online_full' is not a value of service_mode"):
        parse_measures(text.replace("value: full_online", "value: online_full"))
    with pytest.raises(SourceError, match="has no field 'digitized'"):
        parse_measures(text.replace("column: digitised", "column: digitized"))
    with pytest.raises(SourceError, match="variables given more than once: staff"):
        parse_measures(text.replace("name: staff_using_documents_system", "name: staff"))
