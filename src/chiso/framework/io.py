"""YAML ⇄ Framework, the shipped frameworks, and the JSON Schema for editors."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chiso.framework.spec import SCHEMA_ID, SCHEMA_VERSION, Framework
from chiso.framework.validate import FrameworkError, Problem, check, node_path, variable_path
from chiso.yamlio import safe_yaml

SHIPPED_PACKAGE = "chiso.framework.data"
MAX_DEPTH = 100  # nesting of a framework document; the deepest real one (a tiers rule's level) is 6


class FrameworkUnreadable(FrameworkError):
    """A file that is not YAML text Chiso can read safely (not UTF-8, binary, a Python tag, nested too
    deep): the file is refused, not its framework judged, so the CLI exits 2 rather than 1."""

    def __init__(self, source: str, where: str, vi: str, en: str) -> None:
        self.problems = [Problem(where, f"{vi} / {en}")]
        self.source = source
        at = f" ({where})" if where else ""
        ValueError.__init__(self, f"{source}{at}: {vi} / {en}")


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML composes nested collections recursively: a `[[[[…` 10,000 deep hits Python's recursion
    limit (a RecursionError, no line to show); this loader stops at MAX_DEPTH with a YAML error instead."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


def shipped_codes() -> list[str]:
    """Codes of the frameworks shipped with Chiso (file names in `framework/data/`)."""
    folder = resources.files(SHIPPED_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_shipped(code: str) -> Framework:
    """A shipped framework by its code only: never a file (what the web may name)."""
    if code not in shipped_codes():
        known = ", ".join(shipped_codes())
        raise FrameworkError([Problem("", f"no shipped framework {code[:80]!r}; shipped: {known}")])
    text = (resources.files(SHIPPED_PACKAGE) / f"{code}.yaml").read_text(encoding="utf-8")
    return parse_framework(safe_yaml(text), f"{code} (shipped)")


def load_framework(source: str | Path) -> Framework:
    """A validated framework from a shipped code (`dti-province-2022`) or a YAML file path.

    Raises FrameworkError listing every problem, each with the file and node path.
    """
    if isinstance(source, str) and source in shipped_codes():
        return load_shipped(source)
    text, origin = _read(source)
    try:
        document = yaml.load(text, Loader=_DepthLimitedLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        refused = _unreadable(exc, origin, where)
        if refused:
            raise refused from None
        raise FrameworkError([Problem(where, f"not valid YAML: {exc}")], origin) from exc
    return parse_framework(document, origin)


def _unreadable(exc: yaml.YAMLError, origin: str, where: str) -> FrameworkUnreadable | None:
    """The YAML errors that mean the file is not a framework's YAML at all, rather than a slip in one."""
    problem = str(getattr(exc, "problem", "") or "")
    if isinstance(exc, yaml.reader.ReaderError):
        where = f"byte {exc.position + 1}"
        return FrameworkUnreadable(
            origin,
            where,
            "tệp nhị phân, không phải văn bản YAML; hãy chọn đúng tệp .yaml",
            f"a binary file, not YAML text ({exc.reason}); choose the framework's .yaml file",
        )
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.rsplit(" ", 1)[-1]
        return FrameworkUnreadable(
            origin,
            where,
            f"thẻ YAML không được phép ({tag}); chỉ dùng dữ liệu thuần: bảng, danh sách, chữ, số",
            f"YAML tag not allowed ({tag}); use plain data: mappings, lists, text, numbers",
        )
    if problem.startswith("nested deeper than"):
        return FrameworkUnreadable(
            origin,
            where,
            f"lồng sâu hơn {MAX_DEPTH} cấp, không phải một bộ chỉ số; hãy kiểm tra dấu ngoặc",
            f"{problem}, not a framework; check the brackets",
        )
    return None


