"""Bench plumbing for HTTP benchmarks: a small HTTP/1.1 keep-alive load generator and a real uvicorn.

The load generator is asyncio `Protocol`s on raw sockets (uvloop when available): N connections,
each sends a GET and waits for the whole answer (Content-Length framing, which is what every
govshare JSON answer uses) before it sends the next one. Two modes:

- closed loop (default): every connection always has one request in flight, i.e. the server runs
  flat out at concurrency N; by Little's law the mean latency is then N / throughput.
- open loop (`rate=R`): requests are due at R per second whatever the server does; a request that
  finds no idle connection waits, and its latency counts from when it was due (no coordinated
  omission). This gives the latency at a given load rather than at saturation.

It parses only the status line and Content-Length, and keeps no bodies unless asked: at a few
thousand requests/s it costs a fraction of one core (`cpu_s` in the result says how much).
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import time
from array import array
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
    uvloop = None

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


@dataclass
class Phase:
    """What one measured phase saw."""

    requests: int = 0
    seconds: float = 0.0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    latencies_ms: array = field(default_factory=lambda: array("d"))
    cpu_s: float = 0.0  # the load generator's own CPU time during the phase
    bodies: list[bytes] = field(default_factory=list)
    unsent: int = 0  # open loop: requests that fell due but found no free connection before the end
    spread: dict[str, int] = field(default_factory=dict)  # connections per server worker (pid)
    failures: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.requests - self.statuses.get(200, 0) + len(self.failures)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class _Client(asyncio.Protocol):
    def __init__(self, run: _Run):
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.need = -1  # bytes of the whole answer once the head is parsed, else -1
        self.body_at = 0
        self.status = 0
        self.due = 0.0  # when the request in flight was due (latency origin)
        self.busy = False
        self.discarded = False  # closed before the phase (see `spread`)
        self.connected = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected.set_result(None)

    def send(self, request: bytes, due: float) -> None:
        self.busy, self.due = True, due
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.need < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self.run.fail(self, "answer without Content-Length (chunked answers are not supported)")
                return
            stop = head.find(b"\r\n", at + 2)
            self.body_at = end + 4
            self.need = end + 4 + int(head[at + 17: stop if stop > 0 else len(head)])
        if len(buf) < self.need:
            return
        body = bytes(buf[self.body_at:self.need]) if self.run.keep else None
        extra = len(buf) - self.need
        if extra:
            self.run.fail(self, f"{extra} unexpected bytes after an answer")
            return
        self.buf = bytearray()
        self.need = -1
        self.busy = False
        self.run.done(self, self.status, body)

    def connection_lost(self, exc):
        if self.discarded:
            return
        if self.busy or not self.run.finished.done():
            self.run.fail(self, f"connection closed by the server ({exc})")


class _Run:
    def __init__(self, make_request: Callable[[], bytes], seconds: float, rate: float | None, keep: int):
        self.make_request, self.seconds, self.rate, self.keep = make_request, seconds, rate, keep
        self.phase = Phase()
        self.idle: collections.deque[_Client] = collections.deque()
        self.backlog: collections.deque[float] = collections.deque()  # due times of waiting requests
        self.clients: list[_Client] = []
        self.in_flight = 0
        self.start = self.deadline = 0.0
        self.finished = asyncio.get_running_loop().create_future()
        self.clock = time.perf_counter

    def begin(self) -> None:
        self.start = self.clock()
        self.deadline = self.start + self.seconds
        if self.rate is None:
            for client in self.clients:
                self._send(client, self.start)
        else:
            self.idle.extend(self.clients)

    def _send(self, client: _Client, due: float) -> None:
        self.in_flight += 1
        client.send(self.make_request(), due)

    def offer(self, due: float) -> None:
        """Open loop: a request falls due."""
        if self.idle:
            self._send(self.idle.popleft(), due)
        else:
            self.backlog.append(due)

    def done(self, client: _Client, status: int, body: bytes | None) -> None:
        now = self.clock()
        self.in_flight -= 1
        phase = self.phase
        phase.requests += 1
        phase.statuses[status] += 1
        phase.latencies_ms.append((now - client.due) * 1000.0)
        if body is not None and len(phase.bodies) < self.keep:
            phase.bodies.append(body)
        if now < self.deadline:
            if self.rate is None:
                self._send(client, now)
            elif self.backlog:
                self._send(client, self.backlog.popleft())
            else:
                self.idle.append(client)
        elif self.in_flight == 0 and not self.finished.done():
            phase.seconds = now - self.start
            self.finished.set_result(None)

    def fail(self, client: _Client, why: str) -> None:
        self.phase.failures.append(why)
        if client.transport is not None:
            client.transport.abort()
        if not self.finished.done():
            self.phase.seconds = self.clock() - self.start
            self.finished.set_result(None)


async def _connect(run: _Run, host: str, port: int, connections: int, spread: list[int] | None) -> None:
    """Open the phase's connections; with `spread` (the server's worker pids), as evenly over the workers
    as their accept race allows: a burst of connects to a shared listening socket otherwise tends to land
    on one worker, and the measurement would be of one process."""
    loop = asyncio.get_running_loop()
    per_worker = -(-connections // len(spread)) if spread else connections
    counts = dict.fromkeys(spread or [], 0)
    attempts = 0
    while len(run.clients) < connections:
        _, client = await loop.create_connection(lambda: _Client(run), host, port)
        attempts += 1
        if spread:
            owner = None
            for _ in range(200):  # the worker accepts it within a few ms
                owner = _socket_owner(port, client.transport.get_extra_info("sockname")[1], spread)
                if owner is not None:
                    break
                await asyncio.sleep(0.001)
            if owner is not None and counts[owner] >= per_worker and attempts < 50 * connections:
                client.discarded = True
                client.transport.close()
                continue
            if owner is not None:
                counts[owner] += 1
        run.clients.append(client)
    run.phase.spread = {str(pid): n for pid, n in counts.items()}


def _tcp_sockets() -> list[list[str]]:
    """The fields of every line of /proc/net/tcp and tcp6 (local, remote, state, …, inode)."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows += [line.split() for line in Path(table).read_text().splitlines()[1:]]
        except OSError:
            continue
    return rows


