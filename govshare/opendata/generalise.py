"""Generalisation of items published as open data (GB/T 37964 "generalisation"): a value is coarsened
deterministically, so that it no longer points at a person, before it leaves the platform.

Which items can be generalised, and to what (decided here, documented in docs/design.md):

| item                                   | published as                                     |
|----------------------------------------|--------------------------------------------------|
| any date or datetime item (D, T)       | the year, e.g. 出生日期 1980-05-17 → "1980"       |
| address text (pi_kind address)         | down to the district, e.g. 浙江省舟山市定海区       |
| 6-digit region code (address / other)  | the city level, e.g. 330902 → 330900             |
| ID number (id_number)                  | the city-level region code of issue, 330900      |
| credit code (uscc)                     | the city-level region code of registration       |
| bank card number (bank_card)           | the issuer's BIN (first 6 digits)                |
| other text (other)                     | only 6-digit region codes; anything else → null  |

Names, mobile numbers, numbers and booleans cannot be generalised: an open entry must drop them.
Whatever cannot be generalised safely becomes null: the function never returns the input unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from govshare.sharing.masking import mask_value

_REGION = re.compile(r"^\d{6}$")
_TEXT_KINDS = frozenset({"address", "id_number", "uscc", "bank_card", "other"})


def can_generalise(pi_kind: str, data_type: str) -> bool:
    if data_type in ("D", "T"):
        return True
    return data_type in ("C", "M") and pi_kind in _TEXT_KINDS


def output_type(data_type: str) -> str:
    """The data type of a generalised item's published values (always text)."""
    return "C"


def _year(value) -> str | None:
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}"
    text = str(value).strip()
    return text[:4] if len(text) >= 4 and text[:4].isdigit() else None


def _city(code: str) -> str | None:
    return code[:4] + "00" if _REGION.match(code) else None


def _address(value: str) -> str | None:
    value = value.strip()
    if _REGION.match(value):
        return _city(value)
    kept = mask_value("address", value).removesuffix("****")
    return kept if kept and kept != value else None


def _id_number(value: str) -> str | None:
    value = value.strip()
    return _city(value[:6]) if len(value) >= 6 else None


def _uscc(value: str) -> str | None:
    value = value.strip()
    return _city(value[2:8]) if len(value) == 18 else None


def _bank_card(value: str) -> str | None:
    digits = value.strip().replace(" ", "")
    return digits[:6] if len(digits) > 10 and digits[:6].isdigit() else None


def _other(value: str) -> str | None:
    return _city(value.strip())


_TEXT: dict[str, Callable[[str], str | None]] = {
    "address": _address, "id_number": _id_number, "uscc": _uscc, "bank_card": _bank_card, "other": _other,
}


def generaliser(pi_kind: str, data_type: str) -> Callable[[object], str | None]:
    """value → generalised text (None stays None). Raises ValueError when the item cannot be generalised."""
    if data_type in ("D", "T"):
        convert = _year
    elif data_type in ("C", "M") and pi_kind in _TEXT:
        text_rule = _TEXT[pi_kind]

        def convert(value):
            return text_rule(str(value))
    else:
        raise ValueError(f"an item of kind {pi_kind} and type {data_type} cannot be generalised")

    def apply(value):
        return None if value is None else convert(value)
    return apply
