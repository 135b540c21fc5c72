"""Numbers as people write them: the one place that shows and reads them, in Vietnamese or English.

Vietnamese writes 1.234.567,5 (the dot groups thousands, the comma marks decimals); English and
machines write 1,234,567.5 or 1234567.5. Most texts read the same in both notations, or in only
one; a few — `1.234`, `1,234` — read as two different numbers. Those are refused with both readings
rather than guessed: a population of 42.127 is 42127 to a Vietnamese reader and 42.127 to a
spreadsheet. The caller may settle the question for a whole file (`notation`), never per guess.

`field(value)` is what a form shows in its input; it never groups digits and never has the shape of
an ambiguous text, so `parse(field(v)) == v` for every finite float (tests/reliability/test_numbers.py).
The separators come from Babel's locale data, like the rest of the web's formats.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final, Literal

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol, parse_decimal

from chiso.errors import ChisoError

Notation = Literal["vi", "en"]
NOTATIONS: Final[tuple[Notation, ...]] = ("vi", "en")
NAMES: Final[dict[Notation, str]] = {"vi": "kiểu Việt Nam (1.234,5)", "en": "kiểu quốc tế (1,234.5)"}
NAMES_EN: Final[dict[Notation, str]] = {"vi": "Vietnamese notation (1.234,5)", "en": "English notation (1,234.5)"}
_SPACES = re.compile(r"\s+")  # ordinary, no-break and narrow no-break spaces group digits in both notations
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # a typographic minus or dash pasted from a document


class NumberRefused(ChisoError):
    """A text that is not a number, or that reads as two different numbers."""

    def __init__(self, text: str, message: str) -> None:
        self.text = text
        super().__init__(message)


class AmbiguousNumber(NumberRefused):
    """`1.234`: 1234 in Vietnamese notation, 1.234 in English; says both readings and how to write each."""

    def __init__(self, text: str, readings: dict[Notation, Decimal]) -> None:
        self.readings = readings
        mark = "." if "." in text else ","
        whole, decimal = readings["vi"], readings["en"]
        if mark == ",":
            whole, decimal = decimal, whole
        vi, en = ("dấu chấm phân nhóm", "dấu chấm thập phân"), ("the dot groups thousands", "decimal point")
        if mark == ",":
            vi, en = ("dấu phẩy thập phân", "dấu phẩy phân nhóm"), ("decimal comma", "the comma groups thousands")
        first, second = readings["vi"], readings["en"]  # the Vietnamese reading first
        super().__init__(
            text,
            f"«{text}» đọc được hai cách: {_plain(first, 'vi')} ({vi[0]}) hoặc {_plain(second, 'vi')} ({vi[1]})"
            f" — viết {field(float(whole))} nếu là số nguyên, {field(float(decimal))} nếu là số thập phân"
            f" / «{text}» reads two ways: {_plain(first, 'en')} ({en[0]}) or {_plain(second, 'en')} ({en[1]})"
            f" — write {field(float(whole), lang='en')} for the whole number,"
            f" {field(float(decimal), lang='en')} for the decimal",
        )


def readings(text: str) -> dict[Notation, Decimal]:
    """What `text` means in each notation that can read it: none (not a number), one, or two."""
    body = _SPACES.sub(" ", text.strip().translate(_MINUS))
    found: dict[Notation, Decimal] = {}
    for notation in NOTATIONS:
        candidate = body.replace(" ", get_group_symbol(notation))
        try:
            value = parse_decimal(candidate, locale=notation, strict=True)
        except NumberFormatError:
            continue
        if value.is_finite() and math.isfinite(float(value)):
            found[notation] = value
    return found


def notation_of(text: str) -> Notation | None:
    """The notation a text shows by itself (`0,5` → vi, `1,234.5` → en); None when it reads both ways alike."""
    found = readings(text)
    return next(iter(found)) if len(found) == 1 else None


def parse(text: str, *, notation: Notation | None = None) -> float | None:
    """The number in `text`, written in either notation; empty → None.

    Refused (NumberRefused) when it is not a finite number, and (AmbiguousNumber) when it reads as
    two numbers and `notation` does not say which convention the text was written in.
    """
    if not text.strip():
        return None
    found = readings(text)
    distinct = set(found.values())
    if len(distinct) == 1:
        return float(distinct.pop())
    if not found:
        raise NumberRefused(text, f"«{text}» không phải số / not a number")
    if notation is None:
        raise AmbiguousNumber(text, found)
    return float(found[notation])


def format(value: float, *, lang: str = "vi", digits: int | None = None) -> str:
    """For reading: digits grouped (1.234.567,5); `digits` fixed decimals, else every significant one."""
    notation = _notation(lang)
    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, pattern, locale=notation)
    return _plain(_exact(value), notation, grouping=True)


def rounded(value: float, digits: int) -> float:
    """`value` rounded as `format` shows it with `digits` decimals (the same rule), as a number: exports
    write what the page shows (6.475 is shown 6,48, and exported 6.48)."""
    found = parse(format(value, lang="en", digits=digits), notation="en")
    assert found is not None  # a formatted number always reads back
    return found + 0.0  # -0.0 → 0.0, as the page shows "0"


def field(value: float | None, *, lang: str = "vi") -> str:
    """What a form's input shows: exact, ungrouped, never ambiguous, so it reads back to `value` itself."""
    if value is None:
        return ""
    text = _plain(_exact(value), _notation(lang))
    if len(set(readings(text).values())) > 1:
        text += "0"  # 1,234 (one and a bit) reads as 1234 in English; 1,2340 reads one way only
    return text


def _notation(lang: str) -> Notation:
    return "en" if lang == "en" else "vi"


def _exact(value: float) -> Decimal:
    """The shortest decimal that is this float (repr), so nothing is rounded away or invented."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))


def _plain(value: Decimal, notation: Notation, *, grouping: bool = False) -> str:
    sign, digits = ("-", _digits(-value)) if value.is_signed() else ("", _digits(value))
    whole, _, decimals = digits.partition(".")
    if grouping:
        groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)][::-1]
        whole = get_group_symbol(notation).join(groups)
    return sign + whole + (get_decimal_symbol(notation) + decimals if decimals else "")


def _digits(value: Decimal) -> str:
    """Fixed-point digits of a non-negative decimal, without exponent or trailing zeros (1E+6 → 1000000)."""
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
