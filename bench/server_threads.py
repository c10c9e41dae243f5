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
    return {key: u.user + u.system for key, u in thread_usage(pids).items()}


class Usage:
    """One thread's counters from /proc: its kernel name (`event loop` for a process's main thread),
    user and system CPU seconds, voluntary and involuntary context switches."""

    __slots__ = ("name", "user", "system", "voluntary", "involuntary")

    def __init__(self, name: str, user: float, system: float, voluntary: int, involuntary: int):
        self.name, self.user, self.system, self.voluntary, self.involuntary = name, user, system, voluntary, involuntary


def thread_usage(pids: list[int]) -> dict[tuple[int, int], Usage]:
    """Every thread of the given processes. GovShare names its background threads in the kernel
    (`core.threads`); a commit from before that shows them as `python`."""
    out = {}
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                status = open(f"/proc/{pid}/task/{tid}/status").read()
            except OSError:
                continue
            comm, _, rest = stat.partition("(")[2].rpartition(")")
            fields = rest.split()
            switches = dict(line.split(":\t", 1) for line in status.splitlines()
                            if line.endswith(tuple("0123456789")) and "ctxt_switches" in line)
            name = "event loop" if int(tid) == pid else comm
            out[(pid, int(tid))] = Usage(name, int(fields[11]) / _TICK, int(fields[12]) / _TICK,
                                         int(switches.get("voluntary_ctxt_switches", 0)),
                                         int(switches.get("nonvoluntary_ctxt_switches", 0)))
    return out


def usage_by_name(before: dict, after: dict) -> dict[str, dict[str, float]]:
    """The counters' growth between two `thread_usage` samples, summed per thread name."""
    out: dict[str, dict[str, float]] = {}
    for key, now in after.items():
        then = before.get(key) or Usage(now.name, 0.0, 0.0, 0, 0)
        sums = out.setdefault(now.name, {"user_s": 0.0, "system_s": 0.0, "voluntary": 0, "involuntary": 0})
        sums["user_s"] += now.user - then.user
        sums["system_s"] += now.system - then.system
        sums["voluntary"] += now.voluntary - then.voluntary
        sums["involuntary"] += now.involuntary - then.involuntary
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
