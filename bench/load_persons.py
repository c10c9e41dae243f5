"""Loading a 1,000,000-row GBK CSV of persons (12 columns incl. ID numbers) with full validation,
side by side with a bare `executemany` insert of the same rows into the same database.

    python bench/load_persons.py [--rows 1000000] [--database-url postgresql+psycopg://...]

Goal (issue #2): >= 150,000 rows/s on SQLite and >= 50% of the bare insert's rate.

- "govshare": the platform's load path as an upload takes it (service `run_recorded_load` on the
  file: encoding detection, streamed parsing, header mapping, type conversion, GB 11643 check
  digits, key uniqueness, one transaction, row-level change log, load report).
- "bare executemany": the same rows, already parsed into Python tuples (parsing not timed), inserted
  with the driver's `executemany` into a table of the same 12 columns with the same unique key,
  in one transaction, no validation.
Each side runs in a fresh process against the same database; peak RSS is reported per side.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_govshare(csv_path: Path) -> dict:
    from read_validate_speed import ITEMS

    from govshare.catalog import service as catalog
    from govshare.catalog.schemas import EntryCreate
    from govshare.core.database import session_scope
    from govshare.core.migrate import upgrade_to_head
    from govshare.mounting import service as mounting
    from govshare.orgs.service import Principal

    upgrade_to_head()
    items = [{"name": i.name, "label": i.label, "data_type": i.data_type, "length": i.length,
              "required": i.required, "is_key": i.is_key, "pi_kind": i.pi_kind} for i in ITEMS]
    admin = Principal(kind="user", id="bench", name="bench", org_id="", org_code="", roles=frozenset({"platform_admin"}))
    with session_scope() as session:
        from govshare.orgs import service as orgs
        from govshare.orgs.schemas import OrgCreate
        from govshare.core.checkdigits import uscc_check_char
        body = "11330900BENCH0001"
        org, _ = orgs.create_org(session, OrgCreate(code=body + uscc_check_char(body), name="基准测试公安局",
                                                    region_code="330900", level="city"))
        entry = catalog.create_entry(session, EntryCreate(
            name="人口基础信息（基准）", summary="基准测试", category="base", class_path=["人口"], format="database",
            share_type="unconditional", share_methods=["api"], update_cycle="daily", items=items,
            provider_code=org.code), admin)
        entry_id = entry.id
        specs = catalog.item_specs(entry)
    info: dict = {}
    started = time.perf_counter()
    record = mounting.run_recorded_load(entry_id, "replace", "upload",
                                        mounting.file_source(csv_path, csv_path.name, specs, info), info, admin,
                                        filename=csv_path.name)
    seconds = time.perf_counter() - started
    assert record.status == "succeeded", record.errors
    return {"rows": record.inserted, "seconds": seconds, "encoding": record.encoding, "peak_rss_mb": _peak_rss_mb()}


def run_bare(csv_path: Path) -> dict:
    from sqlalchemy import text

    from govshare.core.database import get_engine
    with open(csv_path, encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = [tuple(r) for r in reader]
    engine = get_engine()
    cols = ", ".join(f"c{i}" + (" TEXT PRIMARY KEY" if i == 0 else " TEXT") for i in range(12))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_persons"))
        conn.execute(text(f"CREATE TABLE bare_persons ({cols})"))
    raw = engine.raw_connection()
    try:
        placeholders = ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * 12)
        cur = raw.cursor()
        started = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        cur.executemany(f"INSERT INTO bare_persons VALUES ({placeholders})", rows)
        raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
    return {"rows": len(rows), "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def generate_persons(path: Path, rows: int, seed: int = 7) -> None:
    """A GBK CSV of persons with unique, valid ID numbers (the key) and plausible other columns."""
    import numpy as np
    from read_validate_speed import EDUCATION, GIVEN, ITEMS, MARITAL, OCCUPATION, REGIONS, STREETS, SURNAMES

    from govshare.core.checkdigits import ID_CHECK_CHARS, ID_WEIGHTS
    rng = np.random.default_rng(seed)
    regions = list(REGIONS)
    with open(path, "wb") as fh:
        fh.write(",".join(i.label for i in ITEMS).encode("gbk") + b"\r\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            idx = np.arange(start, start + n)
            # (region, sequence, birth day) is a bijection of the row index: ID numbers are unique.
            region = idx % len(regions)
            seq = (idx // len(regions)) % 1000
            birth = np.datetime64("1940-01-01") + ((idx // (len(regions) * 1000)) * 97 % (70 * 365)).astype(
                "timedelta64[D]")
            first17 = [f"{regions[r]}{str(b).replace('-', '')}{q:03d}" for r, b, q in zip(region, birth, seq)]
            digits = np.frombuffer("".join(first17).encode(), dtype=np.uint8).reshape(n, 17) - 48
            checks = np.array(list(ID_CHECK_CHARS))[(digits.astype(np.int64) @ np.array(ID_WEIGHTS)) % 11]
            pick = lambda values: rng.integers(0, len(values), n)  # noqa: E731
            sur, g1, g2, st, ma, ed, oc = (pick(SURNAMES), pick(GIVEN), pick(GIVEN), pick(STREETS), pick(MARITAL),
                                           pick(EDUCATION), pick(OCCUPATION))
            mobile = rng.integers(0, 10**9, n)
            house = rng.integers(1, 999, n)
            reg = np.datetime64("2000-01-01") + rng.integers(0, 24 * 365, n).astype("timedelta64[D]")
            lines = []
            for i in range(n):
                code = regions[region[i]]
                lines.append(
                    f"{first17[i]}{checks[i]},{SURNAMES[sur[i]]}{GIVEN[g1[i]]}{GIVEN[g2[i]]},"
                    f"{'男' if seq[i] % 2 else '女'},{birth[i]},13{mobile[i]:09d},{REGIONS[code]}{STREETS[st[i]]}"
                    f"{house[i]}号,{code},{code}{idx[i]:09d},{MARITAL[ma[i]]},{EDUCATION[ed[i]]},"
                    f"{OCCUPATION[oc[i]]},{str(reg[i]).replace('-', '/')}\r\n")
            fh.write("".join(lines).encode("gbk"))


def _child(mode: str, csv_path: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--csv", str(csv_path)],
                         env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", choices=["govshare", "bare"])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--skip-bare", action="store_true",
                        help="only the govshare load (e.g. a 1 GB file, to show memory stays bounded)")
    args = parser.parse_args()
    if args.child:
        result = run_govshare(args.csv) if args.child == "govshare" else run_bare(args.csv)
        print(json.dumps(result))
        return

    csv_path = Path(tempfile.gettempdir()) / f"govshare_persons_unique_gbk_{args.rows}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path} …")
        generate_persons(csv_path, args.rows)
    data_dir = tempfile.mkdtemp(prefix="gs-bench-load-")
    env = {"GOVSHARE_DATA_DIR": data_dir, "GOVSHARE_SECRET_KEY": "bench-" + "x" * 40}
    store = "sqlite"
    if args.database_url:
        env["GOVSHARE_DATABASE_URL"] = args.database_url
        store = "postgresql"
        os.environ.update(env)
        from catalog_search import _drop_all
        _drop_all()
    size_mb = csv_path.stat().st_size / 1e6
    runs = [] if args.skip_bare else [("bare executemany (no validation)", _child("bare", csv_path, env))]
    ours = _child("govshare", csv_path, env)
    runs.append(("govshare load (validated)", ours))
    rows = [{"store": store, "path": name, "rows": r["rows"], "file_mb": round(size_mb), "seconds": r["seconds"],
             "rows_per_s": r["rows"] / r["seconds"], "peak_rss_mb": r["peak_rss_mb"]} for name, r in runs]
    if args.skip_bare:
        report(f"load_persons_{store}_{args.rows}_only", rows)
        return
    ratio = rows[1]["rows_per_s"] / rows[0]["rows_per_s"]
    print(f"file: {csv_path} ({size_mb:.0f} MB, GBK; detected {ours.get('encoding')})")
    report(f"load_persons_{store}", rows, {
        "ratio_govshare_to_bare": ratio,
        "goal_rows_per_s": 150_000 if store == "sqlite" else None,
        "goal_ratio": 0.5,
        "meets_goal": (rows[1]["rows_per_s"] >= 150_000 or store != "sqlite") and ratio >= 0.5,
    })
    print(f"ratio govshare / bare = {ratio:.2f}")


if __name__ == "__main__":
    main()
