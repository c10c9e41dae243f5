"""CPU per governed lookup, per server thread, here and at a baseline commit: where a cost goes.

    python bench/server_threads.py [--baseline-ref f12fd8a] [--seconds 15] [--rounds 2]

Throughput on a shared two-core machine moves ±10% between slices; the CPU each server thread spends
per request moves much less, and says which thread pays: the event loop (the worker's main thread),
the audit writer (group commits, sequencing, receipt signatures), the ledger integrator and the WAL
checkpointer (named by elimination: the busiest other thread of a worker is its writer). Both servers
(2 workers each, integrator on, as in `governed_lookup.py`) serve the same database; they run one
after the other in alternating rounds under the same closed-loop load. CPU comes from
/proc/<pid>/task/<tid>/stat.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import governed_lookup as gl  # noqa: E402
from _common import report  # noqa: E402
from loadgen import load, uvicorn  # noqa: E402

_TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pids: list[int]) -> dict[tuple[int, int], float]:
    """CPU seconds (user + system) of every thread of the given processes."""
    out = {}
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                fields = open(f"/proc/{pid}/task/{tid}/stat").read().rpartition(")")[2].split()
            except OSError:
                continue
            out[(pid, int(tid))] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default="f12fd8a")
    parser.add_argument("--seconds", type=float, default=15.0, help="per server per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    env, store = gl.bench_env(None, "gs-bench-threads-")
    world = gl.setup_world(gl.persons_csv(100_000), ["lookup", "verify"], ["api"])
    make = gl.governed_requests(world)

    gl._baseline_audit_table()
    trees = {"here": None, args.baseline_ref: gl.baseline_tree(args.baseline_ref)}
    totals = {name: {"requests": 0, "threads": {}} for name in trees}
    for i in range(args.rounds):
        for name in (list(trees) if i % 2 == 0 else list(trees)[::-1]):
            kw = {"root": trees[name]} if trees[name] else {}
            with uvicorn("governed_lookup:bench_app", {**env, "GOVSHARE_INTEGRATOR": "1"}, workers=2, **kw) as server:
                workers = server.workers()
                load(server.host, server.port, make, connections=args.connections, seconds=2, spread=workers)
                before = thread_cpu(workers)
                phase = load(server.host, server.port, make, connections=args.connections, seconds=args.seconds,
                             spread=workers)
                after = thread_cpu(workers)
            totals[name]["requests"] += phase.requests
            for pid in workers:  # per worker: main thread, then its other threads by CPU
                used = sorted(((after[k] - before.get(k, 0.0), k[1]) for k in after if k[0] == pid and k[1] != pid),
                              reverse=True)
                labels = {"event loop": after[(pid, pid)] - before.get((pid, pid), 0.0)}
                labels["audit writer (busiest other)"] = used[0][0] if used else 0.0
                labels["other threads"] = sum(u for u, _ in used[1:])
                for label, seconds in labels.items():
                    totals[name]["threads"][label] = totals[name]["threads"].get(label, 0.0) + seconds
    rows = []
    for name, t in totals.items():
        per = {label: seconds * 1e6 / t["requests"] for label, seconds in t["threads"].items()}
        rows.append({"server": name, "requests": t["requests"], **{f"{k} us/req": v for k, v in per.items()},
                     "total us/req": sum(per.values())})
    base = rows[1]["total us/req"]
    report(f"server_threads_{store}", rows, {"baseline_ref": args.baseline_ref,
                                             "extra_cpu_per_request": rows[0]["total us/req"] / base - 1})
    print(f"CPU per request here / at {args.baseline_ref}: {rows[0]['total us/req'] / base:.3f}")
    gl.cleanup(env)


if __name__ == "__main__":
    main()
