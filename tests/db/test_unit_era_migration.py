"""Issue 11, item 3: revision 0004_unit_era moves the rows of a 0003 database to (era, code) keys and back."""

from __future__ import annotations

import json

from sqlalchemy import text

from chiso import migrations
from chiso.db import make_engine

AT = "2025-12-01 08:00:00+00:00"
# The same code 00004 in two eras: a national figure of 2024's provinces would use a 2-digit code, so the
# lineage case uses a 2024 commune measured before the reorganisation.
VALUES = [
    # id, unit, variable, period, version, source, lineage
    (1, "01840", "cyber_drill", "2025", 1, "declared", {"period": "2025/commune-2025", "indicator": "c3_5"}),
    (2, "01", "dti_published", "2022@2024", 1, "imported", {"era": "2024", "year": 2022, "simulated": False}),
    (3, "01", "dti_published", "2024@2025", 1, "imported", {"era": "2025", "year": 2024, "simulated": False}),
    (4, "00004", "dossiers_on_time", "2024", 1, "measured", {"unit_era": "2024", "records": 10}),
    (5, "19", "households_fibre_share", "2021", 1, "imported", {"simulated": True}),
    (6, "19", "households_fibre_share", "2021", 2, "imported", None),
]


def _seed_0003(connection) -> None:
    connection.execute(
        text(
            "INSERT INTO framework_version (id, code, edition, name, sha256, document, published_at, published_by)"
            " VALUES (1, 'commune-2025', '2025', 'x', 'abc', 'x', :at, 'admin')"
        ),
        {"at": AT},
    )
    for pid, code, era in ((1, "2025/commune-2025", "2025"), (2, "2024/commune-2024", "2024")):
        connection.execute(
            text(
                "INSERT INTO collection_period (id, code, framework_version_id, year, era, value_period, opens_on,"
                " closes_on, state, created_at, created_by, version)"
                " VALUES (:id, :code, 1, :year, :era, :year_s, '2025-09-01', '2025-11-30', 'open', :at, 'admin', 1)"
            ),
            {"id": pid, "code": code, "year": int(code[:4]), "year_s": code[:4], "era": era, "at": AT},
        )
    connection.execute(
        text(
            "INSERT INTO submission (id, period_id, unit_code, state, version) VALUES"
            " (1, 1, '01840', 'draft', 1), (2, 2, '00004', 'draft', 1)"
        )
    )
    for row_id, unit, variable, period, version, source, lineage in VALUES:
        connection.execute(
            text(
                "INSERT INTO value (id, unit_code, variable, period, value, version, source, recorded_at,"
                " recorded_by, lineage, note) VALUES (:id, :unit, :variable, :period, 1.5, :version, :source, :at,"
                " 'admin', :lineage, '')"
            ),
            {
                "id": row_id,
                "unit": unit,
                "variable": variable,
                "period": period,
                "version": version,
                "source": source,
                "at": AT,
                "lineage": None if lineage is None else json.dumps(lineage),
            },
        )
    for run_id, period_id in ((1, 1), (2, 2)):
        connection.execute(
            text(
                "INSERT INTO result_run (id, period_id, framework_version_id, variant, inputs_sha256, computed_at,"
                " computed_by, published, outputs) VALUES (:id, :period, 1, 'final', 'sha', :at, 'admin', :no, '{}')"
            ),
            {"id": run_id, "period": period_id, "at": AT, "no": False},
        )
    connection.execute(
        text(
            "INSERT INTO result_row (id, run_id, unit_code, node, value, points, rank) VALUES"
            " (1, 1, '01840', 'commune_dx', 0.5, 50, 1), (2, 2, '00004', 'commune_dx', 0.4, 40, 1)"
        )
    )


def test_the_rows_of_0003_get_their_era_and_come_back(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0003")
        with engine.begin() as connection:
            _seed_0003(connection)
        migrations.upgrade(engine, "0004_unit_era")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, era, unit_code, period FROM value ORDER BY id")).all()
            results = connection.execute(text("SELECT id, era, unit_code FROM result_row ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, "2025", "01840", "2025"),  # in the scope of the 2025 collection period
            (2, "2024", "01", "2022"),  # national: the era leaves the period string
            (3, "2025", "01", "2024"),
            (4, "2024", "00004", "2024"),  # measured: the lineage's unit_era
            (5, "2025", "19", "2021"),  # nothing says otherwise: the current era
            (6, "2025", "19", "2021"),
        ]
        assert [tuple(r) for r in results] == [(1, "2025", "01840"), (2, "2024", "00004")]
        with engine.begin() as connection:  # the era is part of the key now: the same code in the other era
            connection.execute(
                text(
                    "INSERT INTO value (id, era, unit_code, variable, period, value, version, source, recorded_at,"
                    " recorded_by, note) VALUES (7, '2025', '00004', 'dossiers_on_time', '2024', 2, 1, 'measured',"
                    " :at, 'measure', '')"
                ),
                {"at": AT},
            )
            connection.execute(text("DELETE FROM value WHERE id = 7"))
        migrations.downgrade(engine, "0003")
        with engine.connect() as connection:
            back = connection.execute(text("SELECT id, unit_code, period FROM value ORDER BY id")).all()
            columns = connection.execute(text("SELECT * FROM result_row")).keys()
        assert [r.period for r in back] == ["2025", "2022@2024", "2024@2025", "2024", "2021", "2021"]
        assert "era" not in columns
    finally:
        engine.dispose()
