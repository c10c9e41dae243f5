"""A load killed with SIGKILL at any point leaves the previous data, change log and mount state intact,
and the entry loads normally afterwards. Runs a real child process against the same database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from govshare.core.config import get_settings
from tests.mounting.conftest import changes, data_rows, person_rows, to_csv, upload

CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from govshare.core.database import session_scope
    from govshare.catalog import service as catalog
    from govshare.catalog.models import CatalogEntry
    from govshare.mounting import service as mounting

    entry_id, path = sys.argv[1], Path(sys.argv[2])
    with session_scope(read_only=True) as session:
        items = catalog.item_specs(session.get(CatalogEntry, entry_id))
    info = {}
    inner = mounting.file_source(path, path.name, items, info)

    def announcing(outcome):
        for n, batch in enumerate(inner(outcome), start=1):
            yield batch
            print(f"batch {n}", flush=True)
        print("merging", flush=True)

    mounting.run_recorded_load(entry_id, "replace", "upload", announcing, info, None, filename=path.name)
    print("done", flush=True)
""")


@pytest.mark.parametrize("kill_after", ["batch 1", "batch 3", "merging"])
@pytest.mark.parametrize("first_load", [True, False])
def test_sigkill_mid_load_keeps_previous_state(client, provider_entry, tmp_path, kill_after, first_load):
    entry, headers = provider_entry
    if not first_load:
        assert upload(client, entry, headers, to_csv(person_rows(10))).status_code == 200
    before_rows, before_changes = data_rows(entry["id"]), changes(entry["id"])
    before_mount = client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers).json()["mount"]
    big = tmp_path / "persons.csv"
    big.write_bytes(to_csv(person_rows(6000, start=1000)))
    settings = get_settings()
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(settings.data_dir), "GOVSHARE_LOAD_BATCH_ROWS": "1000",
           "GOVSHARE_DATABASE_URL": settings.resolved_database_url}
    child = subprocess.Popen([sys.executable, "-c", CHILD, entry["id"], str(big)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:
            if line.strip() == kill_after:
                os.kill(child.pid, signal.SIGKILL)
                break
        else:
            pytest.fail("child finished before the kill point: " + child.stderr.read()[-2000:])
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert data_rows(entry["id"]) == before_rows
    assert changes(entry["id"]) == before_changes
    after_mount = client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers).json()["mount"]
    assert after_mount == before_mount
    # The store is not left locked or half-written: the next load goes through.
    report = upload(client, entry, headers, to_csv(person_rows(5, start=9000)))
    assert report.status_code == 200, report.text
    assert len(data_rows(entry["id"])) == 5
