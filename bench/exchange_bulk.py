"""Bulk exchange through a real uvicorn (1 worker): a masked CSV export of 1,000,000 rows and draining
a 1,000,000-change feed, each beside its baseline.

    python bench/exchange_bulk.py [--rows 1000000] [--page 10000] [--database-url URL]

Goals (issue): export >= 200,000 rows/s (ratio to a bare dump reported); feed drained in <= 10 s.

- export: `GET /api/v1/data/{entry_id}/export?format=csv` with a client's bearer token, streamed by
  the client (httpx, bytes counted and discarded; rows = lines - header), masked per the grant's
  defaults, with the `_key` row token. The server's peak resident memory is the worker's VmHWM.
  Baseline, same run: a bare `SELECT *` of the same table through the driver, written with Python's
  csv module to /dev/null (no masking, no HTTP).
- feed: `GET /api/v1/data/{entry_id}/changes?cursor=…&limit=--page` from cursor 0 until a page comes
  back empty, each page parsed (orjson) as a consumer would; the load made one change per row.

Each row says how much CPU the server, the client (this process), PostgreSQL (when used) and the
rest of the machine (`other_cpu_pct`, 100% = one core) used meanwhile: the machine may be shared.

Setup: as bench/governed_lookup.py, with the persons file of bench/load_persons.py (loaded through
the platform's load path, ~6 s for 1M rows) and a grant for export + feed. On PostgreSQL the data
table and data_changes are then VACUUM ANALYZEd, as autovacuum would soon after such a load;
`--no-analyze` drains at once instead (without statistics on data_changes the feed query joins
every remaining change for each page: 1M changes took ~160 s instead of seconds).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report  # noqa: E402
from governed_lookup import bench_env, cleanup, persons_csv, setup_world  # noqa: E402
from loadgen import code_state, comm_cpu_s, machine_cpu_s, proc_status_kb, uvicorn  # noqa: E402


def bare_dump(table: str) -> dict:
    """`SELECT *` through the driver's cursor, rows written by csv.writer to /dev/null."""
    from govshare.core.database import get_engine
    engine = get_engine()
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            cur = raw.driver_connection.cursor(name="bench_bare_dump")  # server-side: bounded memory
            cur.itersize = 20_000
        else:
            cur = raw.cursor()
        cur.execute(f'SELECT * FROM "{table}"')
        rows = 0
        with open(os.devnull, "w", newline="") as sink:
            writer = csv.writer(sink)
            writer.writerow([d[0] for d in cur.description])
            while batch := cur.fetchmany(20_000):
                writer.writerows(batch)
                rows += len(batch)
        seconds = time.perf_counter() - started
        cur.close()
    finally:
        raw.close()
    return {"rows": rows, "seconds": seconds}


def export(http, entry_id: str, headers: dict, pid: int) -> dict:
    rss_before = proc_status_kb(pid, "VmRSS")
    started = time.perf_counter()
    lines = size = 0
    first = b""
    with http.stream("GET", f"/api/v1/data/{entry_id}/export", params={"format": "csv"}, headers=headers) as resp:
        if resp.status_code != 200:
            resp.read()
            raise SystemExit(f"export answered {resp.status_code}: {resp.text[:500]}")
        declared = int(resp.headers["GovShare-Row-Count"])
        cursor = resp.headers["GovShare-Feed-Cursor"]
        for chunk in resp.iter_raw(1 << 20):
            if len(first) < 4096:
                first += chunk[:4096]
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    header, row = first.decode("utf-8", "replace").split("\n")[:2]
    columns = header.split(",")
    values = dict(zip(columns, row.split(",")))
    assert columns[0] == '"_key"' and "*" in values['"id_number"'] and "*" in values['"mobile"'], (header, row)
    return {"rows": lines - 1, "declared_rows": declared, "seconds": seconds, "mb": size / 1e6, "cursor": cursor,
            "rss_before_mb": rss_before / 1024, "peak_rss_mb": proc_status_kb(pid, "VmHWM") / 1024,
            "sample": row}


