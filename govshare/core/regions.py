"""Administrative division codes (行政区划代码, GB/T 2260 style): validate and navigate.

The list ships as package data (core/data/regions.csv, provenance in core/data/README.md) and is
loaded lazily once. Codes are 6 digits: province = first 2, city = next 2, county = last 2.
"100000" stands for the whole country (the national platform's region); it is not in the CSV.

Municipalities (北京/天津/上海/重庆) and provinces' directly-administered counties have no real city
level: their counties' parent is the province (e.g. 110101 -> 110000), and grouping codes such as
110100 (市辖区) or 419000 (省直辖县级行政区划) are not regions. Prefix logic stays correct for them
because a county's code always starts with its province's 2 digits.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Literal

from govshare.core.errors import InvalidInput

Level = Literal["national", "province", "city", "county"]

NATIONAL_CODE = "100000"

# How many leading digits a region of each level fixes; its descendants share that prefix.
_PREFIX_LEN: dict[str, int] = {"national": 0, "province": 2, "city": 4, "county": 6}


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: Level
    parent_code: str | None  # None only for the national region; provinces point at 100000


NATIONAL = Region(NATIONAL_CODE, "中华人民共和国", "national", None)


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Region]
    children: dict[str, tuple[Region, ...]]
    # Grouping code (e.g. 110100) -> the province that really holds its counties (110000).
    grouping: dict[str, str]


@cache
def _index() -> _Index:
    text = (files("govshare.core") / "data" / "regions.csv").read_text(encoding="utf-8")
    by_code: dict[str, Region] = {NATIONAL_CODE: NATIONAL}
    for row in csv.DictReader(io.StringIO(text)):
        level = row["level"]
        parent = row["parent_code"] or NATIONAL_CODE  # provinces hang off the national level
        by_code[row["code"]] = Region(row["code"], row["name"], level, parent)  # type: ignore[arg-type]

    children: dict[str, list[Region]] = {}
    grouping: dict[str, str] = {}
    for region in by_code.values():  # CSV is sorted by code, so children come out sorted too
        if region.parent_code is None:
            continue
        children.setdefault(region.parent_code, []).append(region)
        if region.level == "county" and by_code[region.parent_code].level == "province":
            grouping[region.code[:4] + "00"] = region.parent_code
    return _Index(by_code, {k: tuple(v) for k, v in children.items()}, grouping)


def _well_formed(code: object) -> bool:
    # isascii() first: str.isdigit() also accepts full-width and other Unicode digits.
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def get_region(code: str) -> Region | None:
    """The region with this code, or None (also for malformed input)."""
    return _index().by_code.get(code) if _well_formed(code) else None


def is_valid_region(code: str) -> bool:
    return get_region(code) is not None


def region_level(code: str) -> Level | None:
    region = get_region(code)
    return region.level if region else None


def validate_region_code(code: str) -> str:
    """Return `code` if it is a known region code, else raise InvalidInput (422)."""
    if not _well_formed(code):
        reason = "must be a 6-digit administrative division code"
    elif code in _index().by_code:
        return code
    elif code in _index().grouping:
        # Callers often send 110100 for Beijing; say what to use instead of just "unknown".
        reason = f"grouping code, not a region; use the province code {_index().grouping[code]}"
    else:
        reason = "unknown administrative division code"
    raise InvalidInput(f"region_code: {reason}",
                       details=[{"field": "region_code", "reason": reason, "value": code}])


def ancestors(code: str) -> list[Region]:
    """Enclosing regions, nearest first, ending with the national region; [] if unknown."""
    by_code = _index().by_code
    region = get_region(code)
    out: list[Region] = []
    while region is not None and region.parent_code is not None:
        region = by_code[region.parent_code]
        out.append(region)
    return out


def children(code: str) -> list[Region]:
    """Direct children sorted by code ([] for counties and unknown codes)."""
    if not _well_formed(code):
        return []
    return list(_index().children.get(code, ()))


def full_name(code: str) -> str:
    """Names from the province down, e.g. "浙江省舟山市定海区"; raises InvalidInput if unknown."""
    region = get_region(validate_region_code(code))
    assert region is not None
    if region.level == "national":
        return region.name
    chain = [r for r in reversed(ancestors(code)) if r.level != "national"]
    return "".join(r.name for r in chain) + region.name


@lru_cache(maxsize=1024)
def _prefix(scope: str) -> str | None:
    region = get_region(scope)
    return None if region is None else scope[: _PREFIX_LEN[region.level]]


def scope_prefix(scope: str) -> str:
    """Code prefix shared by `scope` and everything under it, for SQL `LIKE prefix || '%'`.

    '330000' -> '33', '330900' -> '3309', '330902' -> '330902', '100000' -> '' (everything),
    '110000' -> '11'. Raises InvalidInput for an unknown scope rather than matching nothing.
    Note that a LIKE filter does not check that the row's code itself is a known region.
    """
    prefix = _prefix(validate_region_code(scope))
    assert prefix is not None
    return prefix


def is_within(code: str, scope: str) -> bool:
    """True when `code` is `scope` or lies under it; False if either is unknown.

    Called per row in bulk exports, so it is a dict lookup plus a cached prefix and startswith;
    this is exact because every child shares its parent's 2- or 4-digit prefix (checked by
    scripts/update_regions.py when the list is built).
    """
    prefix = _prefix(scope)
    return prefix is not None and code in _index().by_code and code.startswith(prefix)
