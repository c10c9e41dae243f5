"""Ledger appends with integration and checkpoint signing, sustained, vs bare inserts of the same leaves.

    python bench/ledger_append.py [--seconds 60] [--processes 2] [--producers 2] [--database-url URL]

Goal (issue #4): >= 20,000 events/s on SQLite sustained for 60 s with integration and signing running,
integration delay p99 <= 2 s; report PostgreSQL.

- "ledger": `--processes` processes (as the server's workers would be), each with `--producers`
  threads that make events (canonical JSON of a 16-field exchange-call event, as the exchange logs
  them) and hand them in bursts of 500 to the process's group-commit writer
  (`exchange.audit.log_events`: sequence numbers at commit, one signed receipt promise per commit, a
  receipt per event), waiting for each burst's receipts. Meanwhile the integrator
  (`ledger.integrator.Integrator`, 1 s interval, under its lease) runs in the parent process:
  it extends the stored tree over what was sequenced and signs a checkpoint. Integration delay = the
  signing time of the first checkpoint covering a leaf minus the leaf's time, over every leaf.
  Afterwards `ledger verify` must accept the whole log.
- "bare": the same processes and threads making the same events and inserting their rows with
  `executemany` into a table of the same shape, 500 per commit: no numbering, no tree, no
  signatures, no receipts.
Each side runs on a fresh data dir (or a wiped PostgreSQL database).
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
    from govshare.ledger.sequencer import call_event
    return call_event("lookup", subject=f"{i:018d}", consumer_org_id="oConsumer0000001",
                      provider_org_id="oProvider0000001", entry_id="eEntry00000000001", grant_id="gGrant0000000001",
                      client_id="cClient000000001", purpose="住房公积金提取审核", outcome="ok", status=200, rows=1,
                      request={"query": {"id_number": f"{i:018d}"}}, response=b'{"records": [%d]}' % i)


def _fresh(bare: bool) -> None:
    from govshare.core.database import get_engine
    from govshare.core.migrate import upgrade_to_head
    from govshare.models import drop_everything
    with get_engine().begin() as conn:
        drop_everything(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS bare_leaves")
    upgrade_to_head()
    if bare:
        with get_engine().begin() as conn:
            conn.exec_driver_sql("CREATE TABLE bare_leaves AS SELECT * FROM ledger_entries WHERE 1 = 0")


def _threads(producers: int, seconds: float, work) -> int:
    """Run `work(slot, stop)` in `producers` threads for `seconds`; the events they made."""
    stop = threading.Event()
    counts = [0] * producers

    def run(slot: int) -> None:
        counts[slot] = work(slot, stop)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(producers)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return sum(counts)


def produce_ledger(index: int, producers: int, seconds: float, start_at: float) -> dict:
    from govshare.exchange import audit
    audit.log_event(_event(-1 - index)).result(60)  # writer and key ready before the clock starts
    time.sleep(max(0.0, start_at - time.time()))

    def work(slot: int, stop: threading.Event) -> int:
        i = (index * 64 + slot) * 1_000_000_000
        made = 0
        while not stop.is_set():
            receipts = audit.log_events([_event(i + made + j) for j in range(BURST)]).result(60)
            assert len(receipts) == BURST
            made += BURST
        return made

    started = time.perf_counter()
    events = _threads(producers, seconds, work)
    return {"events": events, "seconds": time.perf_counter() - started}


def produce_bare(index: int, producers: int, seconds: float, start_at: float) -> dict:
    from govshare.core.database import get_engine
    from govshare.ledger.sequencer import insert_sql
    engine = get_engine()
    sqlite = engine.dialect.name == "sqlite"
    sql = insert_sql("?" if sqlite else "%s").replace("ledger_entries", "bare_leaves")
    time.sleep(max(0.0, start_at - time.time()))

    def work(slot: int, stop: threading.Event) -> int:
        raw = engine.raw_connection()
        cur = raw.cursor()
        i = (index * 64 + slot) * 1_000_000_000
        made = 0
        while not stop.is_set():
            cur.executemany(sql, [_event(i + made + j).row(i + made + j, sqlite) for j in range(BURST)])
            raw.commit()
            made += BURST
        raw.close()
        return made

    started = time.perf_counter()
    events = _threads(producers, seconds, work)
    return {"events": events, "seconds": time.perf_counter() - started}


def _spawn(mode: str, args, start_at: float) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, __file__, "--child", mode, "--index", str(n), "--seconds",
                              str(args.seconds), "--producers", str(args.producers), "--start-at", str(start_at)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n in range(args.processes)]


def _collect(procs: list[subprocess.Popen]) -> list[dict]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"producer failed:\n{stderr[-3000:]}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def run_side(mode: str, args) -> dict:
    _fresh(bare=mode == "bare")
    integrator = None
    if mode == "ledger":
        from govshare.ledger.integrator import Integrator
        integrator = Integrator(interval=1.0).start()
    start_at = time.time() + 3  # every process warmed up and waiting
    results = _collect(_spawn(mode, args, start_at))
    events = sum(r["events"] for r in results)
    seconds = max(r["seconds"] for r in results)
    row = {"processes": args.processes, "threads": args.processes * args.producers, "events": events,
           "seconds": seconds, "events_per_s": events / seconds}
    if integrator is not None:
        time.sleep(2.5)  # the integrator catches up on its own
        integrator.stop()
        row.update(_delays_and_verify())
    return row


def _delays_and_verify() -> dict:
    from datetime import datetime

    from govshare.core.database import as_utc, driver_rows, get_engine
    from govshare.ledger.integrator import integrate_all
    from govshare.ledger.verify import verify_log

    def when(value) -> datetime:
        return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)

    with get_engine().connect() as conn:
        checkpoints = [(int(s), when(c)) for s, c in driver_rows(
            conn, "SELECT size, created_at FROM ledger_checkpoints ORDER BY size")]
        leaves = driver_rows(conn, "SELECT seq, at FROM ledger_entries ORDER BY seq")
    delays, k = [], 0
    for seq, at in leaves:
        while k < len(checkpoints) and checkpoints[k][0] <= seq:
            k += 1
        if k == len(checkpoints):
            break
        delays.append((checkpoints[k][1] - when(at)).total_seconds())
    integrated = checkpoints[-1][0] if checkpoints else 0
    final = integrate_all()
    verified = verify_log()
    return {"checkpoints": len(checkpoints), "integrated_during_run": integrated, "final_size": final,
            "delay_p50_s": percentile(delays, 50), "delay_p99_s": percentile(delays, 99),
            "delay_max_s": max(delays) if delays else None, "verify_ok": verified.ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--producers", type=int, default=2, help="threads per process")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", choices=["ledger", "bare"])
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()
    if args.child:
        work = produce_ledger if args.child == "ledger" else produce_bare
        print(json.dumps(work(args.index, args.producers, args.seconds, args.start_at)))
        return
    os.environ.setdefault("GOVSHARE_DATA_DIR", tempfile.mkdtemp(prefix="gs-bench-ledger-"))
    os.environ.setdefault("GOVSHARE_SECRET_KEY", "bench-" + "x" * 40)
    store = "sqlite"
    if args.database_url:
        os.environ["GOVSHARE_DATABASE_URL"] = args.database_url
        store = "postgresql"
    bare = run_side("bare", args)
    ledger = run_side("ledger", args)
    rows = [{"store": store, "path": "bare executemany (no ledger)", **bare},
            {"store": store, "path": "ledger: sequence + integrate + sign", **ledger}]
    ratio = ledger["events_per_s"] / bare["events_per_s"]
    goal = (ledger["events_per_s"] >= 20_000 or store != "sqlite") and (ledger["delay_p99_s"] or 99) <= 2
    report(f"ledger_append_{store}", rows, {"ratio_ledger_to_bare": ratio, "goal_events_per_s": 20_000,
                                            "goal_delay_p99_s": 2, "meets_goal": goal and ledger["verify_ok"]})
    print(f"ratio ledger / bare = {ratio:.2f}; meets goal: {goal and ledger['verify_ok']}")


if __name__ == "__main__":
    main()
