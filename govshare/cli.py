"""The operator's command line: `govshare --help`."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from govshare.core.config import reset_settings
from govshare.core.errors import GovShareError

app = typer.Typer(help="GovShare: government data sharing and exchange platform (政务数据共享交换平台).",
                  no_args_is_help=True, pretty_exceptions_enable=False)
org_app = typer.Typer(help="Departments (organizations).", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
client_app = typer.Typer(help="API clients (OAuth2 client credentials).", no_args_is_help=True)
mount_app = typer.Typer(help="Mounted data: database sources and pulls.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(client_app, name="client")
app.add_typer(mount_app, name="mount")

console = Console()
err_console = Console(stderr=True)


@app.callback()
def main(data_dir: Optional[Path] = typer.Option(None, "--data-dir", envvar="GOVSHARE_DATA_DIR",
                                                 help="Where SQLite, keys and uploads live.")):
    if data_dir is not None:
        os.environ["GOVSHARE_DATA_DIR"] = str(data_dir)
    reset_settings()


def _fail(exc: GovShareError, as_json: bool) -> None:
    if as_json:
        print(json.dumps(exc.to_dict(), ensure_ascii=False))
    else:
        err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        if exc.details:
            err_console.print(exc.details)
    raise typer.Exit(2)


@contextmanager
def _reported(as_json: bool):
    """Turn invalid input and service errors into a clear message (or JSON) and exit code 2."""
    from pydantic import ValidationError
    try:
        yield
    except ValidationError as exc:
        _fail(_validation_error(exc), as_json)
    except GovShareError as exc:
        _fail(exc, as_json)


def _emit(data: dict, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        console.print(text)


@app.command()
def init():
    """Create or upgrade the database schema (Alembic migrations) and the signing key."""
    from govshare.core.config import get_settings
    from govshare.core.migrate import upgrade_to_head
    settings = get_settings()
    settings.resolved_secret_key()
    upgrade_to_head()
    console.print(f"database ready: {settings.resolved_database_url.split('@')[-1]}")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, help="TCP port."),
          workers: int = typer.Option(1, help="Worker processes (share one database)."),
          scheduler: bool = typer.Option(True, help="Run scheduled database pulls (one process wins the lease).")):
    """Serve the API and the console."""
    import uvicorn

    from govshare.core.config import get_settings
    from govshare.core.migrate import upgrade_to_head
    get_settings().resolved_secret_key()
    upgrade_to_head()
    os.environ["GOVSHARE_SCHEDULER"] = "1" if scheduler else "0"
    uvicorn.run("govshare.asgi:app", host=host, port=port, workers=workers, log_level="info")


@app.command()
def demo(serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the console afterwards."),
         host: str = "127.0.0.1", port: int = 8000,
         rebuild: bool = typer.Option(False, help="Rebuild even if a demo database exists."),
         scale: float = typer.Option(1.0, help="Data volume factor (1.0 = 100,000 persons).")):
    """Build the demo city (deterministic) on first run, then serve it."""
    from govshare.demo.city import build_demo_city
    credentials = build_demo_city(rebuild=rebuild, scale=scale, console=console)
    console.print(f"\n[bold]GovShare demo city[/bold] — console: http://{host}:{port}/")
    for row in credentials["logins"][:6]:
        console.print(f"  {row['username']:<22} {row['password']}  ({row['org']}; {', '.join(row['roles'])})")
    console.print(f"  … all demo logins and API clients: {credentials['path']}")
    if serve_after:
        serve(host=host, port=port, workers=1, scheduler=True)


@org_app.command("create")
def org_create(code: str = typer.Option(..., help="统一社会信用代码"), name: str = typer.Option(...),
               region: str = typer.Option(..., help="6-digit region code"),
               level: str = typer.Option(..., help="national|provincial|city|county"),
               short_name: Optional[str] = typer.Option(None), parent: Optional[str] = typer.Option(None),
               as_json: bool = typer.Option(False, "--json")):
    """Register a department."""
    from govshare.core.database import session_scope
    from govshare.orgs import service
    from govshare.orgs.schemas import OrgCreate, OrgRead
    with _reported(as_json):
        data = OrgCreate(code=code, name=name, region_code=region, level=level, short_name=short_name,
                         parent_code=parent)
        with session_scope() as session:
            org, warnings = service.create_org(session, data)
            out = OrgRead.model_validate(org).model_copy(update={"warnings": warnings}).model_dump()
    _emit(out, as_json, f"created {out['name']} ({out['code']}) id={out['id']}"
          + "".join(f"\n[yellow]warning[/yellow]: {w}" for w in out["warnings"]))


@user_app.command("create")
def user_create(username: str = typer.Option(...), org: str = typer.Option(..., help="Org credit code or short name"),
                role: list[str] = typer.Option([], "--role", help="Repeatable"),
                display_name: Optional[str] = typer.Option(None),
                password: Optional[str] = typer.Option(None, help="Default: prompt (or GOVSHARE_NEW_PASSWORD)"),
                as_json: bool = typer.Option(False, "--json")):
    """Create a console user with roles (separation of duties is enforced)."""
    from govshare.core.database import session_scope
    from govshare.orgs import service
    from govshare.orgs.schemas import UserCreate
    password = password or os.environ.get("GOVSHARE_NEW_PASSWORD")
    if not password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _reported(as_json):
        data = UserCreate(username=username, display_name=display_name or username, org_code=org,
                          password=password, roles=role)
        with session_scope() as session:
            user = service.create_user(session, data)
            out = {"id": user.id, "username": user.username, "org_id": user.org_id, "roles": sorted(user.roles)}
    _emit(out, as_json, f"created user {out['username']} roles={','.join(out['roles']) or '-'}")


@client_app.command("create")
def client_create(org: str = typer.Option(..., help="Org credit code or short name"),
                  name: str = typer.Option("default", help="Application name"),
                  scope: list[str] = typer.Option(["data:read"], "--scope",
                                                  help="Repeatable: data:read, data:write, catalog:write"),
                  as_json: bool = typer.Option(False, "--json")):
    """Create an API client; prints client_id and client_secret (the secret is shown only once)."""
    from govshare.core.database import session_scope
    from govshare.orgs import service
    from govshare.orgs.schemas import ClientCreate
    with _reported(as_json):
        data = ClientCreate(name=name, org_code=org, scopes=scope)
        with session_scope() as session:
            client, secret = service.create_client(session, data, service.get_org_by_code(session, org))
            out = {"id": client.id, "client_id": client.client_id, "client_secret": secret,
                   "org_id": client.org_id, "scopes": client.scopes}
    _emit(out, as_json, f"client_id={out['client_id']}\nclient_secret={out['client_secret']}  (shown once)")


@mount_app.command("pull")
def mount_pull(entry: str = typer.Argument(..., help="Entry id or code"),
               full: Optional[bool] = typer.Option(None, "--full/--incremental",
                                                   help="Force a full (replace) or an incremental (upsert) pull; "
                                                        "default: incremental, with a periodic full pull"),
               as_json: bool = typer.Option(False, "--json")):
    """Pull an entry's database source now, as the platform operator; prints the load report."""
    from govshare.mounting import sources
    from govshare.mounting.schemas import LoadReport
    with _reported(as_json):
        record = sources.pull(entry, None, full)
    out = LoadReport.model_validate(record).model_dump(mode="json")
    _emit(out, as_json, f"{out['status']} ({out['mode']}): {out['rows_read']} rows read, {out['inserted']} inserted, "
                        f"{out['updated']} updated, {out['deleted']} deleted, {out['unchanged']} unchanged "
                        f"[load {out['id']}]")


@mount_app.command("run-due")
def mount_run_due(max_pulls: int = typer.Option(20, "--max", help="At most this many pulls in this pass."),
                  as_json: bool = typer.Option(False, "--json")):
    """One scheduler pass (for cron): pull the sources whose schedule is due, unless a server holds the lease."""
    from govshare.mounting import sources
    out = sources.run_due_pulls(max_pulls, release=True)
    if not out["lease"]:
        text = "another process holds the mount-scheduler lease; nothing done"
    else:
        text = "\n".join(f"{p['entry_id']}: {p['status']}" + (f" ({p.get('error')}: {p.get('message')})"
                                                               if p["status"] != "succeeded" else "")
                         for p in out["pulls"]) or "no pulls due"
    _emit(out, as_json, text)


def _validation_error(exc) -> GovShareError:
    from govshare.core.errors import InvalidInput
    details = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
    return InvalidInput("invalid input: " + "; ".join(f"{d['field']}: {d['reason']}" for d in details),
                        details=details)


def run() -> None:  # pragma: no cover - console script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
