"""Reading posted forms: numbers in Vietnamese or English notation, dates, uploaded files."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData, UploadFile

from chiso import numbers
from chiso.collection.evidence import EvidenceRefused
from chiso.errors import MESSAGES, ChisoError
from chiso.web.i18n import N_

F = TypeVar("F", bound="Form")


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def number(form: FormData, name: str) -> float | None:
    """A number typed in either notation (chiso.numbers); empty is None; one that reads two ways is refused."""
    try:
        return numbers.parse(str(form.get(name) or ""))
    except numbers.NumberRefused as exc:
        raise FieldError(name, str(exc)) from None


def date(form: FormData, name: str) -> dt.date | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise FieldError(name, "ngày không hợp lệ (dd/mm/yyyy) / invalid date")


async def saved_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    """Write an upload under its own (sanitised) name in `folder`, refusing it past `max_bytes`."""
    name = Path(upload.filename or "tep").name
    name = re.sub(r"[^\w.\-]+", "_", name)[-120:] or "tep"
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise EvidenceRefused(f"{name}: tệp quá lớn / file too large (over {max_bytes:,} bytes)")
    target = folder / name
    target.write_bytes(data)
    return target


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="chiso-upload-")


# --- posted forms as pydantic models ---------------------------------------------------------------
# A page declares the fields it reads as a `Form`; `parse` reads them all at once and refuses the form
# with every problem, each next to its field, in the reader's language (FormInvalid, a ChisoError).

# pydantic's error types → what to tell an official (msgids of the catalogue; `%(name)s` from the
# error's context).
PROBLEMS = {
    "missing": N_("Cần nhập."),
    "string_too_short": N_("Cần ít nhất %(min_length)s ký tự."),
    "string_too_long": N_("Tối đa %(max_length)s ký tự."),
    "string_pattern_mismatch": N_("Chỉ dùng chữ không dấu, chữ số và các dấu . _ @ -"),
    "int_parsing": N_("Cần một số nguyên."),
    "int_type": N_("Cần một số nguyên."),
    "int_from_float": N_("Cần một số nguyên."),
    "greater_than_equal": N_("Tối thiểu là %(ge)s."),
    "less_than_equal": N_("Tối đa là %(le)s."),
    "literal_error": N_("Giá trị không có trong danh sách."),
    "too_short": N_("Chọn ít nhất %(min_length)s mục."),
    "chiso_date": N_("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2025."),
}
OTHER_PROBLEM = N_("Giá trị không hợp lệ.")


class FormInvalid(ChisoError):
    """A posted form with wrong fields: every (field, problem), rendered in the reader's language."""

    kind = "validation"

    def __init__(self, problems: list[tuple[str, str, dict[str, object]]], labels: dict[str, str]) -> None:
        self.problems, self.labels = problems, labels
        super().__init__(field=problems[0][0] if problems else None)

    @classmethod
    def at(cls, field: str, exc: ChisoError) -> FormInvalid:
        """A service's refusal shown next to the form field it concerns (translated when coded)."""
        if exc.coded:
            return cls([(field, MESSAGES[exc.code], dict(exc.shown_params()))], {})
        return cls([(field, exc.message(), {})], {})

    def by_field(self, gettext: Callable[[str], str] = str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, template, context in self.problems:
            found.setdefault(name, []).append(gettext(template) % context if context else gettext(template))
        return found

    def message(self, gettext: Callable[[str], str] = str, lang: str = "vi") -> str:
        return "; ".join(
            f"{gettext(self.labels.get(name, name))}: {' '.join(texts)}"
            for name, texts in self.by_field(gettext).items()
        )


class Form(BaseModel):
    """Base of the page forms: text stripped, unknown fields (the CSRF token, buttons) ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


def parse(model: type[F], form: FormData) -> F:
    """The form as `model`, or FormInvalid listing every wrong field."""
    data: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if _is_list(info.annotation):
            data[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif name in form and isinstance(form[name], str):
            data[name] = form[name]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, model) from None


def invalid(exc: ValidationError, model: type[BaseModel], rename: dict[str, str] | None = None) -> FormInvalid:
    """A pydantic refusal (of a form, or of a service's input built from it) as FormInvalid; `rename`
    puts a problem of the input's field next to the form field it came from."""
    labels = {n: i.title or n for n, i in model.model_fields.items()}
    problems: list[tuple[str, str, dict[str, object]]] = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        name = (rename or {}).get(name, name)
        if error["type"] == "chiso_number":  # chiso.numbers says what is wrong, in both languages
            problems.append((name, error["msg"], {}))
            continue
        template = PROBLEMS.get(error["type"], OTHER_PROBLEM)
        context: dict[str, object] = {
            k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, int | float | str)
        }
        problems.append((name, template, context))
    return FormInvalid(problems, labels)


def _is_list(annotation: object) -> bool:
    return getattr(annotation, "__origin__", None) in (list, tuple, frozenset, set)


def _date(value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        return None if value == "" else value
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise PydanticCustomError("chiso_date", "invalid date")


FormDate = Annotated[dt.date | None, BeforeValidator(_date)]


def _blank_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_blank_none)


def _number(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return numbers.parse(value)
    except numbers.NumberRefused as exc:
        raise PydanticCustomError("chiso_number", str(exc).replace("{", "(").replace("}", ")")) from None


FormNumber = Annotated[float | None, BeforeValidator(_number)]  # either notation (chiso.numbers)
