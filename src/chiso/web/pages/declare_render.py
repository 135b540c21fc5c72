"""Parts of the declaration page rendered on their own (an item after a save without reload), and the
rules' findings in the reader's language."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from chiso.collection.schemas import Problem
from chiso.web.deps import Who
from chiso.web.i18n import Formats, gettext, labeller
from chiso.web.render import UI, Page, environment


def in_language(message: str, lang: str) -> str:
    """The half of a bilingual message ("tiếng Việt / English") in the reader's language."""
    vi, sep, en = message.rpartition(" / ")
    if not sep or not vi.strip():
        return message
    return en.strip() if lang == "en" else vi.strip()


def problem_json(problem: Problem, lang: str) -> dict[str, Any]:
    return {"column": problem.column, "severity": problem.severity, "message": in_language(problem.message, lang)}


def fragment(request: Request, who: Who, template: str, page: Page, **context: Any) -> str:
    """A partial template (`_declare_item.html`) with the globals a page gives its templates."""
    ui = UI(who, who.lang, "/declare", "", [])
    _ = gettext(who.lang)
    return (
        environment()
        .get_template(template)
        .render(page=page, ui=ui, fmt=Formats(who.lang), _=_, gettext=_, label=labeller(who.lang), **context)
    )
