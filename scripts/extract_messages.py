#!/usr/bin/env python3
"""Extract translatable strings into govshare/locale/messages.pot and merge them into every .po.

Usage:
    .venv/bin/python scripts/extract_messages.py          # extract + merge (the workflow)
    .venv/bin/python scripts/extract_messages.py --check  # exit 1 if a .po is out of date or zh lacks msgstr

Workflow for a new string: write it as `_("...")` / `N_("...")` in Python or `_("...")` /
`{% trans %}` in a template, run this script, fill its `msgstr` in
govshare/locale/zh/LC_MESSAGES/messages.po (en may stay empty: it falls back to the English
msgid), and run the tests. The catalogs are read at runtime; there is nothing to compile.

What is extracted (msgids are English):
- Python under govshare/: `_("...")`, `N_("...")`, `ngettext(s, p, n)`, and
  `gettext(lang, "...")` / `i18n.gettext(lang, "...")` (msgid is the 2nd argument).
- Templates under govshare/web/templates/ (*.html): `_()`, `gettext()`, `ngettext()`, `{% trans %}`.

The same can be done with pybabel, given a mapping file with `[python: govshare/**.py]` and
`[jinja2: govshare/web/templates/**.html]` sections:
    pybabel extract -F babel.cfg -k N_ -k gettext:2 -k ngettext:2,3 -o govshare/locale/messages.pot .
    pybabel update -i govshare/locale/messages.pot -d govshare/locale -l zh --no-fuzzy-matching
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "govshare"
TEMPLATES = PACKAGE / "web" / "templates"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "messages.pot"
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}

PY_KEYWORDS = {"_": None, "N_": None, "gettext": (2,), "ngettext": (2, 3)}
TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
HEADER = "Translations of the GovShare console (政务数据共享交换平台)."


def _new_catalog(locale: str | None = None) -> Catalog:
    catalog = Catalog(locale=locale, project="GovShare", version="0.1", header_comment="# " + HEADER,
                      msgid_bugs_address="", copyright_holder="GovShare contributors", charset="utf-8",
                      last_translator="GovShare contributors", language_team="GovShare contributors")
    catalog.fuzzy = False
    return catalog


def extract() -> Catalog:
    """Every msgid used in the package's Python and templates, with its locations."""
    catalog = _new_catalog()
    sources = [(path, "python", PY_KEYWORDS) for path in sorted(PACKAGE.rglob("*.py"))
               if "migrations" not in path.parts]
    sources += [(path, "jinja2.ext:babel_extract", TEMPLATE_KEYWORDS) for path in sorted(TEMPLATES.rglob("*.html"))]
    for path, method, keywords in sources:
        options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"} \
            if method != "python" else {}
        for lineno, message, comments, context in extract_from_file(
                method, str(path), keywords=keywords, comment_tags=("TRANSLATORS:",), options=options,
                strip_comment_tags=True):
            rel = path.relative_to(ROOT).as_posix()
            catalog.add(message, None, [(rel, lineno)], auto_comments=comments, context=context)
    return catalog


def _render(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, include_lineno=False, ignore_obsolete=True, sort_by_file=False,
             omit_header=False)
    return buf.getvalue()


def merged(template: Catalog, lang: str, fills: dict | None = None) -> Catalog:
    """The language's catalog updated to the template: new msgids added empty, unused ones dropped;
    `fills` (msgid → translation, a list for plural forms) filled in where the catalog has none."""
    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=LANGUAGES[lang])
    else:
        catalog = _new_catalog(LANGUAGES[lang])
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.header_comment = "# " + HEADER
    catalog.fuzzy = False
    for message in list(catalog)[1:]:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        given = (fills or {}).get(key)
        if given and not (message.string if isinstance(message.string, str) else any(message.string or ())):
            message.string = tuple(given) if isinstance(message.id, tuple) else given
    return catalog


def _fills(paths: list[Path]) -> dict:
    """Translations handed in as JSON files ({"msgid": "译文"}), e.g. govshare/locale/pending/*.json."""
    found: dict = {}
    for path in paths:
        found.update(json.loads(path.read_text(encoding="utf-8")))
    return found


def run(check: bool, fill: list[Path] | None = None) -> int:
    template = extract()
    outputs = {POT: _render(template)}
    fills = _fills(fill or [])
    for lang in LANGUAGES:
        outputs[LOCALE / lang / "LC_MESSAGES" / "messages.po"] = _render(
            # A copy per language: Catalog.update adds the template's own Message objects, so filling
            # zh in place would leak the Chinese strings into en.
            merged(copy.deepcopy(template), lang, fills if lang == "zh" else None))
    stale = []
    for path, content in outputs.items():
        old = path.read_bytes() if path.exists() else b""
        if _strip_dates(old) != _strip_dates(content):
            stale.append(path)
            if not check:  # atomically: a concurrent run never reads half a catalog
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.{os.getpid()}")
                partial.write_bytes(content)
                os.replace(partial, path)
    with (LOCALE / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        zh = read_po(fh)
    untranslated = [m.id for m in list(zh)[1:] if not m.string or m.fuzzy]
    print(f"{len(template)} messages; {len(untranslated)} without a Chinese translation")
    for msgid in untranslated:
        print("  zh missing:", msgid)
    if check:
        for path in stale:
            print("out of date:", path.relative_to(ROOT))
        return 1 if stale or untranslated else 0
    for path in stale:
        print("wrote", path.relative_to(ROOT))
    return 0


def _strip_dates(content: bytes) -> bytes:
    """Ignore the header dates Babel stamps on every write, so unchanged catalogs are not rewritten."""
    return b"\n".join(line for line in content.splitlines()
                      if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:')))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report, do not write; exit 1 when out of date")
    parser.add_argument("--fill", nargs="*", type=Path, default=[],
                        help="JSON files of Chinese translations ({msgid: 译文}) to fill empty msgstrs from")
    args = parser.parse_args()
    sys.exit(run(args.check, args.fill))


if __name__ == "__main__":
    main()
