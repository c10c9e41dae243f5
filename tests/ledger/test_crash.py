"""SIGKILL at any moment of sequencing or integration leaves a log that verifies, with no gap and no
fork, and the next process continues from the last durable state (a real process, killed in a loop)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from govshare.ledger import tree
from govshare.ledger.integrator import integrate_all
from govshare.ledger.verify import verify_log

WRITER = r"""
import random
from govshare.core.database import session_scope
from govshare.exchange import audit
from govshare.ledger import sequencer
from govshare.ledger.integrator import integrate

n = 0
print("ready", flush=True)
while True:
    futures = [audit.log_event(sequencer.make_event("test.crash", entry_id="crash", n=n + j))
               for j in range(random.randint(1, 400))]
    n += len(futures)
    if random.random() < 0.3:  # governance events, sequenced at commit on another connection
        with session_scope() as session:
            for j in range(random.randint(1, 5)):
                sequencer.record(session, "test.governance", entry_id="crash", n=j)
    for future in futures:
        future.result(60)
    if random.random() < 0.6:
        integrate()
"""


def _start() -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE, env=dict(os.environ))
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def test_sigkill_in_a_loop_never_breaks_the_log(clean_db):
    tree.complete_tiles.clear()
    rng = random.Random()
    sizes = []
    for _ in range(8):
        proc = _start()
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        tree.complete_tiles.clear()
        report = verify_log()
        assert report.ok, report.problems
        assert report.sequenced == report.leaves >= report.integrated
        sizes.append((report.leaves, report.integrated))
    assert sizes == sorted(sizes) and sizes[-1][0] > sizes[0][0] > 0
    # The survivors' leaves are all integrated by the next integrator, and the whole log checks out.
    assert integrate_all() == sizes[-1][0]
    final = verify_log()
    assert final.ok and final.integrated == final.leaves
