"""The salt pool: slices of the OS CSPRNG, each handed out once, never shared with a forked child."""

from __future__ import annotations

import os
import threading

from govshare.core.security import random_bytes


def test_slices_are_never_handed_out_twice_across_threads_and_refills():
    seen: list[bytes] = []
    lock = threading.Lock()

    def take():
        mine = [random_bytes(16) for _ in range(2000)]  # 4 threads x 32 KB: several refills of the pool
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8000 and all(len(s) == 16 for s in seen)
    assert len(set(seen)) == 8000
    assert len(random_bytes(10_000)) == 10_000  # more than the pool holds at once


def test_a_forked_child_does_not_reuse_its_parents_bytes():
    random_bytes(16)  # the parent's pool holds unused bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send what it would hand out next
        os.write(write, random_bytes(64))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 64 and child != random_bytes(64)
