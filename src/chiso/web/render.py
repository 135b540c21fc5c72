"""Rendering a page: one typed context (a dataclass) per page, rendered by the template of the same name."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chiso.permissions import ROLE_LABELS, allowed
from chiso.web.deps import Who, language
from chiso.web.i18n import Formats, gettext, labeller

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        undefined=StrictUndefined,  # a name missing from a page's context is an error, not an empty text
    )
    env.policies["ext.i18n.trimmed"] = True
    return env


class Page:
    """Base of the page contexts; `template_name` is the class name in snake case, without `Page`."""

    title: ClassVar[str] = ""

    @classmethod
    def template_name(cls) -> str:
        name = re.sub(r"Page$", "", cls.__name__)
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ".html"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    active: bool


@dataclass(frozen=True)
class UI:
    """What every page shows around its content: who is logged in, the menu, the language switch."""

    who: Who | None
    lang: str
    path: str
    query: str
    nav: list[NavItem]

    @property
    def csrf(self) -> str:
        return self.who.csrf if self.who else ""

    def role_names(self) -> str:
        if self.who is None:
            return ""
        index = 1 if self.lang == "en" else 0
        return ", ".join(ROLE_LABELS[r][index] for r in sorted(self.who.actor.roles) if r in ROLE_LABELS)

    def switch(self, lang: str) -> str:
        return f"{self.path}?{_with_lang(self.query, lang)}"


def _with_lang(query: str, lang: str) -> str:
    parts = [p for p in query.split("&") if p and not p.startswith("lang=")]
    return "&".join([*parts, f"lang={lang}"])


def navigation(who: Who | None, path: str, _: Any) -> list[NavItem]:
    items = [("/", _("Tổng quan"))]
    if who is not None and who.logged_in and allowed(who.actor, "report.view"):
        items.append(("/home", _("Trang lãnh đạo")))
    items += [("/national", _("Cả nước")), ("/frameworks", _("Bộ chỉ số")), ("/programmes", _("Chương trình"))]
    if who is not None:
        actor = who.actor
        if who.logged_in and allowed(actor, "task.view"):
            items.append(("/tasks", _("Nhiệm vụ")))
        if actor.has("officer"):
            items.append(("/declare", _("Kê khai")))
        if who.logged_in and allowed(actor, "dossier.watch"):
            items.append(("/dossiers/due", _("Cảnh báo hồ sơ")))
        if who.logged_in and allowed(actor, "results.view"):
            items.append(("/service-766", _("Chỉ số 766")))
        if who.logged_in and allowed(actor, "ministry.view"):
            items.append(("/ministry", _("Kê khai DTI")))
        if allowed(actor, "declaration.appraise"):
            items.append(("/appraise", _("Thẩm định")))
        if allowed(actor, "results.compute") or allowed(actor, "account.manage"):
            items.append(("/admin", _("Quản trị")))
    return [NavItem(href, label, path == href or (href != "/" and path.startswith(href))) for href, label in items]


def render(request: Request, who: Who | None, page: Page, status: int = 200) -> HTMLResponse:
    lang = who.lang if who else language(request)
    _ = gettext(lang)
    ui = UI(who, lang, request.url.path, request.url.query, navigation(who, request.url.path, _))
    template = environment().get_template(page.template_name())
    html = template.render(page=page, ui=ui, fmt=Formats(lang), _=_, gettext=_, label=labeller(lang))
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = lang
    if request.query_params.get("lang") in ("vi", "en"):
        response.set_cookie("chiso_lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@dataclass(frozen=True)
class ErrorPage(Page):
    status: int
    heading: str
    detail: str
    login: bool = False


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """An error inside the normal layout: whoever is logged in still sees their name and their menu."""
    who: Who | None = getattr(request.state, "who", None)
    page = ErrorPage(status, title, detail, login=status == 401 and not (who and who.logged_in))
    return render(request, who, page, status)


def fields(page: Page) -> dict[str, Any]:
    return {f.name: getattr(page, f.name) for f in dataclasses.fields(page)}  # type: ignore[arg-type]
