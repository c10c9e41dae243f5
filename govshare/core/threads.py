"""Background threads operators can tell apart.

Python (before 3.14) names a thread only for itself: `top -H`, `ps -L`, `/proc/<pid>/task/*/comm` and
profilers show every thread of a server as `python`. `start_daemon` also gives the thread its name
in the kernel (Linux `prctl(PR_SET_NAME)`, at most 15 bytes: the name without its `govshare-` prefix),
so that one can see which of the audit writer, the WAL checkpointer or the integrator uses the CPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Callable

_PR_SET_NAME = 15
_libc = None


def native_name(name: str) -> str:
    """The kernel's form of a thread name: without the `govshare-` prefix, at most 15 bytes."""
    return name.removeprefix("govshare-").encode()[:15].decode(errors="ignore")


def set_native_name(name: str) -> None:
    """Name the calling thread in the kernel (Linux); elsewhere, or if libc refuses, nothing happens."""
    global _libc
    if not sys.platform.startswith("linux"):
        return
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        _libc.prctl(_PR_SET_NAME, native_name(name).encode(), 0, 0, 0)
    except (OSError, AttributeError):  # no libc or no prctl: the name is a convenience, not a need
        pass


def start_daemon(target: Callable[..., object], name: str, *args) -> threading.Thread:
    """Start `target(*args)` in a daemon thread called `name` (for Python and for the kernel); returns once
    the kernel has the name, so whatever looks at the thread next sees it by name."""
    named = threading.Event()

    def run() -> None:
        set_native_name(name)
        named.set()
        target(*args)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    named.wait(5)
    return thread
