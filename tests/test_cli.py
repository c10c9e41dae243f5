"""The operator CLI: every command with --json output, as scripts use it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from govshare.cli import app
from tests.conftest import make_uscc

runner = CliRunner()


def _json(result) -> dict:
    assert result.stdout.strip(), result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_init_is_idempotent(database):
    for _ in range(2):
        result = runner.invoke(app, ["init"])
        assert result.exit_code == 0, result.output
        assert "database ready" in result.stdout


def test_org_user_client_create_with_json(platform, client):
    code = make_uscc()
    result = runner.invoke(app, ["org", "create", "--code", code, "--name", "舟山市医疗保障局", "--region", "330900",
                                 "--level", "city", "--short-name", "ybj_cli", "--json"])
    assert result.exit_code == 0, result.output
    org = _json(result)
    assert org["code"] == code and org["warnings"] == []

    result = runner.invoke(app, ["user", "create", "--username", "ybj_cli_admin", "--org", code, "--role", "org_admin",
                                 "--role", "approver", "--password", "a long password", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(_json(result)["roles"]) == ["approver", "org_admin"]

    result = runner.invoke(app, ["client", "create", "--org", "ybj_cli", "--name", "医保结算系统", "--scope", "data:read",
                                 "--json"])
    assert result.exit_code == 0, result.output
    created = _json(result)
    assert created["client_id"].startswith("gs_") and created["client_secret"]
    token = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": created["client_id"],
                                              "client_secret": created["client_secret"]})
    assert token.status_code == 200


@pytest.mark.parametrize("args,code", [
    (["org", "create", "--code", "91330900MA28K0XX1X", "--name", "坏代码单位", "--region", "999999", "--level", "city"],
     "invalid_input"),
    (["org", "create", "--code", "short", "--name", "x单位", "--region", "330900", "--level", "city"], "invalid_input"),
    (["user", "create", "--username", "nobody1", "--org", "no_such_org", "--password", "long password x"],
     "org_not_found"),
    (["client", "create", "--org", "no_such_org"], "org_not_found"),
])
def test_cli_errors_are_json_with_exit_code_2(database, args, code):
    result = runner.invoke(app, args + ["--json"])
    assert result.exit_code == 2
    assert _json(result)["error"]["code"] == code


def test_separation_of_duties_in_cli(platform):
    org = platform.org()
    result = runner.invoke(app, ["user", "create", "--username", "two_duties", "--org", org["code"],
                                 "--role", "platform_admin", "--role", "auditor", "--password", "long password x",
                                 "--json"])
    assert result.exit_code == 2 and _json(result)["error"]["code"] == "separation_of_duties"


def test_early_credit_code_warns(database):
    code = make_uscc(valid=False)
    result = runner.invoke(app, ["org", "create", "--code", code, "--name", "早期单位", "--region", "330902",
                                 "--level", "county", "--json"])
    assert result.exit_code == 0
    assert _json(result)["code_check_failed"] is True and _json(result)["warnings"]


def test_data_dir_option_chooses_where_sqlite_and_keys_live(tmp_path):
    import os
    import stat
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("GOVSHARE_DATABASE_URL", "GOVSHARE_SECRET_KEY")}
    target = tmp_path / "platform"
    result = subprocess.run([sys.executable, "-m", "govshare.cli", "--data-dir", str(target), "init"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (target / "govshare.db").exists()
    assert stat.S_IMODE((target / "secret.key").stat().st_mode) == 0o600
