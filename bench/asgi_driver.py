"""A child process of bench/app_cost.py: one source tree's app, driven in-process through ASGI.

    PYTHONPATH=<root>/bench:<root> python asgi_driver.py

It imports `governed_lookup.bench_app` from the tree it is run in (this one's or a baseline
worktree's), runs the app's lifespan (so the ledger integrator runs when GOVSHARE_INTEGRATOR=1), and
then answers commands on stdin, one JSON object per line:

    {"path": ..., "keys": [...], "headers": [[name, value], ...]}    set the request to send
    {"run": seconds, "concurrency": n, "profile": path}                closed loop for that long
                                                                       (profile: cProfile of the event
                                                                       loop's thread, written to path)

Each run prints one JSON line: requests, wall seconds, the process's CPU seconds (all its threads:
the event loop, the audit writer, the integrator, the WAL checkpointer) and the statuses seen.
No sockets and no HTTP parsing: what is measured is the app's own CPU per request, which is where
two versions of the app differ; uvicorn's share is the same for both and left out.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import sys
import threading
import time
from collections import Counter


async def main() -> None:
    from governed_lookup import bench_app
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # pragma: no cover
        pass
    app = bench_app()
    loop = asyncio.get_running_loop()
    request: dict = {}
    async with app.router.lifespan_context(app):
        print(json.dumps({"ready": True}), flush=True)
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            if "path" in command:
                request = {"path": command["path"], "keys": [k.encode() for k in command["keys"]],
                           "headers": [(n.lower().encode(), v.encode()) for n, v in command["headers"]]}
                print(json.dumps({"ok": True}), flush=True)
            elif "run" in command:
                print(json.dumps(await run(app, request, command["run"], command.get("concurrency", 32),
                                           command.get("profile"))), flush=True)


async def run(app, request: dict, seconds: float, concurrency: int, profile: str | None = None) -> dict:
    statuses: Counter = Counter()
    choice = random.Random(11).choice
    path, keys, headers = request["path"], request["keys"], request["headers"]
    deadline = time.monotonic() + seconds

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def worker() -> None:
        status = [0]

        async def send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]

        while time.monotonic() < deadline:
            scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                     "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                     "query_string": b"id_number=" + choice(keys), "root_path": "", "headers": headers,
                     "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
            await app(scope, receive, send)
            statuses[status[0]] += 1

    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    threads, cpu, wall = thread_cpu(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    after = thread_cpu()
    by_thread = {name: after[name] - threads.get(name, 0.0) for name in after}
    return {"requests": sum(statuses.values()), "wall": wall, "cpu": cpu, "threads": by_thread,
            "statuses": {str(k): v for k, v in statuses.items()}, "rss_mb": rss_mb(),
            "gc_objects": len(gc.get_objects())}


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each of the process's threads, by name (the main thread runs the event
    loop; the audit writer, the integrator and the WAL checkpointer have their own)."""
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except (OSError, TypeError):  # the thread has just ended
            continue
        name = "event loop" if thread is threading.main_thread() else thread.name.split(" ")[0]
        out[name] = out.get(name, 0.0) + seconds
    return out


if __name__ == "__main__":
    asyncio.run(main())
