"""Automatic measures (đo tự động): source records → checked lake → measured values with lineage.

    from chiso.sources.lake import Lake
    from chiso.sources.ingest import ingest_file
    from chiso.sources.measures import Grain, load_measures
    from chiso.sources.service import measure, explain, quarantine

    lake = Lake.at("var")
    ingest_file(Path("dossiers-19-2025.csv"), "dossiers", lake=lake)
    values = measure(lake=lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR]).values

`values` is the long table `unit, variable, period, value, source, measure, measure_version, records,
computed_at, lineage, …` that `chiso score` reads. See docs/sources.md.
"""
