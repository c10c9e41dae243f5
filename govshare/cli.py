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
demand_app = typer.Typer(help="Supply–demand matching (供需对接): state, answer, route and close needs.",
                         no_args_is_help=True)
request_app = typer.Typer(help="Access requests: file, decide, escalate overdue ones.", no_args_is_help=True)
grant_app = typer.Typer(help="Grants: list, revoke, renew.", no_args_is_help=True)
exchange_app = typer.Typer(help="Exchange calls as an API client: lookup, verify, export, change feed.",
                           no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(client_app, name="client")
app.add_typer(mount_app, name="mount")
app.add_typer(demand_app, name="demand")
app.add_typer(request_app, name="request")
app.add_typer(grant_app, name="grant")
app.add_typer(exchange_app, name="exchange")
monitor_app = typer.Typer(help="Monitoring rules and their alerts (事中监控).", no_args_is_help=True)
app.add_typer(monitor_app, name="monitor")
ledger_app = typer.Typer(help="The tamper-evident ledger: integrate, verify, receipts, keys.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

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


def _emit_plain(data, as_json: bool, text: str) -> None:
    """Like `_emit` for text holding user data: no markup, no wrapping (scripts may read it too)."""
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


AS_HELP = "Act as this console user (username); their department and roles apply."


@app.command()
def init():
    """Create or upgrade the database schema (Alembic migrations) and the signing key."""
    from govshare.core.config import get_settings
    from govshare.core.migrate import upgrade_to_head
    from govshare.core.database import session_scope
    from govshare.ledger import keys
    settings = get_settings()
    settings.resolved_secret_key()
    upgrade_to_head()
    with session_scope() as session:
        key = keys.publish(session)
    console.print(f"database ready: {settings.resolved_database_url.split('@')[-1]}")
    console.print(f"ledger key: {key.verifier_key}", markup=False, highlight=False, soft_wrap=True)


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
                id_number: Optional[str] = typer.Option(None, help="A citizen account's ID number (role citizen; "
                                                        "kept only as a keyed hash)"),
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
                          password=password, roles=role, id_number=id_number)
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


# ---- sharing: helpers ------------------------------------------------------------------------------

def _as_user(session, username: str):
    """The Principal of a named console user, as if they had logged in to the console."""
    from govshare.orgs.service import active_user_by_username, user_principal
    return user_principal(active_user_by_username(session, username, field="--as"))


def _split(value: Optional[str]) -> Optional[list[str]]:
    """`a,b, c` → ['a', 'b', 'c']; None stays None (not given)."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """`name=value` arguments → dict; a malformed one is invalid input."""
    from govshare.core.errors import InvalidInput
    out: dict[str, str] = {}
    bad = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            bad.append({"field": option, "reason": "expected name=value", "value": value})
        else:
            out[name.strip()] = rest
    if bad:
        raise InvalidInput(f"{option}: expected name=value", details=bad)
    return out


def _entry_ref(session, ref: str) -> str:
    """An entry id from an id or a catalog code (分类码/顺序码); unknown refs pass through to the service."""
    from sqlalchemy import select

    from govshare.catalog.models import CatalogEntry
    found = session.scalar(select(CatalogEntry.id).where((CatalogEntry.id == ref) | (CatalogEntry.code == ref)))
    return found or ref


def _page(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}


LIMIT = typer.Option(50, "--limit", min=1, max=1000, help="Page size.")
OFFSET = typer.Option(0, "--offset", min=0, help="Rows to skip.")


# ---- demands ---------------------------------------------------------------------------------------

def _demand_line(d: dict) -> str:
    flags = [f for f in ("overdue", "unmet", "promise_overdue") if d.get(f)]
    line = f"{d['id']}  {d['status']}{' (' + ', '.join(flags) + ')' if flags else ''}  {d['title']}  " \
           f"wanted by {d['wanted_by']}  [{d['consumer_name']}]"
    if d.get("answer"):
        line += f"  answer={d['answer']}"
    return line


@demand_app.command("create")
def demand_create(as_user: str = typer.Option(..., "--as", help=AS_HELP),
                  title: str = typer.Option(...), purpose: str = typer.Option(...),
                  wanted_by: str = typer.Option(..., "--wanted-by", help="YYYY-MM-DD"),
                  description: str = typer.Option(""),
                  wanted_items: str = typer.Option("", "--wanted-items", help="Wanted items in free words"),
                  as_json: bool = typer.Option(False, "--json")):
    """State a need; prints the best-matching catalog entries as suggestions."""
    from govshare.core.database import session_scope
    from govshare.sharing import demands
    from govshare.sharing.schemas import DemandCreate
    with _reported(as_json):
        data = DemandCreate(title=title, purpose=purpose, wanted_by=wanted_by, description=description,
                            wanted_items=wanted_items)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            out = demands.demand_read(demands.create_demand(session, data, principal)).model_dump(mode="json")
    text = f"created demand {out['id']}: {out['title']} (wanted by {out['wanted_by']})"
    text += "".join(f"\n  suggestion: {s['entry_id']} {s['code']} {s['name']} ({s['provider']})"
                    for s in out["suggestions"])
    _emit_plain(out, as_json, text)


@demand_app.command("list")
def demand_list(view: str = typer.Option("open", help="all, open, overdue, answered, unmet, met, promise_overdue, "
                                                     "mine, to_me"),
                as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP + " Needed for mine and to_me."),
                limit: int = LIMIT, offset: int = OFFSET, as_json: bool = typer.Option(False, "--json")):
    """List demands (the open / overdue / unmet lists feed evaluation)."""
    from govshare.core.database import session_scope
    from govshare.core.errors import InvalidInput
    from govshare.orgs.service import Principal
    from govshare.sharing import demands
    with _reported(as_json):
        with session_scope(read_only=True) as session:
            if as_user:
                principal = _as_user(session, as_user)
            elif view in ("mine", "to_me"):
                raise InvalidInput(f"view {view} is relative to a department: pass --as USERNAME",
                                   details=[{"field": "--as", "reason": f"required for view {view}"}])
            else:  # the platform-wide views do not depend on who asks
                principal = Principal(kind="user", id="cli", name="platform operator (CLI)", org_id="", org_code="")
            rows, total = demands.list_demands(session, principal, view, limit, offset)
            out = _page([demands.demand_read(d) for d in rows], total, limit, offset)
    _emit_plain(out, as_json, "\n".join([*map(_demand_line, out["items"]), f"{total} demand(s) ({view})"]))


@demand_app.command("answer")
def demand_answer(demand_id: str = typer.Argument(..., help="Demand id"),
                  as_user: str = typer.Option(..., "--as", help=AS_HELP),
                  answer: str = typer.Option(..., help="exists, will_publish or cannot_share"),
                  entry: Optional[str] = typer.Option(None, "--entry", help="For exists: the entry id or code"),
                  promised_by: Optional[str] = typer.Option(None, "--promised-by",
                                                            help="For will_publish: YYYY-MM-DD"),
                  note: Optional[str] = typer.Option(None, help="For cannot_share: the legal basis"),
                  as_json: bool = typer.Option(False, "--json")):
    """Answer a demand for a providing department (or as the operator)."""
    from govshare.core.database import session_scope
    from govshare.sharing import demands
    from govshare.sharing.schemas import DemandAnswer
    with _reported(as_json):
        with session_scope() as session:
            principal = _as_user(session, as_user)
            data = DemandAnswer(answer=answer, entry_id=_entry_ref(session, entry) if entry else None,
                                promised_by=promised_by, note=note)
            out = demands.demand_read(demands.answer_demand(session, demand_id, data, principal)).model_dump(
                mode="json")
    _emit_plain(out, as_json, f"answered demand {out['id']}: {out['answer']}"
                + (f" (entry {out['answer_entry_id']})" if out["answer_entry_id"] else "")
                + (f" (promised by {out['promised_by']})" if out["answer"] == "will_publish" else ""))


@demand_app.command("route")
def demand_route(demand_id: str = typer.Argument(..., help="Demand id"),
                 as_user: str = typer.Option(..., "--as", help="The platform operator's username"),
                 org: str = typer.Option(..., help="Org credit code or short name that should answer"),
                 as_json: bool = typer.Option(False, "--json")):
    """Hand a demand to the department that should answer it (platform operator)."""
    from govshare.core.database import session_scope
    from govshare.sharing import demands
    with _reported(as_json):
        with session_scope() as session:
            principal = _as_user(session, as_user)
            demand = demands.route_demand(session, demand_id, org, principal)
            out = demands.demand_read(demand).model_dump(mode="json")
            routed = demands.org_name(session, demand.routed_org_id)
    _emit_plain(out, as_json, f"routed demand {out['id']} to {routed}")


@demand_app.command("close")
def demand_close(demand_id: str = typer.Argument(..., help="Demand id"),
                 as_user: str = typer.Option(..., "--as", help=AS_HELP),
                 satisfied: bool = typer.Option(..., "--satisfied/--unsatisfied", help="Was the need met?"),
                 rating: int = typer.Option(..., help="1–5"),
                 comment: str = typer.Option("", help="Feedback (why a need stays unmet)"),
                 as_json: bool = typer.Option(False, "--json")):
    """Close a demand with feedback (the department that filed it)."""
    from govshare.core.database import session_scope
    from govshare.sharing import demands
    from govshare.sharing.schemas import DemandClose
    with _reported(as_json):
        data = DemandClose(satisfied=satisfied, rating=rating, comment=comment)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            out = demands.demand_read(demands.close_demand(session, demand_id, data, principal)).model_dump(
                mode="json")
    _emit_plain(out, as_json, f"closed demand {out['id']}: {'met' if out['satisfied'] else 'unmet'}, "
                              f"rating {out['rating']}")


# ---- access requests -------------------------------------------------------------------------------

def _request_line(r: dict) -> str:
    line = f"{r['id']}  {r['status']}{' (overdue)' if r['overdue'] else ''}  {r['entry_code']} {r['entry_name']}  " \
           f"for {r['consumer_name']}  items={','.join(r['items'])}  methods={','.join(r['methods'])}"
    if r["due_at"] and r["status"] in ("pending", "escalated"):
        line += f"  due {r['due_at']}"
    if r["grant_id"]:
        line += f"  grant={r['grant_id']}"
    if r["decision_reason"]:
        line += f"  reason: {r['decision_reason']}"
    return line


@request_app.command("file")
def request_file(as_user: str = typer.Option(..., "--as", help=AS_HELP),
                 entry: str = typer.Option(..., help="Entry id or code"),
                 items: str = typer.Option(..., help="Comma-separated item names"),
                 methods: str = typer.Option(..., help="Comma-separated: lookup, verify, export, feed"),
                 purpose: str = typer.Option(...), legal_basis: str = typer.Option("", "--legal-basis"),
                 clients: Optional[str] = typer.Option(None, help="Comma-separated client_ids that will use the grant"),
                 mask: list[str] = typer.Option([], "--mask", help="Repeatable item=policy asked for "
                                                                    "(clear, mask, pseudonym, drop)"),
                 region_item: Optional[str] = typer.Option(None, "--region-item",
                                                           help="Item holding each row's region code"),
                 region_code: Optional[str] = typer.Option(None, "--region-code",
                                                           help="Default: the department's region"),
                 duration_days: int = typer.Option(365, "--duration-days"),
                 as_json: bool = typer.Option(False, "--json")):
    """File an access request; unconditional entries are granted at once, conditional ones go to the provider."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    from govshare.sharing.schemas import AccessRequestCreate
    with _reported(as_json):
        with session_scope() as session:
            principal = _as_user(session, as_user)
            data = AccessRequestCreate(
                entry_id=_entry_ref(session, entry), items=_split(items), methods=_split(methods), purpose=purpose,
                legal_basis=legal_basis, client_ids=_split(clients) or [], masking=_pairs(mask, "--mask"),
                region_item=region_item, region_code=region_code, duration_days=duration_days)
            out = service.request_read(service.file_request(session, data, principal)).model_dump(mode="json")
    text = f"filed request {out['id']}: {out['status']}"
    if out["status"] == "pending":
        text += f" (decision due {out['due_at']})"
    if out["grant_id"]:
        text += f"; grant {out['grant_id']}"
    if out["decision_reason"]:
        text += f"; {out['decision_reason']}"
    _emit_plain(out, as_json, text)


@request_app.command("list")
def request_list(as_user: str = typer.Option(..., "--as", help=AS_HELP),
                 view: str = typer.Option("mine", help="mine, inbox (to decide, by deadline), arbitration"),
                 status: Optional[str] = typer.Option(None, help="pending, approved, rejected, refused, escalated, "
                                                                 "open, overdue"),
                 limit: int = LIMIT, offset: int = OFFSET, as_json: bool = typer.Option(False, "--json")):
    """List access requests of the user's department (or the operator's arbitration queue)."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    with _reported(as_json):
        with session_scope(read_only=True) as session:
            principal = _as_user(session, as_user)
            rows, total = service.list_requests(session, principal, view, status, limit, offset)
            out = _page([service.request_read(r) for r in rows], total, limit, offset)
    _emit_plain(out, as_json, "\n".join([*map(_request_line, out["items"]), f"{total} request(s) ({view})"]))


@request_app.command("approve")
def request_approve(request_id: str = typer.Argument(..., help="Access request id"),
                    as_user: str = typer.Option(..., "--as", help=AS_HELP),
                    items: Optional[str] = typer.Option(None, help="Narrow to these items (comma-separated)"),
                    methods: Optional[str] = typer.Option(None, help="Narrow to these methods (comma-separated)"),
                    duration_days: Optional[int] = typer.Option(None, "--duration-days", help="Shorten the grant"),
                    mask: list[str] = typer.Option([], "--mask", help="Repeatable item=policy: tighten masking "
                                                                      "(clear < mask < pseudonym < drop)"),
                    region_item: Optional[str] = typer.Option(None, "--region-item"),
                    region_code: Optional[str] = typer.Option(None, "--region-code", help="Narrow the region"),
                    rate_limit: Optional[int] = typer.Option(None, "--rate-limit", help="Calls per minute"),
                    note: Optional[str] = typer.Option(None, help="Decision note"),
                    as_json: bool = typer.Option(False, "--json")):
    """Approve a request (provider's approver; the operator for escalated or refused ones). Narrow only."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    from govshare.sharing.schemas import ApproveBody
    with _reported(as_json):
        body = ApproveBody(items=_split(items), methods=_split(methods), duration_days=duration_days,
                           masking=_pairs(mask, "--mask"), region_item=region_item, region_code=region_code,
                           rate_limit_per_minute=rate_limit, note=note)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            req = service.approve(session, request_id, body, principal)
            out = service.request_read(req).model_dump(mode="json")
            out["grant"] = service.grant_read(service.get_grant(session, req.grant_id, principal)).model_dump(
                mode="json")
    masks = ", ".join(f"{k}={v}" for k, v in out["grant"]["masking"].items())
    _emit_plain(out, as_json, f"approved request {out['id']}: grant {out['grant_id']} until "
                              f"{out['grant']['expires_at']}\n  masking: {masks}")


@request_app.command("reject")
def request_reject(request_id: str = typer.Argument(..., help="Access request id"),
                   as_user: str = typer.Option(..., "--as", help=AS_HELP),
                   reason: str = typer.Option(..., help="Why (the consumer sees it)"),
                   as_json: bool = typer.Option(False, "--json")):
    """Reject a request (provider's approver; the operator upholds a refusal the same way)."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    from govshare.sharing.schemas import RejectBody
    with _reported(as_json):
        body = RejectBody(reason=reason)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            out = service.request_read(service.reject(session, request_id, body, principal)).model_dump(mode="json")
    _emit_plain(out, as_json, f"rejected request {out['id']}: {out['decision_reason']}")


@request_app.command("escalate")
def request_escalate(as_json: bool = typer.Option(False, "--json")):
    """Platform job (for cron): hand every pending request past its deadline to the operator; prints the count."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    with _reported(as_json):
        with session_scope() as session:
            count = service.escalate_overdue(session)
    _emit_plain({"escalated": count}, as_json, f"escalated {count} overdue request(s)")


# ---- grants ----------------------------------------------------------------------------------------

def _grant_line(g: dict) -> str:
    return (f"{g['id']}  {g['status']}  {g['entry_code']} {g['entry_name']}  for {g['consumer_name']}  "
            f"items={','.join(g['items'])}  methods={','.join(g['methods'])}  expires {g['expires_at']}")


@grant_app.command("list")
def grant_list(as_user: str = typer.Option(..., "--as", help=AS_HELP),
               side: str = typer.Option("consumer", help="consumer (held) or provider (given)"),
               status: Optional[str] = typer.Option(None, help="active, expired or revoked"),
               entry: Optional[str] = typer.Option(None, help="Only this entry (id or code)"),
               limit: int = LIMIT, offset: int = OFFSET, as_json: bool = typer.Option(False, "--json")):
    """List the grants the user's department holds or gave."""
    from govshare.core.database import session_scope
    from govshare.core.errors import InvalidInput
    from govshare.sharing import service
    from govshare.sharing.schemas import GrantStatus
    with _reported(as_json):
        if status is not None and status not in {s.value for s in GrantStatus}:
            raise InvalidInput("status must be active, expired or revoked",
                               details=[{"field": "status", "reason": "unknown", "value": status}])
        with session_scope(read_only=True) as session:
            principal = _as_user(session, as_user)
            rows, total = service.list_grants(session, principal, side, status,
                                              _entry_ref(session, entry) if entry else None, limit, offset)
            out = _page([service.grant_read(g) for g in rows], total, limit, offset)
    _emit_plain(out, as_json, "\n".join([*map(_grant_line, out["items"]), f"{total} grant(s) ({side})"]))


@grant_app.command("revoke")
def grant_revoke(grant_id: str = typer.Argument(..., help="Grant id"),
                 as_user: str = typer.Option(..., "--as", help=AS_HELP),
                 reason: str = typer.Option(..., help="Why (the consumer sees it)"),
                 as_json: bool = typer.Option(False, "--json")):
    """Revoke a grant; effective at once in every server process."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    from govshare.sharing.schemas import RevokeBody
    with _reported(as_json):
        body = RevokeBody(reason=reason)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            out = service.grant_read(service.revoke_grant(session, grant_id, body, principal)).model_dump(mode="json")
    _emit_plain(out, as_json, f"revoked grant {out['id']}: {out['revoke_reason']}")


@grant_app.command("renew")
def grant_renew(grant_id: str = typer.Argument(..., help="Grant id"),
                as_user: str = typer.Option(..., "--as", help=AS_HELP),
                days: int = typer.Option(..., "--days", help="Extend by this many days"),
                as_json: bool = typer.Option(False, "--json")):
    """Extend a grant (provider's approver or the operator)."""
    from govshare.core.database import session_scope
    from govshare.sharing import service
    from govshare.sharing.schemas import RenewBody
    with _reported(as_json):
        body = RenewBody(duration_days=days)
        with session_scope() as session:
            principal = _as_user(session, as_user)
            out = service.grant_read(service.renew_grant(session, grant_id, body, principal)).model_dump(mode="json")
    _emit_plain(out, as_json, f"renewed grant {out['id']}: expires {out['expires_at']}")


# ---- exchange (as an API client) -------------------------------------------------------------------

CLIENT_ID = typer.Option(..., "--client-id", envvar="GOVSHARE_CLIENT_ID", help="The API client's client_id")
CLIENT_SECRET = typer.Option(..., "--client-secret", envvar="GOVSHARE_CLIENT_SECRET",
                             help="The API client's secret (or GOVSHARE_CLIENT_SECRET)")


def _as_client(client_id: str, client_secret: str, entry: str):
    """(Principal, entry id) exactly as the API sees a client: credentials → token → claims."""
    from govshare.core.database import session_scope
    from govshare.core.security import decode_token
    from govshare.orgs.service import issue_client_token, principal_from_claims
    with session_scope(read_only=True) as session:
        token, _, _ = issue_client_token(session, client_id, client_secret)
        entry_id = _entry_ref(session, entry)
    return principal_from_claims(decode_token(token)), entry_id


@contextmanager
def _reading():
    from govshare.core.database import get_engine
    with get_engine().connect() as conn:
        yield conn.execution_options(read_only=True)


def _as_json_data(body) -> dict:
    """The body as the API would send it (dates ISO, decimals as numbers)."""
    from govshare.exchange.service import dumps
    return json.loads(dumps(body))


@exchange_app.command("lookup")
def exchange_lookup(entry: str = typer.Argument(..., help="Entry id or code"),
                    keys: list[str] = typer.Argument(..., help="key_item=value for every key item"),
                    client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                    fields: Optional[str] = typer.Option(None, help="Comma-separated items to return"),
                    as_json: bool = typer.Option(False, "--json")):
    """Look up rows by key: granted items only, masked per the grant, audited."""
    from govshare.exchange import service
    with _reported(as_json):
        query = _pairs(keys, "key")
        if fields:
            query["fields"] = fields
        principal, entry_id = _as_client(client_id, client_secret, entry)
        with _reading() as conn:
            outcome = service.lookup(conn, principal, entry_id, query)
        out = _as_json_data(outcome.wait())
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in out["records"]) or "no record"
    _emit_plain(out, as_json, text)


@exchange_app.command("verify")
def exchange_verify(entry: str = typer.Argument(..., help="Entry id or code"),
                    match: list[str] = typer.Argument(..., help="item=value (the key items and those to check)"),
                    client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                    as_json: bool = typer.Option(False, "--json")):
    """Yes/no verification (核验): does the keyed row hold these values?"""
    from govshare.exchange import service
    with _reported(as_json):
        wanted = _pairs(match, "match")
        principal, entry_id = _as_client(client_id, client_secret, entry)
        with _reading() as conn:
            outcome = service.verify(conn, principal, entry_id, wanted)
        out = _as_json_data(outcome.wait())
    _emit_plain(out, as_json, "true" if out["result"] else "false")


@exchange_app.command("export")
def exchange_export(entry: str = typer.Argument(..., help="Entry id or code"),
                    client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                    fmt: str = typer.Option("csv", "--format", help="csv, jsonl, parquet or xlsx"),
                    out_file: Path = typer.Option(..., "--out", help="File to write (replaced when complete)"),
                    as_json: bool = typer.Option(False, "--json")):
    """Bulk export from one snapshot; prints the row count and the feed cursor to follow the changes from."""
    from govshare.core.database import get_engine
    from govshare.exchange import service
    with _reported(as_json):
        principal, entry_id = _as_client(client_id, client_secret, entry)
        started = service.export(get_engine(), principal, entry_id, fmt)
        partial = out_file.with_name(out_file.name + ".part")
        size = 0
        try:
            with open(partial, "wb") as fh:
                for chunk in started.chunks:
                    fh.write(chunk)
                    size += len(chunk)
            partial.replace(out_file)
        finally:
            started.chunks.close()
            partial.unlink(missing_ok=True)
    out = {"entry_id": entry_id, "format": fmt, "file": str(out_file), "rows": started.rows,
           "cursor": str(started.cursor), "bytes": size}
    _emit_plain(out, as_json, f"exported {out['rows']} rows to {out_file} ({size} bytes); "
                              f"feed cursor {out['cursor']}")


@exchange_app.command("changes")
def exchange_changes(entry: str = typer.Argument(..., help="Entry id or code"),
                     client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                     cursor: Optional[str] = typer.Option(None, help="Start after this (an export's feed cursor, "
                                                                     "or a previous next_cursor)"),
                     limit: int = typer.Option(1000, min=1, max=10_000),
                     as_json: bool = typer.Option(False, "--json")):
    """Changes after the cursor, oldest first; prints next_cursor to continue from."""
    from govshare.exchange import service
    with _reported(as_json):
        principal, entry_id = _as_client(client_id, client_secret, entry)
        with _reading() as conn:
            outcome = service.changes(conn, principal, entry_id, cursor, limit)
        out = _as_json_data(outcome.wait())
    lines = [f"{c['seq']}  {c['op']}  {c['key']}" + (f"  {json.dumps(c['record'], ensure_ascii=False)}"
                                                      if c["record"] is not None else "") for c in out["changes"]]
    _emit_plain(out, as_json, "\n".join([*lines, f"next_cursor={out['next_cursor']}"]))


# ---- ledger -------------------------------------------------------------------------------------------

def _key_texts(key_file: Optional[Path]) -> list[str]:
    return [line.strip() for line in key_file.read_text().splitlines() if line.strip()] if key_file else []


@ledger_app.command("integrate")
def ledger_integrate(as_json: bool = typer.Option(False, "--json")):
    """Integrate every sequenced event now and sign a checkpoint (the servers do this every second)."""
    from govshare.ledger.integrator import integrate_all
    size = integrate_all()
    _emit({"tree_size": size}, as_json, f"integrated: {size} leaves")


@ledger_app.command("checkpoint")
def ledger_checkpoint():
    """Print the latest signed checkpoint (save it: `ledger verify --from-checkpoint` checks it later)."""
    from govshare.core.database import session_scope
    from govshare.ledger import service
    with _reported(False), session_scope(read_only=True) as session:
        note = service.latest_checkpoint(session).note
    sys.stdout.write(note)


@ledger_app.command("public-key")
def ledger_public_key(as_json: bool = typer.Option(False, "--json")):
    """The verifier keys (current first), one per line: what `verify-receipt --key` takes."""
    from govshare.core.database import session_scope
    from govshare.ledger import keys
    with session_scope() as session:
        keys.publish(session)
        rows = [{"key_id": k.key_id, "verifier_key": k.verifier_key, "retired_at": k.retired_at}
                for k in keys.verifier_keys(session)]
    _emit_plain(rows, as_json, "\n".join(r["verifier_key"] for r in rows))


@ledger_app.command("rotate-key")
def ledger_rotate_key(as_json: bool = typer.Option(False, "--json")):
    """Replace the signing key; the old public key stays listed, so old signatures still verify."""
    from govshare.core.database import session_scope
    from govshare.ledger import keys
    with session_scope() as session:
        old, new = keys.rotate(session)
        out = {"retired": old.verifier_key, "current": new.verifier_key}
    _emit_plain(out, as_json, f"retired: {out['retired']}\ncurrent: {out['current']}")


@ledger_app.command("verify")
def ledger_verify(from_checkpoint: Optional[Path] = typer.Option(
                      None, "--from-checkpoint", exists=True, dir_okay=False,
                      help="A checkpoint saved earlier: check the log still extends it"),
                  key_file: Optional[Path] = typer.Option(None, "--key", exists=True, dir_okay=False,
                                                          help="Extra verifier keys, one per line"),
                  as_json: bool = typer.Option(False, "--json")):
    """Recompute the whole tree from the stored leaves and check every node, checkpoint and signature.
    Exit code 1 and the first bad index when anything was modified, deleted, inserted or reordered."""
    from govshare.ledger import verify
    extra = _key_texts(key_file)
    if from_checkpoint is not None:
        report = verify.verify_from_checkpoint(from_checkpoint.read_text(), extra_keys=extra)
    else:
        report = verify.verify_log(extra_keys=extra)
    out = report.to_dict()
    if report.ok:
        text = (f"ok: {report.leaves} leaves, {report.integrated} integrated under {report.checkpoints} "
                "checkpoints; every node and signature checks out")
    else:
        text = "\n".join([f"FAILED: first bad index {report.first_bad_index}"]
                         + [f"  {p['kind']}: {p['message']}" for p in report.problems])
    _emit_plain(out, as_json, text)
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("verify-receipt")
def ledger_verify_receipt(receipt_file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                              help="The GovShare-Receipt header value "
                                                                         "(or its JSON) in a file"),
                          key_file: Optional[Path] = typer.Option(None, "--key", exists=True, dir_okay=False,
                                                                  help="Verifier keys, one per line: "
                                                                  "offline, no database needed"),
                          as_json: bool = typer.Option(False, "--json")):
    """Check a receipt against the published key; with the platform's database at hand, also that the
    leaf is stored and, once integrated, its inclusion proof in the latest checkpoint."""
    from govshare.ledger import receipts
    keys = _key_texts(key_file)
    try:
        out = receipts.check(receipt_file.read_text(), keys)
    except receipts.ReceiptError as exc:
        _emit_plain({"ok": False, "error": str(exc)}, as_json, f"INVALID: {exc}")
        raise typer.Exit(1) from None
    text = [f"ok: leaf {out['seq']} promised by {out['origin']} for inclusion by {out['include_by']}"]
    if out.get("included") is not None:
        text.append(f"included in the checkpoint of {out['tree_size']} leaves: proof verified"
                    if out["included"] else f"not yet integrated (tree size {out['tree_size']})")
    _emit_plain(out, as_json, "\n".join(text))
    if out.get("included") is False and out.get("overdue"):
        raise typer.Exit(1)


@monitor_app.command("run")
def monitor_run(as_json: bool = typer.Option(False, "--json")):
    """Run the monitoring rules over the calls since the last pass (the scheduler does this every round)."""
    from govshare.core.database import session_scope
    from govshare.ledger import monitoring
    with session_scope() as session:
        alerts = monitoring.run_rules(session)
        out = [{"id": a.id, "rule": a.rule, "provider_org_id": a.provider_org_id, "count": a.count,
                "detail": a.detail} for a in alerts]
    _emit_plain(out, as_json, "\n".join(f"{a['id']}  {a['rule']}  {a['detail']}" for a in out) or "no alert")


@monitor_app.command("alerts")
def monitor_alerts(as_user: str = typer.Option(..., "--as", help=AS_HELP),
                   all_alerts: bool = typer.Option(False, "--all", help="Acknowledged ones too"),
                   as_json: bool = typer.Option(False, "--json")):
    """The alerts about your department's data (security officers)."""
    from govshare.core.database import session_scope
    from govshare.ledger import monitoring
    from govshare.ledger.schemas import AlertRead
    with _reported(as_json), session_scope(read_only=True) as session:
        rows, _ = monitoring.list_alerts(session, _as_user(session, as_user), not all_alerts, 200, 0)
        out = [AlertRead.model_validate(r).model_dump(mode="json") for r in rows]
    _emit_plain(out, as_json, "\n".join(f"{a['created_at']}  {a['rule']}  {a['detail']}" for a in out)
                or "no alert")


def _validation_error(exc) -> GovShareError:
    from govshare.core.errors import InvalidInput
    details = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
    return InvalidInput("invalid input: " + "; ".join(f"{d['field']}: {d['reason']}" for d in details),
                        details=details)


def run() -> None:  # pragma: no cover - console script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
