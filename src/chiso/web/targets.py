"""A programme target's figures as pages and the API write them, in one language's format."""

from __future__ import annotations

from chiso.programme.spec import Target
from chiso.web.i18n import Formats


def in_words(fmt: Formats, target: Target, value: float) -> str:
    """A figure inside a sentence (a status's reason): a rank says it is one ("hạng 10", "rank 10")."""
    text = amount(fmt, target, value)
    if target.comparison == "top":
        return f"{'rank' if fmt.lang == 'en' else 'hạng'} {text}"
    return text


def amount(fmt: Formats, target: Target, value: float | None) -> str:
    """A figure of the target in the page's format: a share as 34,87 %, a rank as 8, a count as 1.234."""
    if value is None:
        return "–"
    if target.measure_unit == "tỷ lệ":
        return fmt.pct(value, 1)
    if target.comparison == "top":
        return fmt.rank(value)
    return fmt.num(value, 0 if value == round(value) else 2)