def parse_framework(document: Any, origin: str = "") -> Framework:
    if not isinstance(document, dict):
        raise FrameworkError([Problem("", "the document must be a mapping with `schema`, `code`, `nodes` …")], origin)
    header = _check_header(document)
    if header:
        raise FrameworkError(header, origin)
    try:
        framework = Framework.model_validate(document)
    except ValidationError as exc:
        raise FrameworkError(_pydantic_problems(exc, document), origin) from exc
    problems = check(framework)
    if problems:
        raise FrameworkError(problems, origin)
    return framework


def dump_framework(framework: Framework) -> str:
    """YAML text that `load_framework` reads back to an equal framework."""
    data = framework.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"schema": SCHEMA_ID, "version": SCHEMA_VERSION, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def json_schema() -> str:
    schema = Framework.model_json_schema(by_alias=True)
    schema["$id"] = f"https://chiso.vn/schema/{SCHEMA_ID}/{SCHEMA_VERSION}.json"
    schema["title"] = "Chiso indicator framework"
    return json.dumps(schema, ensure_ascii=False, indent=2)


def _read(source: str | Path) -> tuple[str, str]:
    path = Path(source)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.exists():
            raise FrameworkError([Problem("", "file not found")], str(path))
        try:
            return path.read_bytes().decode("utf-8-sig"), str(path)
        except UnicodeDecodeError as exc:
            raise FrameworkUnreadable(
                str(path),
                f"byte {exc.start + 1}",
                "không phải văn bản UTF-8; hãy lưu lại tệp dạng UTF-8",
                "not UTF-8 text; save the file as UTF-8",
            ) from None
    code = str(source)
    resource = resources.files(SHIPPED_PACKAGE) / f"{code}.yaml"
    if not resource.is_file():
        known = ", ".join(shipped_codes())
        raise FrameworkError([Problem("", f"no shipped framework {code!r}; shipped: {known}, or give a .yaml path")])
    return resource.read_text(encoding="utf-8"), f"{code} (shipped)"


def _check_header(document: dict[str, Any]) -> list[Problem]:
    schema, version = document.get("schema"), document.get("version")
    problems = []
    if schema != SCHEMA_ID:
        problems.append(Problem("schema", f"must be {SCHEMA_ID!r} (got {schema!r})"))
    if version != SCHEMA_VERSION:
        problems.append(Problem("version", f"this Chiso reads version {SCHEMA_VERSION} (got {version!r})"))
    return problems


# The lists whose items are named in a problem's path, and the key that names them.
NAMED_LISTS = {"nodes": ("code", node_path), "variables": ("name", variable_path)}


def _pydantic_problems(exc: ValidationError, document: dict[str, Any]) -> list[Problem]:
    problems = []
    for error in exc.errors():
        parts: list[str] = []
        loc = list(error["loc"])
        if len(loc) >= 2 and loc[0] in NAMED_LISTS and isinstance(loc[1], int):
            key, path_of = NAMED_LISTS[str(loc[0])]
            raw_items = document.get(str(loc[0]))
            index = loc[1]
            raw = raw_items[index] if isinstance(raw_items, list) and index < len(raw_items) else {}
            name = raw.get(key, "?") if isinstance(raw, dict) else "?"
            parts.append(path_of(index, str(name)))
            loc = loc[2:]
            if loc and loc[0] in {"indicator", "aggregate", "view"}:
                loc = loc[1:]  # the discriminator tag pydantic inserts
        rest = _dotted(loc)
        path = " → ".join(p for p in [*parts, rest] if p)
        problems.append(Problem(path, _message(error)))
    return problems


def _dotted(loc: list[Any]) -> str:
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        elif item in {
            "ratio",
            "tiers",
            "thresholds",
            "boolean",
            "points",
            "assessed",
            "goalposts",
            "minmax",
            "zscore",
            "rank",
            "percentile",
            "distance_to_target",
        } and out.endswith(("scoring", "normalise")):
            continue  # discriminator tag of the scoring rule
        else:
            out += ("." if out else "") + str(item)
    return out


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against `chiso framework schema`)"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"unknown kind {error.get('input')!r}: {error['msg'].split(':', 1)[-1].strip()}"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
