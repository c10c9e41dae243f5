"""Background threads carry their name into the kernel, where `top -H` and /proc show it."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from govshare.core.threads import native_name, start_daemon

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread names in /proc are Linux's")


def test_native_names_drop_the_prefix_and_fit_the_kernels_15_bytes():
    assert native_name("govshare-audit-writer") == "audit-writer"
    assert native_name("govshare-wal-checkpoint") == "wal-checkpoint"
    assert native_name("a-name-longer-than-fifteen") == "a-name-longer-t"
    assert len(native_name("govshare-数据共享交换平台").encode()) <= 15  # never a broken UTF-8 sequence
    assert native_name("govshare-数据共享交换平台") == "数据共享交"


@linux_only
def test_a_started_daemon_is_named_for_python_and_for_the_kernel():
    seen, release = {}, threading.Event()

    def work(tag):
        seen["tag"] = tag
        seen["comm"] = Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip()
        release.wait(5)

    thread = start_daemon(work, "govshare-test-worker", "given")
    try:
        for _ in range(500):
            if "comm" in seen:
                break
            threading.Event().wait(0.01)
        assert thread.daemon and thread.name == "govshare-test-worker"
        assert seen == {"tag": "given", "comm": "test-worker"}
        assert Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text().strip() != "test-worker"
    finally:
        release.set()
        thread.join(5)


@linux_only
def test_the_audit_writer_thread_is_visible_by_name(clean_db):
    from govshare.exchange import audit
    writer = audit.writer()
    comm = Path(f"/proc/self/task/{writer._thread.native_id}/comm").read_text().strip()
    assert comm == "audit-writer"
