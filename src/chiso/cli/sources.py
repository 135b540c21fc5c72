"""`chiso sources …`: simulate, ingest and measure source records (automatic measures, đo tự động)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd
import typer

from chiso.cli import measured
from chiso.cli.output import fail, print_table
from chiso.sources.changes import measure_changed, parse_moment
from chiso.sources.compiler import EngineError
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import DATA_DIR_ENV, Lake
from chiso.sources.measures import Grain, load_measures
from chiso.sources.schemas import SourceError, catalog, get_source
from chiso.sources.service import explain, measure, quarantine
from chiso.sources.simulate import FORMATS, SOURCES, Plan, simulate
from chiso.sources.sync import (
    SyncError,
    SyncReport,
    load_mapping,
    parse_at,
    parse_every,
    run_every,
    sync,
    sync_folder,
)
from chiso.tables import TableError, write_table
from chiso.units.errors import UnitsError

app = typer.Typer(help="Đo tự động từ dữ liệu nguồn — automatic measures from source records.", no_args_is_help=True)
DataDir = typer.Option(
    None, "--data-dir", envvar=DATA_DIR_ENV, help="Chiso's data directory (default ./var; env CHISO_DATA_DIR)."
)


def _lake(data_dir: Path | None) -> Lake:
    """The data directory's lake, with the command's clock (CHISO_CLOCK) to stamp what it writes."""
    from chiso.cli.session import cli_clock  # settings and the database layer: only when a command runs

    return Lake.at(data_dir, cli_clock())


def _years(text: str) -> tuple[int, ...]:
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            years = tuple(range(first, last + 1))
        else:
            years = tuple(int(x) for x in text.split(","))
    except ValueError:
        fail(f"--years {text!r}: write 2021-2025 or 2024,2025")
    if not years or min(years) < 2015 or max(years) > 2035:
        fail(f"--years {text!r}: years between 2015 and 2035")
    return years


@app.command("simulate")
def simulate_command(
    province: str = typer.Option(..., "--province", help="2025 province code, e.g. 19 (Thái Nguyên)."),
    years: str = typer.Option("2021-2025", "--years", help="2021-2025 or 2024,2025."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the files (default <data dir>/incoming)."),
    scale: float = typer.Option(1.0, "--scale", help="Volume multiplier (1 ≈ the province's real volumes)."),
    seed: int = typer.Option(19, "--seed", help="Random seed: the same seed writes the same records."),
    fmt: str = typer.Option("parquet", "--format", help=f"One of {', '.join(FORMATS)}."),
    source: list[str] = typer.Option([], "--source", help=f"Only these sources ({', '.join(SOURCES)}). Repeatable."),
    data_dir: Path | None = DataDir,
) -> None:
    """Mô phỏng dữ liệu nguồn — write simulated dossiers, documents and staff rosters for a province."""
    chosen = tuple(source) or SOURCES
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown or fmt not in FORMATS or scale <= 0:
        fail(f"--source one of {', '.join(SOURCES)}; --format one of {', '.join(FORMATS)}; --scale above 0")
    target = out or Lake.at(data_dir).root / "incoming"
    try:
        written = simulate(Plan(province, _years(years), seed, scale, chosen, fmt), target)
    except UnitsError as exc:
        fail(str(exc))
    print_table(
        ("source", "năm/year", "bản ghi/records", "file"), [(w.source, w.year, w.records, w.path) for w in written]
    )
    typer.echo(f"Dữ liệu mô phỏng (simulated: true) / simulated records: {sum(w.records for w in written)}")


def _source_of(path: Path, given: str | None) -> str:
    if given:
        return given
    prefix = path.name.split("-", 1)[0].split(".", 1)[0]
    if prefix in catalog().sources:
        return prefix
    fail(f"{path}: cannot tell the source from the file name; add --source ({', '.join(catalog().sources)})")


@app.command("ingest")
def ingest_command(
    files: list[Path] = typer.Argument(..., help="CSV, JSON Lines or Parquet files."),
    source: str | None = typer.Option(None, "--source", help="dossiers, documents or staff (default: file name)."),
    force: bool = typer.Option(False, "--force", help="Check a file again even if it was ingested (adds no copies)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Nạp dữ liệu nguồn — check every record, quarantine the bad ones, append the rest once."""
    lake = _lake(data_dir)
    if source is not None:
        try:
            get_source(source)
        except SourceError as exc:
            fail(str(exc))
    rows, failed = [], 0
    for path in files:
        try:
            report = ingest_file(path, _source_of(path, source), lake=lake, force=force)
        except SourceError as exc:
            fail(str(exc))
        failed += report.status == "failed"
        rows.append(
            (
                path.name,
                report.source,
                report.status,
                report.rows,
                report.added,
                report.duplicates,
                report.quarantined,
                report.ingest_id,
            )
        )
        for reason, count in report.reasons.items():
            typer.echo(f"  {path.name}: {count} × {reason}", err=True)
        for note in report.notes:
            typer.echo(f"  {path.name}: {note}", err=True)
        if report.error:
            typer.echo(f"  {path.name}: nothing ingested: {report.error}", err=True)
    print_table(("file", "source", "status", "rows", "added", "duplicates", "quarantined", "ingest id"), rows)
    typer.echo(f"Báo cáo / reports: {lake.root / 'ingest'}; cách ly / quarantine: `chiso sources quarantine`")
    if failed:
        raise typer.Exit(1)