def _socket_owner(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The pid among `pids` that holds the server end of the loopback connection from `client_port`."""
    inode = next((fields[9] for fields in _tcp_sockets()
                  if int(fields[1].rsplit(":", 1)[1], 16) == server_port
                  and int(fields[2].rsplit(":", 1)[1], 16) == client_port), None)
    if not inode or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _ticker(run: _Run) -> asyncio.Future:
    """Open loop: offer the run's requests as they fall due, `run.rate` per second, until its deadline."""
    async def tick():
        issued, rate = 0, run.rate
        while True:
            now = run.clock()
            if now >= run.deadline:
                break
            due_count = int((now - run.start) * rate)
            while issued < due_count:
                issued += 1
                run.offer(run.start + issued / rate)
            # uvloop's timers have millisecond resolution: a shorter sleep would spin
            await asyncio.sleep(max(0.001, run.start + (issued + 1) / rate - run.clock()))
        if run.in_flight == 0 and not run.finished.done():
            run.phase.seconds = run.clock() - run.start
            run.finished.set_result(None)
    return asyncio.ensure_future(tick())


async def _phase(host: str, port: int, make_request: Callable[[], bytes], connections: int, seconds: float,
                 rate: float | None, keep: int, spread: list[int] | None) -> Phase:
    run = _Run(make_request, seconds, rate, keep)
    await _connect(run, host, port, connections, spread)
    cpu0 = time.process_time()
    run.begin()
    ticker = _ticker(run) if rate is not None else None
    try:
        await asyncio.wait_for(run.finished, seconds + 60)
    finally:
        if ticker is not None:
            ticker.cancel()
        run.phase.unsent = len(run.backlog)
        run.phase.cpu_s = time.process_time() - cpu0
        for client in run.clients:
            if client.transport is not None:
                client.transport.close()
    return run.phase


def load(host: str, port: int, make_request: Callable[[], bytes], *, connections: int = 64, seconds: float = 10.0,
         rate: float | None = None, keep_bodies: int = 0, spread: list[int] | None = None) -> Phase:
    """One phase: `connections` keep-alive connections, requests from `make_request()` (raw bytes of an
    HTTP/1.1 request), for `seconds`; closed loop, or open loop at `rate` requests/s. `spread`: the
    server's worker pids, to spread the connections evenly over them."""
    coro = _phase(host, port, make_request, connections, seconds, rate, keep_bodies, spread)
    if uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)


