"""Translations of the console (and of any user-facing text) with gettext catalogs.

Message ids are English. Catalogs live as plain `.po` files in
`govshare/locale/<lang>/LC_MESSAGES/messages.po` and are read at runtime with Babel (no compile
step, no `.mo` files in the tree); each language is parsed once per process and cached.
`zh` (the default) translates every message; `en` may leave `msgstr` empty, which falls back to
the English msgid.

Placeholders use `%(name)s`, in Python (`gettext(lang, "Hello %(name)s", name=...)`) and in
templates (`{{ _("Hello %(name)s", name=user) }}` or `{% trans %}`): a literal percent sign in a
message is written `%%`.

Adding a string: use it through `_()` / `gettext()` / `N_()` in code or templates, then run
`python scripts/extract_messages.py` (extracts into `govshare/locale/messages.pot` and merges into
both `.po` files), fill the new `msgstr` in `zh/LC_MESSAGES/messages.po`, and run the tests
(`missing_translations("zh")` must be empty).
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from govshare.core.config import get_settings

SUPPORTED: tuple[str, ...] = ("zh", "en")
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "gs_lang"

# BCP 47 tag for <html lang>, and the Babel locale used to format numbers and dates.
HTML_LANG = {"zh": "zh-CN", "en": "en"}
BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en"}
# Each language's own name, shown in the language switch (never translated).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

_lock = threading.Lock()


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it now (translate when shown)."""
    return msgid


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read_catalog(lang: str):
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=BABEL_LOCALE.get(lang, lang), domain=DOMAIN)


@lru_cache(maxsize=None)
def _translations(lang: str) -> Translations:
    catalog = _read_catalog(lang)
    for message in list(catalog)[1:]:
        # A plural message with some forms untranslated would answer "" for them: fall back whole.
        if message.pluralizable and not all(message.string or ()):
            message.string = ("",) * len(message.string or ("",))
    buf = io.BytesIO()
    write_mo(buf, catalog)  # drops untranslated and fuzzy messages, so gettext falls back to msgid
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def normalize(lang: str | None) -> str | None:
    """'zh-CN', 'zh_Hans', 'ZH' -> 'zh'; 'en-US' -> 'en'; unsupported or empty -> None."""
    if not lang:
        return None
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED else None


def default_language() -> str:
    return normalize(get_settings().default_language) or SUPPORTED[0]


def get_translations(lang: str | None) -> Translations:
    """The cached translations of a language (the default language for unsupported input)."""
    lang = normalize(lang) or default_language()
    with _lock:
        return _translations(lang)


def reload_translations() -> None:
    """Forget parsed catalogs (after editing a .po file in a running process, and in tests)."""
    with _lock:
        _translations.cache_clear()


def gettext(lang: str | None, msgid: str, **kwargs) -> str:
    # Always a format string, as in templates (jinja2's newstyle gettext): write "%%" for "%".
    return get_translations(lang).gettext(msgid) % kwargs


def ngettext(lang: str | None, singular: str, plural: str, n: int, **kwargs) -> str:
    text = get_translations(lang).ngettext(singular, plural, n)
    return text % {"num": n, **kwargs}


def translator(lang: str | None):
    """A one-argument `_` bound to a language, for code that renders many strings."""
    def _(msgid: str, **kwargs) -> str:
        return gettext(lang, msgid, **kwargs)
    return _


def negotiate(cookie_value: str | None, accept_language: str | None) -> str:
    """The language to answer in: the `gs_lang` cookie, then Accept-Language, then the default."""
    chosen = normalize(cookie_value)
    if chosen:
        return chosen
    for tag in _accepted(accept_language or ""):
        chosen = normalize(tag)
        if chosen:
            return chosen
    return default_language()


def _accepted(header: str) -> list[str]:
    """Language tags of an Accept-Language header, best first (stable for equal q; q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, pos, tag))
    return [tag for _, _, tag in sorted(ranked)]


def missing_translations(lang: str) -> list[str]:
    """msgids of the language's catalog whose msgstr is empty (or fuzzy, i.e. not yet reviewed)."""
    missing = []
    for message in list(_read_catalog(lang))[1:]:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


