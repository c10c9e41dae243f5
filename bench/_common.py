"""Shared bench plumbing: a results table on stdout and a JSON file under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median_interval(values: list[float], level: float = 0.95, resamples: int = 10_000,
                    seed: int = 1) -> tuple[float, float]:
    """A bootstrap confidence interval of the median of `values` (percentile method, fixed seed): how
    far the median of one run's paired rounds can be trusted on a noisy machine."""
    import random
    import statistics
    if len(values) < 2:
        return (values[0], values[0]) if values else (float("nan"), float("nan"))
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - level) / 2
    return medians[int(tail * resamples)], medians[min(resamples - 1, int((1 - tail) * resamples))]


def judge(interval: tuple[float, float], goal: float) -> str:
    """A cost goal judged from the 95% interval of its median: met, missed, or not resolved by the run."""
    if interval[1] <= goal:
        return "met"
    if interval[0] > goal:
        return "missed"
    return f"not resolved by this run (its 95% interval spans {goal:.0%})"


def table(rows: list[dict]) -> None:
    """Print rows as a table."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        print("  ".join(_fmt(row.get(c)).ljust(widths[c]) for c in columns))


def report(name: str, rows: list[dict], extra: dict | None = None) -> Path:
    """Print rows as a table and write them with machine facts to bench/results/<name>.json."""
    table(rows)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": sys.version.split()[0],
               "machine": platform.machine(), "cpus": os.cpu_count(), "rows": rows, **(extra or {})}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    print(f"\nwritten {path}")
    return path


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(env: dict, port: int):
    """A real `govshare serve` process on loopback, stopped afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", "govshare.cli", "serve", "--port", str(port), "--no-scheduler"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