def load_side_by_side(targets: list[tuple[str, int, Callable[[], bytes], list[int] | None]], *,
                      connections: int = 32, seconds: float = 10.0, rate: float | None = None) -> list[Phase]:
    """Closed loops (or open loops at `rate` requests/s each) on several servers at once, `connections`
    each, started together after every connection is open: the servers share the machine's CPU and its
    noise over the same seconds."""
    async def run() -> list[Phase]:
        runs = [_Run(make, seconds, rate, 0) for _, _, make, _ in targets]
        for r, (host, port, _, spread) in zip(runs, targets):
            await _connect(r, host, port, connections, spread)
        cpu0 = time.process_time()
        for r in runs:
            r.begin()
        tickers = [_ticker(r) for r in runs] if rate is not None else []
        try:
            await asyncio.wait_for(asyncio.gather(*(r.finished for r in runs)), seconds + 60)
        finally:
            for ticker in tickers:
                ticker.cancel()
            for r in runs:
                r.phase.unsent = len(r.backlog)
                r.phase.cpu_s = time.process_time() - cpu0
                for client in r.clients:
                    if client.transport is not None:
                        client.transport.close()
        return [r.phase for r in runs]
    return uvloop.run(run()) if uvloop is not None else asyncio.run(run())


def get(path: str, host: str = "127.0.0.1", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def code_state() -> dict:
    """Which code is measured: HEAD and a digest of uncommitted changes under govshare/ (others may be
    editing the tree while a benchmark runs; compare the state at the start and at the end)."""
    import hashlib

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return out.stdout.rstrip()

    diff = git("diff", "HEAD", "--", "govshare")
    return {"root": str(ROOT), "commit": git("rev-parse", "--short", "HEAD"),
            "modified": git("status", "--short", "--", "govshare").splitlines(),
            "diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12] if diff else None}


# ---- a real uvicorn ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    host: str
    port: int

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def pids(self) -> list[int]:
        """The uvicorn process and all its descendants (workers)."""
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                pass
        return out

    def workers(self) -> list[int]:
        """Worker pids: the children of the uvicorn supervisor, or uvicorn itself when it has one worker."""
        pids = self.pids()
        return [p for p in pids if p != self.proc.pid and _cmdline(p).find("resource_tracker") < 0] or [pids[0]]

    def cpu_s(self) -> float:
        """CPU time (user + system) of every process of the server so far."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")


def _listeners(port: int) -> set[str]:
    """Socket inodes listening on TCP `port` (any address)."""
    return {fields[9] for fields in _tcp_sockets()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port}  # 0A: LISTEN


def _owns(pids: list[int], inodes: set[str]) -> bool:
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return True
        except OSError:
            continue
    return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def machine_cpu_s() -> float:
    """Busy CPU time of the whole machine so far (all cores, /proc/stat): minus the server's and the load
    generator's own, it shows how much else ran during a measurement (the machine is shared)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    busy = sum(fields[:8]) - idle
    return busy / os.sysconf("SC_CLK_TCK")


def comm_cpu_s(comm: str = "postgres") -> float:
    """CPU time so far of every live process named `comm` (e.g. the PostgreSQL server's backends)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            head, tail = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] == comm:
            fields = tail.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid: int, key: str) -> int:
    """A `kB` field of /proc/<pid>/status, e.g. VmHWM (peak resident set) or VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@contextmanager
def uvicorn(app: str, env: dict, *, workers: int = 1, factory: bool = True, extra_args: tuple[str, ...] = (),
            root: Path = ROOT):
    """`uvicorn APP` on 127.0.0.1 with `workers` processes (the env of this process plus `env`); waits
    until every worker answers, stops it afterwards. `root`: the source tree to serve (another
    checkout, e.g. a baseline commit's worktree, is imported before the installed package)."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning", *extra_args]
    if factory:
        cmd.append("--factory")
    pythonpath = os.pathsep.join([str(root / "bench"), str(root), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "PYTHONPATH": pythonpath}, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Server(proc, "127.0.0.1", port)
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError("uvicorn exited:\n" + proc.stderr.read().decode()[-3000:])
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start in 90 s")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                if workers == 1 or len(server.workers()) >= workers:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not _owns(server.pids(), _listeners(port)):  # the machine is shared: was the free port taken?
            raise RuntimeError(f"port {port} answers, but not from this uvicorn")
        time.sleep(0.5 if workers == 1 else 2.0)  # let every worker finish its startup
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