# ---- controlled vocabularies ----------------------------------------------------------------
# Codes stored in the database and used in the API, with the English msgid shown for them.
# core imports no domain package, so the codes are repeated here; tests check they cover every
# value of govshare.catalog.vocab and govshare.orgs.roles.

VOCABULARIES: dict[str, dict[str, str]] = {
    "share_type": {
        "unconditional": N_("Unconditional sharing"),
        "conditional": N_("Conditional sharing"),
        "none": N_("Not shared"),
    },
    "share_method": {
        "api": N_("API"),
        "batch": N_("Batch (database)"),
        "file": N_("File"),
    },
    "open_type": {
        "open": N_("Open to the public"),
        "conditional": N_("Conditionally open"),
        "closed": N_("Not open"),
    },
    "update_cycle": {
        "realtime": N_("Real time"),
        "daily": N_("Daily"),
        "weekly": N_("Weekly"),
        "monthly": N_("Monthly"),
        "quarterly": N_("Quarterly"),
        "yearly": N_("Yearly"),
    },
    "data_type": {
        "C": N_("Character"),
        "N": N_("Number"),
        "Y": N_("Money"),
        "D": N_("Date"),
        "T": N_("Date and time"),
        "L": N_("Boolean"),
        "M": N_("Memo"),
        "B": N_("Double"),
        "I": N_("Integer"),
        "F": N_("Float"),
    },
    "entry_status": {
        "draft": N_("Draft"),
        "published": N_("Published"),
        "withdrawn": N_("Withdrawn"),
    },
    "category": {
        "base": N_("Base information resource"),
        "theme": N_("Thematic information resource"),
        "department": N_("Departmental information resource"),
    },
    "format": {
        "electronic_file": N_("Electronic file"),
        "spreadsheet": N_("Spreadsheet"),
        "database": N_("Database"),
        "image": N_("Graphics and images"),
        "streaming": N_("Streaming media"),
        "self_describing": N_("Self-describing format"),
        "service_api": N_("Service interface"),
    },
    "sensitivity": {
        "general": N_("General data"),
        "important": N_("Important data"),
        "core": N_("Core data"),
    },
    "pi_kind": {
        "id_number": N_("ID number"),
        "name": N_("Personal name"),
        "mobile": N_("Mobile number"),
        "address": N_("Address"),
        "bank_card": N_("Bank card number"),
        "uscc": N_("Unified social credit code"),
        "other": N_("Other personal information"),
        "none": N_("Not personal information"),
    },
    "open_treatment": {  # what open data does with an item (govshare.opendata.generalise)
        "drop": N_("Dropped from open data"),
        "generalise": N_("Generalised for open data"),
    },
    "load_mode": {
        "replace": N_("Replace all data"),
        "append": N_("Append new rows"),
        "upsert": N_("Insert or update by key"),
    },
    "load_status": {
        "succeeded": N_("Succeeded"),
        "failed": N_("Failed"),
    },
    "alert_rule": {
        "off_hours": N_("Calls outside working hours"),
        "after_revocation": N_("Calls after revocation"),
        "many_subjects": N_("Many people looked up"),
        "volume_spike": N_("Call volume far above usual"),
    },
    "load_source": {
        "upload": N_("File upload"),
        "database": N_("Database pull"),
    },
    "role": {
        "platform_admin": N_("Platform administrator"),
        "org_admin": N_("Department administrator"),
        "approver": N_("Approver"),
        "consumer": N_("Data consumer"),
        "security_officer": N_("Security officer"),
        "auditor": N_("Auditor"),
        "citizen": N_("Citizen"),
    },
    "org_level": {
        "national": N_("National"),
        "provincial": N_("Provincial"),
        "city": N_("City"),
        "county": N_("County"),
    },
}


def label(lang: str | None, vocabulary: str, value) -> str:
    """The translated label of a vocabulary code; unknown codes are shown as they are."""
    if value is None:
        return ""
    value = getattr(value, "value", value)
    msgid = VOCABULARIES.get(vocabulary, {}).get(str(value))
    return gettext(lang, msgid) if msgid else str(value)