@app.command("quarantine")
def quarantine_command(
    source: str | None = typer.Option(None, "--source", help="Only this source."),
    ingest_id: str | None = typer.Option(None, "--ingest", help="Only this ingestion (id from `ingest`)."),
    limit: int = typer.Option(20, "--limit", help="Rows to print (0: all)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write every rejected record (CSV, JSON or XLSX)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Hồ sơ bị cách ly — rejected records with the reason."""
    frame = quarantine(lake=Lake.at(data_dir), source=source, ingest_id=ingest_id)
    if out is not None:
        try:
            write_table(out, {"quarantine": frame})
        except TableError as exc:
            fail(str(exc))
    shown = frame if limit == 0 else frame.head(limit)
    print_table(
        ("source", "file", "row", "reason"),
        [(r.source, Path(str(r.file)).name, r.row, r.reason) for r in shown.itertuples()],
    )
    typer.echo(f"{len(frame)} bản ghi bị cách ly / records in quarantine")


@app.command("measure")
def measure_command(
    measures: str = typer.Option("commune-2025", "--measures", "-m", help="Measure set: shipped code or YAML file."),
    period: list[str] = typer.Option(["year"], "--period", help="month, quarter or year. Repeatable."),
    era: str = typer.Option(
        "2025", "--era", help="2025: values on 2025 units for every period; recorded: as recorded."
    ),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark."),
    province: str | None = typer.Option(
        None, "--province", help="Only units of this 2025 province (and its predecessors)."
    ),
    since: str | None = typer.Option(None, "--from", help="Only records from this date (YYYY-MM-DD), e.g. 2025-07-01."),
    until: str | None = typer.Option(None, "--until", help="Only records before this date (YYYY-MM-DD)."),
    changed_since: str | None = typer.Option(
        None,
        "--changed-since",
        help="Only the periods that files ingested since this date or local time can change (after a sync).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Records as they were: latest, a date or a local time (default: the end of each period).",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Long values: CSV, JSON, XLSX or Parquet."),
    store: str | None = typer.Option(
        None, "--store", metavar="USER", help="Record the values (source measured) as this user (role system)."
    ),
    lineage: tuple[str, str, str] | None = typer.Option(
        None, "--lineage", metavar="UNIT VARIABLE PERIOD", help="Show where one value comes from."
    ),
    unit_era: str | None = typer.Option(None, "--unit-era", help="With --lineage and --era recorded: 2024 or 2025."),
    spark_master: str | None = typer.Option(
        None, "--spark-master", envvar="CHISO_SPARK_MASTER", help="e.g. spark://host:7077."
    ),
    spark_conf: list[str] = typer.Option([], "--spark-conf", help="KEY=VALUE Spark setting. Repeatable."),
    data_dir: Path | None = DataDir,
) -> None:
    """Tính chỉ số từ dữ liệu nguồn — compute measured values (source = measured) with lineage."""
    lake = _lake(data_dir)
    if era not in ("2025", "recorded"):
        fail(f"--era {era!r}: use 2025 or recorded")
    mode = None if era == "recorded" else era
    try:
        grains = [Grain(p) for p in period]
    except ValueError:
        fail(f"--period: use month, quarter or year, not {period}")
    conf = {}
    for item in spark_conf:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--spark-conf {item!r}: write KEY=VALUE")
        conf[key] = value
    try:
        definitions = load_measures(measures)
        if changed_since is not None and (since or until or lineage):
            fail("--changed-since sets the windows itself: leave out --from, --until and --lineage")
        if lineage and all(lineage):
            unit, variable, label = lineage
            found = explain(
                lake=lake,
                measures=definitions,
                unit=unit,
                variable=variable,
                period=label,
                era=mode,
                unit_era=unit_era,
                since=since,
                until=until,
                as_of=as_of,
            )
            typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
            return
        options: dict[str, Any] = dict(era=mode, engine=engine, province=province, spark_master=spark_master,
                                       spark_conf=conf, as_of=as_of)  # fmt: skip
        if changed_since is not None:  # each grain over the periods the files ingested since then touched
            window, changed = measure_changed(
                lake=lake, measures=definitions, grains=grains, after=parse_moment(changed_since), **options
            )
            typer.echo(window.summary(changed_since, grains), err=window.changed)  # stdout: the only answer
            if changed is None:
                return
            result = changed
        else:
            result = measure(lake=lake, measures=definitions, grains=grains, since=since, until=until, **options)
    except (SourceError, EngineError, UnitsError) as exc:
        fail(str(exc))
    for note in result.notes:
        typer.echo(f"Lưu ý / Note: {note}", err=True)
    if len(result.underived):
        typer.echo(
            f"Lưu ý / Note: {len(result.underived)} unit-periods not derived on 2025 units "
            f"({', '.join(sorted(set(result.underived['unit'])))}): {result.underived['reason'].iloc[0]}",
            err=True,
        )
    if out is not None:
        measured.write(result, definitions, out)
    if store:
        measured.store(result, store)
    measured.summary(result, definitions, out)


@app.command("rank766")
def rank766_command(
    province: str = typer.Option(..., "--province", help="The 2025 province: itself, its departments and communes."),
    period: list[str] = typer.Option(["month", "year"], "--period", help="month, quarter or year. Repeatable."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark."),
    since: str | None = typer.Option(None, "--from", help="Only records from this date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Only records before this date (YYYY-MM-DD)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="One row per unit and period: CSV, JSON, XLSX, Parquet."),
    store: str | None = typer.Option(
        None, "--store", metavar="USER", help="Store the results (and emit the IOC event) as this actor (system)."
    ),
    as_user: str | None = typer.Option(
        None,
        "--as",
        metavar="USER",
        help="Read the declared components (`chiso sources declare766`) from the database as this user "
        "(--store reads them as its actor).",
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Chỉ số 766 từ dữ liệu nguồn — the Decision 766 index, ranked within each kind of unit."""
    from chiso.service766.compute import compute

    lake = _lake(data_dir)
    try:
        grains = [Grain(p) for p in period]
    except ValueError:
        fail(f"--period: use month, quarter or year, not {period}")
    declared = _declared_766(store or as_user, province, [g.value for g in grains], since, until)
    try:
        index = compute(
            lake=lake, province=province, grains=grains, engine=engine, since=since, until=until, declared=declared
        )
    except (SourceError, EngineError, UnitsError) as exc:
        fail(str(exc))
    rows = index.rows
    if out is not None:
        groups = ("transparency", "progress", "online", "digitisation", "satisfaction")
        flat = rows.drop(columns=["points", "inputs"]).assign(**{g: [p.get(g) for p in rows["points"]] for g in groups})
        try:
            write_table(out, {"service-766": flat}, {"framework": "service-766", **index.lineage})
        except (TableError, OSError) as exc:
            fail(str(exc))
    if store:
        from chiso.cli.session import work
        from chiso.service766 import rescore

        with work(store) as w:  # declarations committed since they were read count too
            rescore.store(session=w.session, index=index, province=province, actor=w.actor)
    counts = rows.groupby(["kind", "grain"]).size().reset_index(name="n")
    print_table(("kind", "grain", "unit-periods"), list(counts.itertuples(index=False, name=None)))
    where = f" → {out}" if out else ""
    stored = " (stored)" if store else ""
    typer.echo(f"{len(rows)} kết quả chỉ số 766 / Decision 766 results{stored}{where}")


def _declared_766(
    user: str | None, province: str, grains: list[str], since: str | None, until: str | None
) -> pd.DataFrame | None:
    """The stored declarations the computation reads, or None (said on stderr) without a user to read them."""
    if user is None:
        typer.echo(
            "Lưu ý: không đọc số liệu tự khai (thêm --as USER); các thành phần tự khai không có điểm / "
            "Note: declared components not read (give --as USER): they earn no points",
            err=True,
        )
        return None
    from chiso.cli.session import work
    from chiso.service766 import declarations

    with work(user) as w:
        found = declarations.frame(
            session=w.session, province=province, actor=w.actor, grains=grains, since=since, until=until
        )
    typer.echo(f"Số liệu tự khai / declared figures: {len(found)} ({found['unit'].nunique()} đơn vị / units)")
    return found


@app.command("declare766")
def declare766_command(
    file: Path = typer.Argument(..., help="XLSX or CSV: Mã đơn vị, Kỳ, Chỉ tiêu, Giá trị (Thành phần, Ghi chú)."),
    as_user: str = typer.Option(..., "--as", envvar="CHISO_AS", help="Người thực hiện — the user acting."),
) -> None:
    """Tự khai thành phần chỉ số 766 — declare the Decision 766 components Chiso cannot measure."""
    from chiso.cli.session import work
    from chiso.service766 import imports

    with work(as_user) as w:  # a refused file (every bad row listed) writes nothing, exit code 2
        done = imports.import_file(session=w.session, path=file, actor=w.actor)
    print_table(
        ("đơn vị / unit", "kỳ / period", "chỉ tiêu / variable", "giá trị / value", "phiên bản / version"),
        [(r.unit_code, r.period, r.variable, f"{r.value:g}", r.version) for r in done.written],
    )
    typer.echo(
        f"{len(done.written)} số liệu tự khai đã ghi, {done.unchanged} không đổi / "
        f"{len(done.written)} declared figures recorded, {done.unchanged} unchanged"
    )
    again = done.rescored
    if again.periods:  # applied at once: the stored results of those periods were scored again
        typer.echo(
            f"Đã tính lại điểm kỳ {', '.join(again.periods)}: {again.changed} kết quả thay đổi / "
            f"re-scored {', '.join(again.periods)}: {again.changed} stored results changed"
        )
    if again.unscored:
        places = ", ".join(f"{unit} {period}" for unit, period in again.unscored[:6])
        more = f" (+{len(again.unscored) - 6})" if len(again.unscored) > 6 else ""
        typer.echo(
            f"Chưa có kết quả chỉ số 766 của {places}{more}: số liệu được tính khi tính chỉ số "
            "(chiso sources rank766 --province … --store USER) / no stored result there yet: the figures count "
            "when the index is computed"
        )


@app.command("template766")
def template766_command(
    period: list[str] = typer.Option(..., "--period", help="A month (2025-09) or a year (2025). Repeatable."),
    out: Path = typer.Option(..., "--out", "-o", help="The XLSX file to write."),
    as_user: str = typer.Option(..., "--as", envvar="CHISO_AS", help="Người thực hiện — the user acting."),
    province: str | None = typer.Option(None, "--province", help="Every unit of the province the index ranks."),
    unit: str | None = typer.Option(None, "--unit", help="One unit (2025 code: 19, 19-SKHCN, 01840) instead."),
) -> None:
    """Mẫu Excel tự khai chỉ số 766 — the XLSX template for `declare766`, current figures filled in."""
    from chiso.cli.session import work
    from chiso.service766 import template
    from chiso.units.ref import UnitRef

    if (province is None) == (unit is None):
        fail("give --province P (every unit of the province) or --unit CODE (one unit)")
    with work(as_user) as w:
        try:
            rows = template.write(
                session=w.session,
                periods=period,
                actor=w.actor,
                out=out,
                province=province,
                unit=UnitRef("2025", unit) if unit else None,
            )
        except OSError as exc:
            fail(f"{out}: {exc}")
    typer.echo(
        f"{rows} dòng để điền → {out} / {rows} rows to fill; "
        f"nhập lại / import it: chiso sources declare766 {out} --as {as_user}"
    )


@app.command("schema")
def schema_command(name: str | None = typer.Argument(None, help="dossiers, documents or staff.")) -> None:
    """Lược đồ dữ liệu nguồn — the fields of each source record."""
    try:
        chosen = [get_source(name)] if name else list(catalog().sources.values())
    except SourceError as exc:
        fail(str(exc))
    for source in chosen:
        typer.echo(f"\n{source.name} — {source.name_en} (schema v{catalog().version}; {source.system})")
        print_table(
            ("field", "type", "required", "values", "description"),
            [
                (f.name, f.type.value, "yes" if f.required else "", ", ".join(f.values), f.description)
                for f in source.fields
            ],
        )
        for rule in source.rules:
            typer.echo(f"  rule: {rule.reason}")


def _echo_sync(report: SyncReport, *, hint: bool = True) -> None:
    print_table(
        ("sync", "status", "pages", "records", "added", "updated", "duplicates", "quarantined", "retries"),
        [
            (
                report.name,
                report.status,
                report.pages,
                report.records,
                report.added,
                report.updated,
                report.duplicates,
                report.quarantined,
                report.retries,
            )
        ],
    )
    for error in report.errors:
        typer.echo(f"  {error}", err=True)
    if report.error:
        typer.echo(f"  {report.error}", err=True)
    if hint and report.added and report.started_at:  # what changed is measured again from this moment on
        typer.echo(f"Tính lại / measure again: chiso sources measure … --changed-since {report.started_at}")


@app.command("sync")
def sync_command(
    mapping: Path | None = typer.Argument(None, help="Mapping file (YAML, schema chiso.sync/1) of a JSON API."),
    folder: Path | None = typer.Option(None, "--folder", help="Ingest the new files of this folder instead."),
    source: str | None = typer.Option(None, "--source", help="With --folder: the source (default: file name)."),
    every: str | None = typer.Option(None, "--every", help="Run in a loop: 24h, 30m, 1d … (stops on SIGTERM)."),
    at: str | None = typer.Option(None, "--at", help="With --every: first run at this local time, e.g. 02:00."),
    measure_sets: list[str] = typer.Option(
        [],
        "--measure",
        "-m",
        help="After a sync that added records: measure what it changed with this set. Repeatable.",
    ),
    period: list[str] = typer.Option(["month", "year"], "--period", help="With --measure: month, quarter or year."),
    store: str | None = typer.Option(
        None, "--store", metavar="USER", help="With --measure: record the values as this user (role system)."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Đồng bộ dữ liệu nguồn — pull changed records from a system's API (or a folder) into the lake."""
    if (mapping is None) == (folder is None):
        fail("Cần một tệp ánh xạ hoặc --folder — give a mapping file or --folder, not both")
    if bool(measure_sets) != bool(store):
        fail("--measure and --store go together: the values measured after a sync are stored as that user")
    lake = _lake(data_dir)
    stop = threading.Event()
    if at and not every:
        fail("--at goes with --every")
    try:
        plan = load_mapping(mapping) if mapping is not None else None
        schedule = (parse_every(every), parse_at(at) if at else None) if every else None
        sets = [load_measures(code) for code in measure_sets]  # SyncError is a SourceError
        grains = [Grain(p) for p in period]
    except SourceError as exc:
        fail(str(exc))
    except ValueError:
        fail(f"--period: use month, quarter or year, not {' '.join(period)}")

    def once() -> tuple[SyncReport, bool]:
        report = sync(lake=lake, mapping=plan, stop=stop) if plan is not None else None
        if report is None:
            assert folder is not None
            report = sync_folder(lake=lake, folder=folder, source=source)
        _echo_sync(report, hint=not sets)
        if sets and report.added and store:  # what it changed, measured again and stored
            return report, measured.after_sync(lake, report.started_at, sets, grains, store)
        return report, True

    try:
        if schedule is None:
            report, measured_ok = once()
            typer.echo(f"Báo cáo / report: {lake.root / 'sync' / report.name / 'reports'}")
            if report.status == "failed" or not measured_ok:
                raise typer.Exit(1)
            return

        def stopping(signum: int, frame: FrameType | None) -> None:
            stop.set()  # the page under way is finished and committed, then the loop ends

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
        run_every(once, every=schedule[0], at=schedule[1], clock=lake.clock, stop=stop)
        typer.echo("Đã dừng / stopped")
    except SyncError as exc:
        fail(str(exc))


STATE_LABELS = {"overdue": "quá hạn", "due_today": "đến hạn hôm nay", "due_soon": "sắp đến hạn", "later": "còn hạn"}


@app.command("due")
def due_command(
    within: int = typer.Option(3, "--within", min=0, help="Working days ahead that count as due soon."),
    unit: str | None = typer.Option(None, "--unit", help="Only this receiving unit (official code)."),
    at: str | None = typer.Option(None, "--at", help="As of this local date-time (default: now)."),
    limit: int = typer.Option(20, "--limit", help="Dossiers to print (0: all)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write every open dossier (CSV, JSON or XLSX)."),
    as_user: str = typer.Option(..., "--as", envvar="CHISO_AS", help="Người thực hiện — the user acting."),
    data_dir: Path | None = DataDir,
) -> None:
    """Cảnh báo sớm — open dossiers near or past their deadline, in working days, per unit."""
    from chiso.cli.session import work
    from chiso.sources.warning import calendar_of, for_actor, local, parse_moment

    with work(as_user) as w:
        try:
            moment = parse_moment(at) if at else local(w.clock.now())
            found = for_actor(
                w.actor,
                _lake(data_dir),
                at=moment,
                within=within,
                calendar=calendar_of(w.settings.holidays_file),
                unit=unit,
            )
        except SourceError as exc:
            fail(str(exc))
    if out is not None:
        try:
            write_table(out, {"dossiers": found.dossiers, "units": found.by_unit})
        except TableError as exc:
            fail(str(exc))
    names = {key: f"{name} ({key[1]})" for key, name in found.unit_names().items()}
    print_table(
        ("đơn vị / unit", "quá hạn", "đến hạn hôm nay", f"trong {within} ngày", "đang mở / open"),
        [(names[(u.unit_era, u.receiving_unit)], u.overdue, u.due_today, u.due_soon, u.open) for u in found.units()],
    )  # fmt: skip
    shown = found.rows(limit=None if limit == 0 else limit)
    if shown:
        print_table(
            ("hồ sơ / dossier", "thủ tục", "đơn vị", "hạn / due", "ngày làm việc còn lại", "trạng thái"),
            [(r.id, r.procedure_code, names[(r.unit_era, r.receiving_unit)], f"{r.due_at:%d/%m/%Y %H:%M}",
              r.working_days_left, STATE_LABELS[r.state]) for r in shown],
        )  # fmt: skip
    typer.echo(
        f"{len(found.attention)} hồ sơ cần xử lý ngay (quá hạn, đến hạn hôm nay hoặc trong {within} ngày làm việc) "
        f"/ dossiers needing action, as of {moment:%d/%m/%Y %H:%M}"
    )
