"""`chiso framework list | show | validate | schema`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from chiso.cli.output import EXIT_INPUT, fail, print_table
from chiso.framework import (
    Framework,
    FrameworkError,
    FrameworkUnreadable,
    Indicator,
    dump_framework,
    json_schema,
    load_framework,
    shipped_codes,
)
from chiso.framework.describe import display_code, label_of, number, rule_in_words, unit_of

app = typer.Typer(help="Bộ chỉ số — indicator frameworks.", no_args_is_help=True)


def _load(source: str) -> Framework:
    try:
        return load_framework(source)
    except FrameworkError as exc:
        fail(str(exc))


@app.command("list")
def list_frameworks() -> None:
    """Các bộ chỉ số có sẵn — the shipped frameworks."""
    rows = []
    for code in shipped_codes():
        fw = _load(code)
        rows.append((fw.code, fw.edition, len(fw.indicators), len(fw.aggregates), fw.name))
    print_table(("code", "edition", "indicators", "aggregates", "name"), rows)


@app.command("show")
def show(
    source: str = typer.Argument(..., help="Shipped code (see `chiso framework list`) or a YAML file."),
    fmt: str = typer.Option("tree", "--format", help="tree | yaml | json"),
) -> None:
    """Cây chỉ số với trọng số, điểm và quy tắc — the tree with weights, points and rules."""
    fw = _load(source)
    if fmt == "yaml":
        typer.echo(dump_framework(fw), nl=False)
        return
    if fmt == "json":
        typer.echo(json.dumps(fw.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
        return
    if fmt != "tree":
        fail(f"unknown format {fmt!r}; use tree, yaml or json")
    typer.echo(f"{fw.name} ({fw.code}, {fw.edition})")
    if fw.name_en:
        typer.echo(fw.name_en)
    if fw.provenance.decision:
        typer.echo(f"Căn cứ / Source: {fw.provenance.decision}")
    typer.echo("")
    _print_tree(fw, fw.index, "", 1.0, set())
    views = [n for n in fw.aggregates if n.kind == "view"]
    for view in views:
        typer.echo("")
        typer.echo("Góc nhìn / View:")
        _print_tree(fw, view.code, "", 1.0, set())


def _print_tree(
    fw: Framework, code: str, indent: str, weight: float | None, seen: set[str], provisional: bool = False
) -> None:
    node = fw.node(code)
    points = f" · {number(node.max_points)} điểm" if node.max_points is not None else ""
    share = f" · trọng số {number(weight)}" if weight is not None and weight != 1 else ""
    if provisional:
        share += " (tạm thời / provisional)"
    file_code = f"  [{node.code}]" if node.number else ""  # the number leads; files use the code
    typer.echo(f"{indent}{display_code(node)}  {node.name}{points}{share}{file_code}")
    detail = indent + "    "
    if isinstance(node, Indicator):
        vi, en = rule_in_words(node, fw.pipeline.normalise, framework=fw)
        typer.echo(f"{detail}Cách tính: {vi}  ({en})")
        typer.echo(f"{detail}Số liệu / Inputs:")
        for var in node.variables:
            typer.echo(f"{detail}  {_variable_line(fw, var)}")
        if node.evidence:
            typer.echo(f"{detail}Minh chứng: {node.evidence}")
        return
    if node.given_only:
        typer.echo(f"{detail}(giá trị công bố, không tính từ chỉ số thành phần / published value)")
    for child in node.children:
        _print_tree(fw, child.code, indent + "  ", child.weight, seen, child.provisional)


def _variable_line(fw: Framework, var: str) -> str:
    label, unit = label_of(fw, var, "vi"), unit_of(fw, var)
    if label == var:
        return var
    return f"{label} ({unit}) — {var}" if unit else f"{label} — {var}"


@app.command("validate")
def validate(files: list[Path] = typer.Argument(..., help="Framework YAML files.")) -> None:
    """Kiểm tra tệp bộ chỉ số — check framework files; exit 1 if any has problems, 2 if one cannot be read."""
    failed = unreadable = 0
    for path in files:
        try:
            fw = load_framework(path)
        except FrameworkUnreadable as exc:
            unreadable += 1
            typer.echo(f"Lỗi / Error: {exc}", err=True)
            continue
        except FrameworkError as exc:
            failed += 1
            typer.echo(str(exc), err=True)
            continue
        typer.echo(f"{path}: OK — {fw.code}, {len(fw.indicators)} indicators, {len(fw.aggregates)} aggregates")
    if unreadable:
        raise typer.Exit(EXIT_INPUT)
    if failed:
        raise typer.Exit(1)


@app.command("schema")
def schema(out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout.")) -> None:
    """JSON Schema của tệp bộ chỉ số, cho trình soạn thảo — the JSON Schema for editors."""
    text = json_schema()
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")
