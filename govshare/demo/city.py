"""Build the demo city (舟山市) into the configured database through the service layer.

Deterministic: the same seed gives the same departments, people, entries and rows, and the same
sharing activity (demands, access requests, grants, exchange calls: `demo/sharing.py`). The first run
builds; later runs reuse the database unless `rebuild=True`.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from govshare.ledger.integrator import integrate_all
from govshare.catalog import service as catalog
from govshare.catalog.models import CatalogEntry
from govshare.catalog.schemas import EntryCreate
from govshare.core.config import get_settings
from govshare.core.database import dispose_engines, session_scope, utcnow
from govshare.core.migrate import upgrade_to_head
from govshare.demo import datasets, sharing
from govshare.mounting import loader, validation
from govshare.mounting import service as mounting
from govshare.orgs import service as orgs
from govshare.orgs.models import Organization
from govshare.orgs.schemas import ClientCreate, OrgCreate, UserCreate
from govshare.orgs.service import Principal

CREDENTIALS_FILE = "demo-credentials.json"


def credentials_path() -> Path:
    return get_settings().data_dir / CREDENTIALS_FILE


def demo_exists() -> bool:
    if not credentials_path().exists():
        return False
    try:
        upgrade_to_head()
        with session_scope(read_only=True) as session:
            return session.scalar(select(Organization.id).where(
                Organization.short_name == datasets.OPERATOR_SHORT)) is not None
    except Exception:  # an unreadable or foreign database: rebuild
        return False


def _reset_database() -> None:
    settings = get_settings()
    dispose_engines()
    if settings.is_sqlite:
        db = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        return
    from govshare.core.database import get_engine
    from govshare.models import drop_everything
    with get_engine().begin() as conn:
        drop_everything(conn)


def build_demo_city(rebuild: bool = False, scale: float = 1.0, seed: int = datasets.DEFAULT_SEED,
                    console: Console | None = None) -> dict:
    console = console or Console()
    if not rebuild and demo_exists():
        data = json.loads(credentials_path().read_text())
        data["path"] = str(credentials_path())
        console.print("reusing the existing demo city")
        return data
    started = time.perf_counter()
    _reset_database()
    get_settings().resolved_secret_key()
    upgrade_to_head()
    entries = datasets.catalog_entries()
    mounted = [e for e in entries if e["mounted"]]
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("departments and users", total=len(datasets.DEPARTMENTS) + len(datasets.DEMO_USERS))
        org_ids, admins, logins, clients, actors = _people(progress, task)
        task = progress.add_task("catalog entries", total=len(entries))
        entry_ids = _catalog(entries, org_ids, admins, progress, task)
        task = progress.add_task("generating data", total=1)
        big = datasets.generate_all(seed, scale)
        progress.advance(task)
        task = progress.add_task("mounting data", total=len(mounted))
        tables: dict[tuple[str, str], pa.Table] = {}
        for spec in mounted:
            table = big[spec["dataset"]] if spec.get("dataset") else datasets.small_table(spec, seed, scale)
            _mount(entry_ids[spec["name"], spec["provider"]], table, stale=spec.get("stale", False))
            tables[spec["name"], spec["provider"]] = table
            progress.advance(task)
        task = progress.add_task("sharing and exchange", total=sharing.steps())
        sharing.build_sharing(actors, entry_ids, tables, seed, lambda: progress.advance(task))
    logins.append(_citizen(sharing.citizen_id(tables)))
    integrate_all()  # the first checkpoint covers the whole demo history
    credentials = {
        "console": "http://127.0.0.1:8000/",
        "password_note": "all demo users share this password",
        "logins": logins,
        "api_clients": clients,
        "seed": seed,
        "scale": scale,
        "built_seconds": round(time.perf_counter() - started, 1),
    }
    path = credentials_path()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(credentials, fh, ensure_ascii=False, indent=2)
    credentials["path"] = str(path)
    console.print(f"demo city built in {credentials['built_seconds']} s")
    return credentials


def _citizen(id_number: str) -> dict:
    """A citizen account (their data-access record), for the population register's first person."""
    with session_scope() as session:
        orgs.create_user(session, UserCreate(username="citizen", display_name="市民（演示）",
                                             org_code=datasets.OPERATOR_SHORT, password=datasets.DEMO_PASSWORD,
                                             roles=["citizen"], id_number=id_number))
    return {"username": "citizen", "password": datasets.DEMO_PASSWORD, "org": datasets.OPERATOR_SHORT,
            "roles": ["citizen"]}