def drain(http, entry_id: str, headers: dict, page: int) -> dict:
    """A consumer draining the feed: one thread fetches pages (the next cursor is in the response
    header, so it asks for page n+1 before page n is parsed), this one parses and applies them."""
    import queue
    import threading

    import orjson
    started = time.perf_counter()
    pages_q: queue.Queue = queue.Queue(maxsize=4)

    def fetch() -> None:
        cursor = "0"
        try:
            while True:
                resp = http.get(f"/api/v1/data/{entry_id}/changes", params={"cursor": cursor, "limit": page},
                                headers=headers)
                if resp.status_code != 200:
                    raise SystemExit(f"changes answered {resp.status_code}: {resp.text[:500]}")
                pages_q.put(resp.content)
                following = resp.headers["GovShare-Next-Cursor"]
                if following == cursor:
                    break
                cursor = following
        except BaseException as exc:  # noqa: BLE001 - hand it to the parsing thread
            pages_q.put(exc)
        pages_q.put(None)

    threading.Thread(target=fetch, daemon=True).start()
    changes, pages, parse_s, size, cursor = 0, 0, 0.0, 0, "0"
    ops: dict[str, int] = {}
    masked = True
    while (content := pages_q.get()) is not None:
        if isinstance(content, BaseException):
            raise content
        t0 = time.perf_counter()
        body = orjson.loads(content)
        parse_s += time.perf_counter() - t0
        size += len(content)
        pages += 1
        got = body["changes"]
        for change in got[:1]:
            masked = masked and "*" in change["record"]["id_number"]
        for change in got:
            ops[change["op"]] = ops.get(change["op"], 0) + 1
        changes += len(got)
        cursor = body["next_cursor"]
    assert masked
    return {"changes": changes, "pages": pages, "seconds": time.perf_counter() - started, "client_parse_s": parse_s,
            "mb": size / 1e6, "ops": ops, "last_cursor": cursor}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=10_000, help="feed page size (limit)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep-data", action="store_true", help="keep the data dir (printed) afterwards")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: drain right after the load, before any ANALYZE of data_changes")
    args = parser.parse_args()

    code = code_state()
    env, store = bench_env(args.database_url, "gs-bench-bulk-")
    world = setup_world(persons_csv(args.rows), ["export", "feed"], ["batch"])
    print(f"loaded {world.rows:,} rows in {world.load_seconds:.1f} s; entry {world.entry_id}")
    if store == "postgresql" and not args.no_analyze:
        from govshare.core.database import get_engine
        with get_engine().connect() as conn:  # what autovacuum does after a big load (within a minute or so)
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in (world.data_table, "data_changes"):
                conn.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    headers = {"Authorization": f"Bearer {world.token}"}

    import httpx
    bare = bare_dump(world.data_table)  # also warms the page cache for both sides
    with uvicorn("govshare.app:create_app", env, workers=1) as server, \
            httpx.Client(base_url=server.base, timeout=120) as http:
        pid = server.workers()[0]

        def cpu_now() -> tuple[float, ...]:  # server, this process (the client), PostgreSQL, whole machine
            return server.cpu_s(), time.process_time(), comm_cpu_s("postgres"), machine_cpu_s()

        def cpu_since(start: tuple[float, ...], seconds: float) -> dict:
            server_s, client_s, db_s, machine_s = (b - a for a, b in zip(start, cpu_now()))
            return {"server_cpu_s": server_s, "client_cpu_s": client_s,
                    **({"postgres_cpu_s": db_s} if store == "postgresql" else {}),
                    "other_cpu_pct": 100 * max(0.0, machine_s - server_s - client_s - db_s) / seconds}

        start = cpu_now()
        ours = export(http, world.entry_id, headers, pid)
        export_cpu = cpu_since(start, ours["seconds"])
        bare2 = bare_dump(world.data_table)
        start = cpu_now()
        feed = drain(http, world.entry_id, headers, args.page)
        feed_cpu = cpu_since(start, feed["seconds"])
        feed_peak = proc_status_kb(pid, "VmHWM") / 1024
    bare = min(bare, bare2, key=lambda r: r["seconds"])
    assert ours["rows"] == world.rows == ours["declared_rows"], (ours["rows"], world.rows, ours["declared_rows"])
    assert feed["changes"] == world.rows, (feed["changes"], world.rows)

    export_rps = ours["rows"] / ours["seconds"]
    bare_rps = bare["rows"] / bare["seconds"]
    rows = [
        {"store": store, "path": "export csv via HTTP (masked, _key)", "rows": ours["rows"], "seconds": ours["seconds"],
         "rows_per_s": export_rps, "mb": ours["mb"], **export_cpu, "server_peak_rss_mb": ours["peak_rss_mb"],
         "goal": ">= 200,000 rows/s", "meets_goal": export_rps >= 200_000},
        {"store": store, "path": "bare SELECT * -> csv.writer -> /dev/null", "rows": bare["rows"],
         "seconds": bare["seconds"], "rows_per_s": bare_rps},
        {"store": store, "path": f"feed drain, limit={args.page} (masked)", "rows": feed["changes"],
         "seconds": feed["seconds"], "rows_per_s": feed["changes"] / feed["seconds"], "mb": feed["mb"],
         **feed_cpu, "server_peak_rss_mb": feed_peak, "goal": "<= 10 s",
         "meets_goal": feed["seconds"] <= 10.0},
    ]
    ratio = export_rps / bare_rps
    print(f"export sample row: {ours['sample']}")
    report(f"exchange_bulk_{store}", rows, {
        "entry_rows": world.rows, "load_seconds": world.load_seconds, "ratio_export_to_bare": ratio,
        "export": {k: v for k, v in ours.items() if k != "sample"}, "feed": feed,
        "server_rss_before_export_mb": ours["rss_before_mb"],
        "meets_goal": {"export_rows_per_s": export_rps >= 200_000, "feed_seconds": feed["seconds"] <= 10.0},
        "code": code, "code_changed_during_run": code_state() != code,
    })
    print(f"ratio export / bare = {ratio:.2f}; feed: {feed['pages']} pages, client JSON parsing "
          f"{feed['client_parse_s']:.1f} s of {feed['seconds']:.1f} s")
    if args.keep_data:
        print(f"data dir kept: {env['GOVSHARE_DATA_DIR']}")
    else:
        cleanup(env)


if __name__ == "__main__":
    main()
