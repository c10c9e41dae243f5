"""The ledger's cost on the governed lookup, with both servers loaded at the same time.

    python bench/side_by_side.py [--baseline-ref f12fd8a] [--seconds 4] [--rounds 30] [--connections 32]

`governed_lookup.py --baseline-ref` loads one server, then the other, and pairs adjacent slices: on a
shared machine whose neighbours take a varying share of the CPU, two slices a few seconds apart see
different machines, and one run's median of paired rounds moves several points (its 95% interval is
±5-6 points on the machine this was written on). Here the governed route of this checkout and of the
baseline commit (the last one before the ledger) serve at the same time, each with its 2 workers and
its own closed loop of `--connections` connections, started together: both see the same neighbours
over the same seconds. Each serves its own copy of the same database (`--one-database`: both on one,
as before 2026-12-04; their writers then queue for one write lock, which no deployment does).

The cost is read off CPU per request (server processes, all threads, from /proc): for a CPU-bound
server, throughput is capacity / CPU per request, so 1 - baseline CPU/req ÷ governed CPU/req is the
share of throughput the ledger costs. The throughput ratio of the two loops is printed too but is not
the figure: the scheduler shares the CPU between threads, not per request, so a server with busier
threads takes a larger share.

Each server has half the machine, so at the same group-commit window its batches are about half as
large as when it runs alone: per-batch costs (one commit, one receipt signature) weigh twice as much
per call as in `governed_lookup.py`. Which server's connections are opened first alternates by round.

At the end, CPU (user and system) and context switches per request by thread: the event loop and
each background thread by its kernel name (the baseline's background threads are all `python`).
`--writer-sections` adds this checkout's audit writer step by step, per commit and per call
(`writer_sections.py`).

`--rate R`: open loops instead, R requests/s on each server (`--connections` per server serve them),
for latency at a given load: each round gives both servers' p50 and p99 over the same seconds, and the
summary pools every round's latencies per server and gives the median of the rounds' p99 differences
(the CPU-per-request cost is still computed, but at a fixed rate it is not the throughput figure).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import governed_lookup as gl  # noqa: E402
import writer_sections  # noqa: E402
from _common import judge, median_interval, percentile, report  # noqa: E402
from loadgen import code_state, load_side_by_side, uvicorn  # noqa: E402
from server_threads import thread_usage, usage_by_name  # noqa: E402

GOAL = 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default="f12fd8a")
    parser.add_argument("--seconds", type=float, default=4.0, help="per round")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32, help="per server")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--integrator", choices=("here", "baseline", "both"), default="both",
                        help="which server runs the ledger integrator (with --one-database and both: they compete "
                             "for its lease, and the holder pays for it)")
    parser.add_argument("--writer-sections", action="store_true",
                        help="diagnostic: time the audit writer's steps in this checkout's server "
                             "(bench/writer_sections.py) and print them per commit")
    parser.add_argument("--rate", type=float, default=None,
                        help="open loops at this many requests/s per server, for latency (see above)")
    parser.add_argument("--one-database", action="store_true",
                        help="diagnostic: both servers on one database (their writers contend)")
    args = parser.parse_args()

    code = code_state()
    env, store = gl.bench_env(args.database_url, "gs-bench-side-")
    world = gl.setup_world(gl.persons_csv(100_000), ["lookup", "verify"], ["api"])
    make = gl.governed_requests(world)

    base_db = gl.baseline_database(env, shared=args.one_database)
    runs = {"here": ("1", "0"), "baseline": ("0", "1"), "both": ("1", "1")}[args.integrator]
    here_env, base_env = ({**e, "GOVSHARE_INTEGRATOR": flag} for e, flag in zip((env, base_db), runs))
    sections_dir = None
    if args.writer_sections:
        sections_dir = tempfile.mkdtemp(prefix="gs-writer-sections-")
        here_env[writer_sections.ENV] = sections_dir
    names = ("here", args.baseline_ref)
    rounds = []
    latencies: list[list[float]] = [[], []]  # --rate: every request's, per server
    threads: list[dict[str, dict[str, float]]] = [{}, {}]  # per server: thread name → summed counters
    requests = [0, 0]
    with uvicorn("governed_lookup:bench_app", here_env, workers=2) as here, \
            uvicorn("governed_lookup:bench_app", base_env, workers=2, root=gl.baseline_tree(args.baseline_ref)) as base:
        servers = (here, base)
        targets = [(s.host, s.port, make, s.workers()) for s in servers]
        load_side_by_side(targets, connections=args.connections, seconds=3)  # warm-up
        for i in range(args.rounds):
            order = [0, 1] if i % 2 == 0 else [1, 0]
            before = [thread_usage(s.workers()) for s in servers]
            phases = load_side_by_side([targets[j] for j in order], connections=args.connections,
                                       seconds=args.seconds, rate=args.rate)
            after = [thread_usage(s.workers()) for s in servers]
            by_server = [phases[order.index(j)] for j in (0, 1)]
            if any(p.errors for p in by_server):
                raise SystemExit(f"round {i}: errors {[p.errors for p in by_server]} {by_server[0].failures[:3]}")
            grown = [usage_by_name(b, a) for b, a in zip(before, after)]
            cpu = [sum(t["user_s"] + t["system_s"] for t in g.values()) / p.requests for g, p in zip(grown, by_server)]
            for k in (0, 1):
                requests[k] += by_server[k].requests
                for name, counters in grown[k].items():
                    sums = threads[k].setdefault(name, dict.fromkeys(counters, 0.0))
                    for field, value in counters.items():
                        sums[field] += value
            rounds.append({"rps": [p.rps for p in by_server], "cpu_ms_per_req": [c * 1000 for c in cpu],
                           "cost_cpu": 1 - cpu[1] / cpu[0], "cost_rps": 1 - by_server[0].rps / by_server[1].rps})
            latency = ""
            if args.rate:
                for k in (0, 1):
                    latencies[k].extend(by_server[k].latencies_ms)
                rounds[-1]["p50_ms"] = [percentile(list(p.latencies_ms), 50) for p in by_server]
                rounds[-1]["p99_ms"] = [percentile(list(p.latencies_ms), 99) for p in by_server]
                rounds[-1]["unsent"] = [p.unsent for p in by_server]
                latency = "   p50 {:.1f} / {:.1f}  p99 {:.1f} / {:.1f} ms".format(*rounds[-1]["p50_ms"],
                                                                              *rounds[-1]["p99_ms"])
            print(f"round {i + 1:2}: rps {by_server[0].rps:7,.0f} / {by_server[1].rps:7,.0f}   CPU/req "
                  f"{cpu[0] * 1000:.3f} / {cpu[1] * 1000:.3f} ms   cost from CPU {rounds[-1]['cost_cpu']:6.1%}{latency}",
                  flush=True)
    costs = [r["cost_cpu"] for r in rounds]
    median, interval = statistics.median(costs), median_interval(costs)
    pooled = 1 - statistics.fmean(r["cpu_ms_per_req"][1] for r in rounds) / statistics.fmean(
        r["cpu_ms_per_req"][0] for r in rounds)
    verdict = judge(interval, GOAL)
    rows = [{"server": name, "rps": statistics.fmean(r["rps"][k] for r in rounds),
             "cpu_ms_per_req": statistics.fmean(r["cpu_ms_per_req"][k] for r in rounds),
             **({"load": f"open, {args.rate:,.0f}/s", "p50_ms": percentile(latencies[k], 50),
                 "p99_ms": percentile(latencies[k], 99), "p999_ms": percentile(latencies[k], 99.9),
                 "max_ms": max(latencies[k]), "unsent": sum(r["unsent"][k] for r in rounds)} if args.rate else {})}
            for k, name in enumerate(names)]
    per_thread = _per_thread(threads, requests, names)
    print_threads(per_thread, names)
    sections = None
    if sections_dir:
        sections = writer_sections.summary(sections_dir)  # warm-up included
        shutil.rmtree(sections_dir, ignore_errors=True)
        print(f"\naudit writer here, thread CPU by step: {sections['calls_per_commit']:.2f} calls per commit over "
              f"{sections['commits']:,} commits")
        for step in writer_sections.SECTIONS:
            print(f"  {step:12}  {sections['us_per_commit'][step]:7.1f} µs per commit  "
                  f"{sections['us_per_call'][step]:6.1f} µs per call")
    report(f"side_by_side_{store}" + ("_open" if args.rate else ""), rows, {
        "baseline_ref": args.baseline_ref, "baseline_database": "shared" if args.one_database else "own copy",
        "integrator": args.integrator, "seconds_per_round": args.seconds, "connections_per_server":
        args.connections, "audit_flush_ms": float(env["GOVSHARE_AUDIT_FLUSH_MS"]), "rounds": rounds,
        "ledger_cost_cpu_median": median, "ledger_cost_cpu_interval": interval, "ledger_cost_cpu_pooled": pooled,
        "ledger_cost_rps_median": statistics.median(r["cost_rps"] for r in rounds), "goal": GOAL, "rate": args.rate,
        "verdict": verdict if not args.rate else None, "per_thread": per_thread, "writer_sections": sections, "code": code, "code_changed_during_run": code_state() != code})
    print(f"ledger cost from CPU per request, both servers loaded together: median of {len(costs)} rounds "
          f"{median:.1%} (95% interval {interval[0]:.1%} … {interval[1]:.1%}; quartiles "
          f"{statistics.quantiles(costs, n=4)[0]:.1%} / {statistics.quantiles(costs, n=4)[2]:.1%}); pooled "
          f"{pooled:.1%}; throughput ratio's cost {statistics.median(r['cost_rps'] for r in rounds):.1%}; "
          + (f"goal <= 10%: {verdict}" if not args.rate else "(open loops: CPU at a fixed rate, not the goal's figure)"))
    if args.rate:
        p99_gaps = [r["p99_ms"][0] - r["p99_ms"][1] for r in rounds]
        low, high = median_interval(p99_gaps)
        print(f"open loops at {args.rate:,.0f}/s each: p99 here minus {args.baseline_ref}, median of rounds "
              f"{statistics.median(p99_gaps):+.1f} ms (95% interval {low:+.1f} … {high:+.1f})")
    gl.cleanup(env, base_db)


def _per_thread(threads: list[dict], requests: list[int], names: tuple[str, str]) -> list[dict]:
    """Per thread name, per server: user and system CPU µs and context switches per request."""
    out = []
    for name in sorted(set(threads[0]) | set(threads[1]), key=lambda n: (n != "event loop", n)):
        row = {"thread": name}
        for k, server in enumerate(names):
            t = threads[k].get(name)
            if t is None:
                continue
            row[server] = {"user_us": t["user_s"] * 1e6 / requests[k], "system_us": t["system_s"] * 1e6 / requests[k],
                           "voluntary_switches": t["voluntary"] / requests[k],
                           "involuntary_switches": t["involuntary"] / requests[k]}
        if any(v["user_us"] + v["system_us"] >= 0.05 for k, v in row.items() if k != "thread"):
            out.append(row)
    return out


def print_threads(per_thread: list[dict], names: tuple[str, str]) -> None:
    """Where the CPU goes, per thread (background threads are named in the kernel since core.threads;
    the baseline's show as `python`)."""
    print(f"\nper request, by thread        {'user+sys µs (user)':>22} {'switches vol/invol':>19}")
    for row in per_thread:
        for server in names:
            v = row.get(server)
            if v:
                print(f"  {row['thread']:16} {server:9} {v['user_us'] + v['system_us']:9.1f} ({v['user_us']:7.1f})"
                      f" {v['voluntary_switches']:9.2f} / {v['involuntary_switches']:.2f}")


if __name__ == "__main__":
    main()