def _people(progress: Progress, task) -> tuple[dict, dict, list, list, sharing.Actors]:
    org_ids: dict[str, str] = {}
    admins: dict[str, Principal] = {}
    logins: list[dict] = []
    clients: list[dict] = []
    actors = sharing.Actors(users={}, clients={})
    with session_scope() as session:
        for dept in datasets.DEPARTMENTS:
            org, _ = orgs.create_org(session, OrgCreate(code=dept["code"], name=dept["name"], short_name=dept["short"],
                                                        region_code=dept["region_code"], level=dept["level"]))
            org_ids[dept["short"]] = org.id
            client, secret = orgs.create_client(
                session, ClientCreate(name=f"{dept['name']}业务系统", scopes=["data:read", "data:write", "catalog:write"]),
                org)
            clients.append({"org": dept["short"], "org_name": dept["name"], "client_id": client.client_id,
                            "client_secret": secret, "scopes": client.scopes})
            actors.clients[dept["short"]] = Principal(kind="client", id=client.id, name=client.name, org_id=org.id,
                                                      org_code=org.code, scopes=frozenset(client.scopes))
            progress.advance(task)
        for spec in datasets.DEMO_USERS:
            user = orgs.create_user(session, UserCreate(
                username=spec["username"], display_name=spec["display_name"], org_code=spec["org"],
                password=datasets.DEMO_PASSWORD, roles=spec["roles"]))
            actors.users[spec["username"]] = orgs.user_principal(user)
            if "org_admin" in spec["roles"]:
                admins[spec["org"]] = actors.users[spec["username"]]
            logins.append({"username": spec["username"], "password": datasets.DEMO_PASSWORD, "org": spec["org"],
                           "roles": spec["roles"]})
            progress.advance(task)
    # The operator's platform admin first: it is what a visitor most likely wants.
    logins.sort(key=lambda r: (0 if "platform_admin" in r["roles"] else 1 if "org_admin" in r["roles"] else 2))
    return org_ids, admins, logins, clients, actors


def _catalog(entries: list[dict], org_ids: dict, admins: dict, progress: Progress, task) -> dict:
    ids: dict[tuple[str, str], str] = {}
    with session_scope() as session:
        for spec in entries:
            principal = admins[spec["provider"]]
            data = EntryCreate.model_validate({k: v for k, v in spec.items() if k in EntryCreate.model_fields})
            entry = catalog.create_entry(session, data, principal)
            if spec["status"] in ("published", "withdrawn"):
                catalog.publish_entry(session, entry.id, principal)
            if spec["status"] == "withdrawn":
                catalog.withdraw_entry(session, entry.id, principal, "数据已并入其他资源，原目录停止维护")
            ids[spec["name"], spec["provider"]] = entry.id
            progress.advance(task)
    return ids


def _mount(entry_id: str, table: pa.Table, stale: bool) -> None:
    """Load a generated table through the same loader as uploads (typed columns, in item order)."""
    with session_scope(read_only=True) as session:
        items = catalog.item_specs(session.get(CatalogEntry, entry_id))
    columns = [table.column(i.name).cast(validation.arrow_type_for(i.data_type, i.precision)) for i in items]
    typed = pa.table(columns, names=[i.name for i in items])
    rows = get_settings().load_batch_rows
    source = loader.iterate_once((1 + i * rows, b) for i, b in enumerate(typed.to_batches(max_chunksize=rows)))
    mounting.run_recorded_load(entry_id, "replace", "generated", source, {"format": "arrow"}, None,
                               filename="demo-city")
    if stale:
        with session_scope() as session:
            entry = session.get(CatalogEntry, entry_id)
            entry.last_load_at = utcnow() - timedelta(days=120)
            entry.last_change_at = entry.last_load_at
