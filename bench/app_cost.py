"""The app's own CPU per governed lookup, this tree against a commit without the ledger, in-process.

    python bench/app_cost.py [--baseline-ref f12fd8a] [--rounds 20] [--seconds 3] [--profile DIR]

bench/governed_lookup.py measures the issue's figure end to end (HTTP, two uvicorn workers, a load
generator, throughput): on this small shared machine its rounds move by ±10% and more, as much as
the figure they judge. This bench asks the narrower question underneath: how much more CPU does the
app spend on a governed lookup with the ledger than without it? Each side is one process of its own
source tree (`asgi_driver.py`) whose app is driven in-process through ASGI by `--concurrency`
tasks (no sockets, no HTTP parsing, no load generator), on one database set up as governed_lookup
sets it up (the baseline's audit table added). The two take turns (ABBA), `--rounds` times,
`--seconds` of closed loop each; one side runs while the other waits.

Reported per side: the process's CPU per request (every thread: event loop, audit writer,
integrator, WAL checkpointer) and in-process throughput; per thread, its CPU per request on both
sides (where an extra cost goes); and the paired rounds' extra µs per request and cost (1 - CPU
there / CPU here: the throughput a CPU-bound app loses), medians with bootstrap 95% intervals. The
cost is of the app alone. It is not an upper bound of a served request's: one process here serves
~3,000–4,000 lookups/s, so each group commit carries ~12–16 calls, while each of governed_lookup's two
uvicorn workers serves half the load in commits of ~4–9; the ledger's per-commit work (the receipt
signature ~45–60 µs, the wider rows ~20–40 µs) is spread over fewer calls there. Use it to find where
a cost goes and to compare versions, not to judge the 10%.

`--profile DIR` adds one more turn per side under cProfile (event loop thread only; not counted)
and prints the functions whose own time per request differs most. Wall time, not CPU: a function
that releases the GIL shows the time it waited to get it back (that is how `hmac.digest`, which
releases it on every call, was found).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import judge, median_interval, report, table  # noqa: E402
from governed_lookup import (  # noqa: E402
    _baseline_audit_table, _keys, baseline_tree, bench_env, cleanup, persons_csv, setup_world,
)
from loadgen import ROOT, code_state  # noqa: E402


class Side:
    """One source tree's app in a child process (`asgi_driver.py`)."""

    def __init__(self, name: str, root: Path, env: dict):
        self.name = name
        pythonpath = os.pathsep.join([str(root / "bench"), str(root)])
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "asgi_driver.py")], cwd=root,
                                     env={**os.environ, **env, "PYTHONPATH": pythonpath},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()  # ready

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.name}: the driver exited (rc {self.proc.wait()})")
        return json.loads(line)

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default="f12fd8a", help="a commit without the ledger")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0, help="per turn")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here and compare")
    parser.add_argument("--no-integrator", action="store_true", help="leave the ledger integrator out")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    code = code_state()
    env, store = bench_env(args.database_url, "gs-bench-app-cost-")
    world = setup_world(persons_csv(args.rows), ["lookup", "verify"], ["api"])
    _baseline_audit_table()
    keys = [k.decode() for k in _keys(world.data_table)]
    request = {"path": f"/api/v1/data/{world.entry_id}/records", "keys": keys,
               "headers": [["authorization", f"Bearer {world.token}"], ["host", "bench"]]}
    sides = {"ledger": Side("ledger", ROOT, {**env, "GOVSHARE_INTEGRATOR": "0" if args.no_integrator else "1"}),
             "baseline": Side("baseline", baseline_tree(args.baseline_ref), env)}
    try:
        for side in sides.values():
            side.ask(**request)
            warm = side.ask(run=args.warmup, concurrency=args.concurrency)
            if set(warm["statuses"]) != {"200"}:
                raise SystemExit(f"{side.name}: {warm['statuses']}")
        turns: dict[str, list[dict]] = {name: [] for name in sides}
        for i in range(args.rounds):
            for name in (list(sides) if i % 2 == 0 else list(sides)[::-1]):
                turn = sides[name].ask(run=args.seconds, concurrency=args.concurrency)
                if set(turn["statuses"]) != {"200"}:
                    raise SystemExit(f"{name}: {turn['statuses']}")
                turns[name].append(turn)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            profiled = {name: side.ask(run=args.seconds, concurrency=args.concurrency,
                                       profile=str(args.profile / f"{name}.prof"))["requests"]
                        for name, side in sides.items()}
    finally:
        for side in sides.values():
            side.close()

    def us(turn: dict) -> float:
        return turn["cpu"] / turn["requests"] * 1e6

    rows = []
    for name, runs in turns.items():
        per = [us(t) for t in runs]
        q = statistics.quantiles(per, n=4)
        rows.append({"store": store, "side": name, "turns": len(runs), "requests": sum(t["requests"] for t in runs),
                     "cpu_us_per_req": statistics.median(per), "q1": q[0], "q3": q[2],
                     "rps_in_process": sum(t["requests"] for t in runs) / sum(t["wall"] for t in runs),
                     "cpu_pct": 100 * sum(t["cpu"] for t in runs) / sum(t["wall"] for t in runs)})
    # Where the CPU goes: each thread's µs per request (median of turns) on both sides.
    names = sorted({n for runs in turns.values() for t in runs for n in t["threads"]})
    threads = []
    for name in names:
        per_side = {side: statistics.median(t["threads"].get(name, 0.0) / t["requests"] * 1e6 for t in runs)
                    for side, runs in turns.items()}
        threads.append({"thread": name, "ledger_us": per_side["ledger"], "baseline_us": per_side["baseline"],
                        "extra_us": per_side["ledger"] - per_side["baseline"]})
    extra = [us(a) - us(b) for a, b in zip(turns["ledger"], turns["baseline"])]
    costs = [1 - us(b) / us(a) for a, b in zip(turns["ledger"], turns["baseline"])]
    rps_costs = [1 - (b["requests"] / b["wall"]) / (a["requests"] / a["wall"])
                 for a, b in zip(turns["ledger"], turns["baseline"])]
    median_extra, median_cost = statistics.median(extra), statistics.median(costs)
    extra_interval, cost_interval = median_interval(extra), median_interval(costs)
    verdict = judge(cost_interval, 0.10)
    print(f"the ledger's extra CPU per governed lookup, in the app: {median_extra:.1f} µs (95% interval "
          f"{extra_interval[0]:.1f} … {extra_interval[1]:.1f}) over {args.rounds} paired rounds; "
          f"{rows[0]['cpu_us_per_req']:.0f} µs here, {rows[1]['cpu_us_per_req']:.0f} µs at {args.baseline_ref}; "
          f"cost (1 - CPU there / CPU here) {median_cost:.1%} ({cost_interval[0]:.1%} … {cost_interval[1]:.1%}), "
          f"from in-process throughput {statistics.median(rps_costs):.1%}; goal <= 10%: {verdict}")
    print()
    table(threads)
    print()
    if args.profile:
        profile_diff(args.profile, profiled)
        print()
    report(f"app_cost_{store}", rows, {
        "baseline_ref": args.baseline_ref, "rounds": args.rounds, "seconds_per_turn": args.seconds,
        "concurrency": args.concurrency, "integrator": not args.no_integrator,
        "threads_us_per_req": threads, "extra_us_rounds": extra, "extra_us": median_extra,
        "extra_us_interval": extra_interval, "cost_rounds": costs, "cost": median_cost,
        "cost_interval": cost_interval, "cost_rps_rounds": rps_costs, "verdict": verdict,
        "code": code, "code_changed_during_run": code_state() != code})
    cleanup(env)


def profile_diff(folder: Path, requests: dict[str, int], top: int = 20) -> None:
    """The functions whose own (wall) time per request differs most between the sides' profiles."""
    import pstats

    def per_request(name: str) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for (file, _, function), (_, _, own, _, _) in pstats.Stats(str(folder / f"{name}.prof")).stats.items():
            where = file.rsplit("site-packages/", 1)[-1].rsplit("govshare/", 1)[-1]
            key = (where, function)
            out[key] = out.get(key, 0.0) + own / requests[name] * 1e6
        return out

    here, there = per_request("ledger"), per_request("baseline")
    rows = [{"function": f"{where}:{function}"[-70:], "ledger_us": here.get((where, function), 0.0),
             "baseline_us": there.get((where, function), 0.0),
             "extra_us": here.get((where, function), 0.0) - there.get((where, function), 0.0)}
            for where, function in set(here) | set(there)]
    table(sorted(rows, key=lambda r: -abs(r["extra_us"]))[:top])


if __name__ == "__main__":
    main()
