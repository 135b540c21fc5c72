#!/usr/bin/env python3
"""Update the English catalog of the web pages and the error messages from their Vietnamese texts.

    .venv/bin/python tools/i18n.py          # adds new msgids (empty msgstr), drops unused ones

msgids are the Vietnamese texts; `tests/web/test_i18n.py` fails while any msgstr is empty.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "chiso" / "web"
ERRORS = ROOT / "src" / "chiso" / "errors.py"  # the messages of the error codes (chiso.errors.MESSAGES)
PO = WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def extract() -> list[str]:
    found: dict[str, None] = {}
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for _file, _line, message, _comments, _context in extract_from_dir(WEB, METHODS, options_map=options):
        if isinstance(message, str) and message:
            found.setdefault(message, None)
    for _line, message, _comments, _context in extract_from_file("python", ERRORS):
        if isinstance(message, str) and message:
            found.setdefault(message, None)
    return list(found)


def load() -> Catalog:
    if PO.exists():
        with PO.open("rb") as handle:
            return read_po(handle, locale="en")
    return Catalog(locale="en", project="chiso")


def main() -> None:
    old = load()
    new = Catalog(locale="en", project="chiso", fuzzy=False)
    for message in extract():
        previous = old.get(message)
        new.add(message, previous.string if previous is not None else "")
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, new, width=0, omit_header=False, no_location=True, sort_output=True)
    missing = [m.id for m in new if m.id and not m.string]
    print(f"{PO.relative_to(ROOT)}: {len(new)} messages, {len(missing)} without translation")


if __name__ == "__main__":
    main()
