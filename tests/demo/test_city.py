"""`govshare demo` builds a usable city once and reuses it (in its own data directory, on SQLite)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import json, sys
    from fastapi.testclient import TestClient
    from govshare.app import create_app
    creds = json.load(open(sys.argv[1]))
    with TestClient(create_app()) as http:
        admin = next(l for l in creds["logins"] if "platform_admin" in l["roles"])
        assert http.post("/api/v1/auth/login", json={"username": admin["username"],
                                                     "password": admin["password"]}).status_code == 200
        found = http.get("/api/v1/catalog/entries", params={"q": "婚姻"}).json()
        mounted = http.get("/api/v1/catalog/entries", params={"mounted": "true", "limit": 200}).json()
        unmounted = http.get("/api/v1/catalog/entries", params={"mounted": "false", "limit": 200}).json()
        client = creds["api_clients"][0]
        token = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client["client_id"],
                                                "client_secret": client["client_secret"]})
        facts = {"marriage_hits": found["total"], "mounted": mounted["total"], "unmounted": unmounted["total"],
                 "token": token.status_code, "orgs": http.get("/api/v1/orgs", params={"limit": 100}).json()["total"]}
        for view in ("open", "overdue", "unmet", "met", "promise_overdue"):
            page = http.get("/api/v1/demands", params={"view": view}).json()
            facts["demands_" + view] = page["total"]
            if view == "unmet":
                facts["unmet_reasons"] = all(d["unmet_reason"] for d in page["items"])
        facts["arbitration"] = http.get("/api/v1/access-requests", params={"view": "arbitration"}).json()["total"]

        def login(username):
            assert http.post("/api/v1/auth/login", json={"username": username,
                                                         "password": admin["password"]}).status_code == 200

        login("gaj_approver")  # 公安局 provides 户籍信息: requests wait for it, one past the deadline
        for status in ("pending", "overdue", "escalated"):
            facts["inbox_" + status] = http.get("/api/v1/access-requests",
                                                params={"view": "inbox", "status": status}).json()["total"]
        login("gjj_admin")  # 公积金中心 holds grants on 婚姻登记信息, 户籍信息 ...
        held = http.get("/api/v1/grants", params={"side": "consumer", "status": "active"}).json()
        facts["grants_held"] = held["total"]
        facts["narrowed"] = any(g["masking"].get("male_name") == "drop" for g in held["items"])
        login("citizen")  # the demo citizen: looked up by a few departments
        record = http.get("/api/v1/me/data-access").json()
        facts["citizen_record"] = record["total"]
        facts["citizen_departments"] = len({r["department"] for r in record["items"]})
        facts["checkpoint"] = http.get("/api/v1/ledger/checkpoint").text.splitlines()[1]

    from sqlalchemy import func, select
    from govshare.core.database import session_scope
    from govshare.ledger.models import LedgerEntry
    with session_scope(read_only=True) as session:
        facts["calls"] = dict(session.execute(select(LedgerEntry.outcome, func.count())
                                              .where(LedgerEntry.method.is_not(None)).group_by(LedgerEntry.outcome)).all())
    from govshare.ledger.verify import verify_log
    report = verify_log()
    facts["ledger_ok"], facts["ledger_leaves"] = report.ok, report.leaves
    print(json.dumps(facts))
""")


def _run(args, env):
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600)


def test_demo_city_builds_and_is_reused(tmp_path):
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(tmp_path), "GOVSHARE_SECRET_KEY": "demo-test-" + "k" * 40}
    env.pop("GOVSHARE_DATABASE_URL", None)  # the demo is the embedded default
    built = _run(["-m", "govshare.cli", "demo", "--no-serve", "--scale", "0.02"], env)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "platform_admin" in built.stdout and "http://127.0.0.1:8000/" in built.stdout
    creds_path = tmp_path / "demo-credentials.json"
    assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
    creds = json.loads(creds_path.read_text())
    assert len(creds["logins"]) >= 60 and len(creds["api_clients"]) >= 20

    checked = _run(["-c", CHECK, str(creds_path)], env)
    assert checked.returncode == 0, checked.stderr[-3000:]
    facts = json.loads(checked.stdout.strip().splitlines()[-1])
    assert facts["marriage_hits"] >= 1 and facts["token"] == 200 and facts["orgs"] >= 20
    assert facts["mounted"] > 50 and facts["unmounted"] > 10  # some entries deliberately unmounted

    # Sharing activity, so the lists are not empty when a visitor opens the platform.
    for view in ("open", "overdue", "unmet", "met", "promise_overdue"):
        assert facts["demands_" + view] >= 1, view
    assert facts["unmet_reasons"] and facts["arbitration"] >= 1
    assert facts["inbox_pending"] >= 1 and facts["inbox_overdue"] >= 1 and facts["inbox_escalated"] >= 1
    assert facts["grants_held"] >= 3 and facts["narrowed"]
    calls = facts["calls"]
    assert sum(calls.values()) >= 2500 and calls["ok"] >= 2000 and calls.get("not_found", 0) >= 1
    assert {"no_grant", "pending", "revoked"} <= set(calls)  # denied calls are audited too
    # Every call and governance event is in the ledger, integrated, and the log verifies.
    assert facts["ledger_ok"] and facts["ledger_leaves"] > sum(calls.values())
    assert int(facts["checkpoint"]) == facts["ledger_leaves"]
    assert facts["citizen_record"] >= 2 and facts["citizen_departments"] >= 2

    again = _run(["-m", "govshare.cli", "demo", "--no-serve"], env)
    assert again.returncode == 0 and "reusing" in again.stdout
