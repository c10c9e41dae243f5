"""Ledger appends with integration and checkpoint signing, sustained, vs bare inserts of the same leaves.

    python bench/ledger_append.py [--seconds 60] [--producers 4] [--database-url URL]

Goal (issue #4): >= 20,000 events/s on SQLite sustained for 60 s with integration and signing running,
integration delay p99 <= 2 s; report PostgreSQL.

- "ledger": `--producers` threads each make events (canonical JSON of a 16-field exchange-call event,
  as the exchange logs them) and hand them to the platform's group-commit writer
  (`exchange.audit.log_event`: sequence numbers at commit, one signed receipt promise per batch),
  waiting for each burst of 500; the integrator (`ledger.integrator.Integrator`, 1 s interval, under
  its lease) extends the stored tree and signs a checkpoint meanwhile, in the same process. Integration
  delay = the signing time of the first checkpoint covering a leaf minus the leaf's time.
- "bare": the same leaves inserted by `executemany` into a table of the same shape, 500 per commit,
  one thread: no numbering, no tree, no signatures, no receipts.
Each side runs in its own fresh process (fresh data dir, or a wiped PostgreSQL database).
For scale (other systems, other machines): Tessera ~2,900 writes/s on 12 cores; Hyperledger Fabric
~2,950 tx/s on three 40-thread servers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile, report  # noqa: E402

BURST = 500


def _event(i: int):
    from govshare.ledger.sequencer import make_event
    return make_event("exchange.lookup", subject_hash=f"{i:064x}", consumer_org_id="oConsumer0000001",
                      provider_org_id="oProvider0000001", entry_id="eEntry00000000001", grant_id="gGrant0000000001",
                      client="cClient000000001", purpose="住房公积金提取审核", outcome="ok", status=200, rows=1,
                      request=f"{i * 7:064x}", response=f"{i * 13:064x}")


def _fresh() -> None:
    from govshare.core.database import get_engine
    from govshare.core.migrate import upgrade_to_head
    from govshare.models import drop_everything
    with get_engine().begin() as conn:
        drop_everything(conn)
    upgrade_to_head()


def run_ledger(seconds: float, producers: int) -> dict:
    from govshare.core.database import driver_rows, get_engine
    from govshare.exchange import audit
    from govshare.ledger.integrator import Integrator, integrate_all
    from govshare.ledger.verify import verify_log

    _fresh()
    audit.log_event(_event(-1)).result(30)  # writer thread and key ready before the clock starts
    integrator = Integrator(interval=1.0).start()
    stop = threading.Event()
    counts = [0] * producers

    def produce(slot: int) -> None:
        i = slot * 1_000_000_000
        while not stop.is_set():
            futures = [audit.log_event(_event(i + j)) for j in range(BURST)]
            for future in futures:
                future.result(60)
            i += BURST
            counts[slot] += BURST

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    time.sleep(2.5)  # the integrator catches up on its own
    integrator.stop()
    engine = get_engine()
    with engine.connect() as conn:
        checkpoints = [(int(s), c) for s, c in driver_rows(conn, "SELECT size, created_at FROM ledger_checkpoints "
                                                                 "ORDER BY size")]
        leaves = driver_rows(conn, "SELECT seq, at FROM ledger_entries ORDER BY seq")
    delays, k = [], 0
    from govshare.core.database import as_utc
    from datetime import datetime
    for seq, at in leaves:
        while k < len(checkpoints) and checkpoints[k][0] <= seq:
            k += 1
        if k == len(checkpoints):
            break
        signed, at = checkpoints[k][1], at
        signed = as_utc(datetime.fromisoformat(signed) if isinstance(signed, str) else signed)
        at = as_utc(datetime.fromisoformat(at) if isinstance(at, str) else at)
        delays.append((signed - at).total_seconds())
    integrated = checkpoints[-1][0] if checkpoints else 0
    final = integrate_all()
    verified = verify_log()
    return {"events": sum(counts), "seconds": elapsed, "events_per_s": sum(counts) / elapsed,
            "checkpoints": len(checkpoints), "integrated_during_run": integrated, "final_size": final,
            "delay_p50_s": percentile(delays, 50), "delay_p99_s": percentile(delays, 99),
            "delay_max_s": max(delays) if delays else None, "verify_ok": verified.ok}


def run_bare(seconds: float) -> dict:
    from govshare.core.database import get_engine
    from govshare.ledger.sequencer import insert_sql
    _fresh()
    engine = get_engine()
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.execute("CREATE TABLE bare_leaves AS SELECT * FROM ledger_entries WHERE 1 = 0")
    raw.commit()
    sql = insert_sql(mark).replace("ledger_entries", "bare_leaves")
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        rows = [_event(n + j).row(n + j, sqlite) for j in range(BURST)]
        cur.executemany(sql, rows)
        raw.commit()
        n += BURST
    elapsed = time.perf_counter() - started
    raw.close()
    return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed}


def _child(mode: str, args, env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--seconds", str(args.seconds),
                          "--producers", str(args.producers)],
                         env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", choices=["ledger", "bare"])
    args = parser.parse_args()
    if args.child:
        result = run_ledger(args.seconds, args.producers) if args.child == "ledger" else run_bare(args.seconds)
        print(json.dumps(result, default=str))
        return
    env = {"GOVSHARE_DATA_DIR": tempfile.mkdtemp(prefix="gs-bench-ledger-"),
           "GOVSHARE_SECRET_KEY": "bench-" + "x" * 40}
    store = "sqlite"
    if args.database_url:
        env["GOVSHARE_DATABASE_URL"] = args.database_url
        store = "postgresql"
    bare = _child("bare", args, env)
    ledger = _child("ledger", args, env)
    rows = [{"store": store, "path": "bare executemany (no ledger)", **bare},
            {"store": store, "path": "ledger: sequence + integrate + sign", **ledger}]
    ratio = ledger["events_per_s"] / bare["events_per_s"]
    goal = (ledger["events_per_s"] >= 20_000 or store != "sqlite") and (ledger["delay_p99_s"] or 99) <= 2
    report(f"ledger_append_{store}", rows, {"ratio_ledger_to_bare": ratio, "goal_events_per_s": 20_000,
                                            "goal_delay_p99_s": 2, "meets_goal": goal and ledger["verify_ok"]})
    print(f"ratio ledger / bare = {ratio:.2f}; meets goal: {goal and ledger['verify_ok']}")


if __name__ == "__main__":
    main()
