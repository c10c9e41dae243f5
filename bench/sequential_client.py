"""One client sending one governed lookup at a time: this checkout against a baseline commit.

    python bench/sequential_client.py [--baseline-ref f12fd8a] [--seconds 5] [--rounds 4] [--connections 1]

An integrator's script often loops over its cases with one connection, each call waiting for the
previous answer. Every call waits for its audit record's commit, and the audit writer groups the
commits of one window (GOVSHARE_AUDIT_FLUSH_MS). Before the writer asked whether any other request was
in progress (`core.inflight`), it held every commit for the rest of the window, so such a client got
at most one answer per window (~240/s at 4 ms) however idle the machine. This bench shows it: each
side serves the same world from its own copy of the database (uvicorn, `--workers` processes), driven
by `--connections` closed-loop connections in turns (ABBA), and the table gives lookups/s and
latency per side and the ratio here / there.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import governed_lookup as gl  # noqa: E402
from _common import percentile, report  # noqa: E402
from loadgen import code_state, load, uvicorn  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default="f12fd8a")
    parser.add_argument("--seconds", type=float, default=5.0, help="per side per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    code = code_state()
    env, store = gl.bench_env(None, "gs-bench-sequential-")
    world = gl.setup_world(gl.persons_csv(100_000), ["lookup", "verify"], ["api"])
    make = gl.governed_requests(world)
    base_env = gl.baseline_database(env)
    names = ("here", args.baseline_ref)
    phases: dict[str, list] = {name: [] for name in names}
    with uvicorn("governed_lookup:bench_app", env, workers=args.workers) as here, \
            uvicorn("governed_lookup:bench_app", base_env, workers=args.workers,
                    root=gl.baseline_tree(args.baseline_ref)) as there:
        servers = dict(zip(names, (here, there)))
        for server in servers.values():  # warm-up
            load(server.host, server.port, make, connections=args.connections, seconds=1)
        for i in range(args.rounds):
            for name in (names if i % 2 == 0 else names[::-1]):
                server = servers[name]
                phase = load(server.host, server.port, make, connections=args.connections, seconds=args.seconds)
                if phase.errors:
                    raise SystemExit(f"{name}: {phase.failures[:3]}")
                phases[name].append(phase)
    rows = []
    for name in names:
        lat = [x for p in phases[name] for x in p.latencies_ms]
        requests, seconds = sum(p.requests for p in phases[name]), sum(p.seconds for p in phases[name])
        rows.append({"server": name, "connections": args.connections, "requests": requests, "rps": requests / seconds,
                     "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99)})
    ratios = [a.rps / b.rps for a, b in zip(*(phases[n] for n in names))]
    report(f"sequential_client_{store}", rows, {
        "baseline_ref": args.baseline_ref, "audit_flush_ms": float(env["GOVSHARE_AUDIT_FLUSH_MS"]),
        "workers": args.workers, "ratio_rounds": ratios, "ratio_median": statistics.median(ratios), "code": code,
        "code_changed_during_run": code_state() != code})
    print(f"lookups/s here / at {args.baseline_ref}, {args.connections} connection(s): median of {len(ratios)} rounds "
          f"{statistics.median(ratios):.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}); window "
          f"{env['GOVSHARE_AUDIT_FLUSH_MS']} ms on both")
    gl.cleanup(env, base_env)


if __name__ == "__main__":
    main()
