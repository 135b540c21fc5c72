"""Each page renders one typed context: its template reads only what the page's dataclass declares, and
templates run with StrictUndefined, so a name missing from a context fails instead of showing nothing."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
from jinja2 import StrictUndefined, nodes

import chiso.web.pages
from chiso.web.render import TEMPLATES, ErrorPage, Page, environment


def page_classes() -> list[type[Page]]:
    for module in pkgutil.iter_modules(chiso.web.pages.__path__):
        importlib.import_module(f"chiso.web.pages.{module.name}")
    found: list[type[Page]] = []
    todo = list(Page.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    assert ErrorPage in found
    return sorted(found, key=lambda c: c.__name__)


def page_reads(template: str) -> set[str]:
    """The attributes of `page` that a template (and the templates it includes) reads."""
    env = environment()
    source = env.loader.get_source(env, template)[0]  # type: ignore[union-attr]
    tree = env.parse(source)
    return {n.attr for n in tree.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name) and n.node.name == "page"}


def test_templates_are_strict():
    assert environment().undefined is StrictUndefined


@pytest.mark.parametrize("cls", page_classes(), ids=lambda c: c.__name__)
def test_a_template_reads_only_what_its_page_declares(cls):
    assert dataclasses.is_dataclass(cls), f"{cls.__name__} is not a dataclass"
    template = cls.template_name()
    assert (TEMPLATES / template).exists(), f"{cls.__name__} has no template {template}"
    declared = {f.name for f in dataclasses.fields(cls)} | {n for n in dir(cls) if not n.startswith("_")}
    missing = page_reads(template) - declared
    assert not missing, f"{template} reads page.{sorted(missing)}, which {cls.__name__} does not declare"


def test_every_page_template_has_its_page():
    named = {cls.template_name() for cls in page_classes()}
    pages = {p.name for p in TEMPLATES.glob("*.html") if not p.name.startswith("_") and p.name != "base.html"}
    assert pages - named == set(), "templates without a page context"
