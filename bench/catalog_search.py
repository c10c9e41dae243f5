"""Catalog search over 100,000 entries: p50 / p95 latency of 200 mixed Chinese queries via HTTP.

    python bench/catalog_search.py [--entries 100000] [--database-url postgresql+psycopg://...]

Goal (issue #2): p95 <= 30 ms. Entries are written in bulk straight into the tables (the
benchmark measures search, not entry creation), indexed with the same tokenizer the service uses.
A real `govshare serve` process answers the queries on loopback.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import free_port, percentile, report, server  # noqa: E402

SUBJECTS = ["婚姻登记", "户籍", "社保缴费", "不动产权属", "公积金缴存", "营业执照", "医保结算", "驾驶证记分",
            "出生医学证明", "死亡登记", "火化记录", "残疾人证", "最低生活保障", "学籍", "纳税信用", "房屋租赁",
            "企业年报", "行政处罚", "建设工程许可", "食品经营许可", "药品零售", "道路运输", "船舶登记", "渔业捕捞",
            "海域使用", "林权", "环境监测", "危险化学品", "退役军人优待", "公共租赁住房", "养老服务", "失业登记",
            "职业资格", "义务教育入学", "预防接种", "献血", "法律援助", "社区矫正", "殡葬服务", "流动人口"]
KINDS = ["信息", "记录", "名录", "目录", "统计", "明细", "台账", "状态", "结果", "证照信息"]
PLACES = ["舟山市", "定海区", "普陀区", "岱山县", "嵊泗县", "全市", "新城", "本市"]
LABELS = ["公民身份号码", "姓名", "性别", "出生日期", "联系电话", "住址", "统一社会信用代码", "单位名称", "法定代表人",
          "登记日期", "有效期限", "发证机关", "证照编号", "缴费基数", "缴费年月", "房屋坐落", "建筑面积", "权利人",
          "婚姻状况", "户号", "与户主关系", "死亡日期", "火化日期", "记分分值", "许可范围", "处罚事由", "经营范围"]
DEPARTMENTS = ["公安局", "民政局", "人力资源和社会保障局", "住房和城乡建设局", "不动产登记中心", "市场监督管理局",
               "卫生健康委员会", "教育局", "交通运输局", "住房公积金管理中心", "税务局", "自然资源和规划局", "医疗保障局",
               "残疾人联合会", "司法局", "财政局", "生态环境局", "应急管理局", "退役军人事务局", "海洋与渔业局"]


def build(n: int, seed: int = 7, open_every: int | None = None) -> None:
    """`n` entries in bulk; with `open_every`, every such entry is open data (bench/console_pages.py)."""
    from sqlalchemy import insert

    from govshare.catalog.models import CatalogClass, CatalogEntry
    from govshare.catalog.search import EntryFacets, index_document
    from govshare.core.checkdigits import uscc_check_char
    from govshare.core.database import session_scope
    from govshare.core.migrate import upgrade_to_head
    from govshare.orgs.models import Organization

    upgrade_to_head()
    rng = random.Random(seed)
    with session_scope() as session:
        orgs = []
        for i, dept in enumerate(DEPARTMENTS):
            body = f"11330900{i:08d}A"[:17]
            orgs.append({"id": f"obench{i}", "code": body + uscc_check_char(body), "name": "舟山市" + dept,
                         "short_name": f"bench{i}", "region_code": "330900", "level": "city",
                         "code_check_failed": False})
        session.execute(insert(Organization), orgs)
        session.add(CatalogClass(id=1, category="department", parent_id=None, depth=1, name="综合", number=1,
                                 code="301", next_seq=n + 1))
        session.flush()
        batch = []
        for i in range(n):
            subject = rng.choice(SUBJECTS)
            org = rng.choice(orgs)
            name = (rng.choice(PLACES) + subject + rng.choice(KINDS))[:50]
            labels = rng.sample(LABELS, 8)
            summary = (f"{org['name']}在办理{subject}业务中产生的{rng.choice(KINDS)}，包括"
                       + "、".join(labels[:5]) + f"等信息项，按{rng.choice(['日', '月', '季度'])}更新。")[:256]
            status = "published" if i % 20 else "draft"
            open_type = "open" if open_every and i % open_every == 0 else "closed"
            batch.append({
                "id": f"eb{i:07d}", "code": f"301/{i + 1:06d}", "name": name, "summary": summary,
                "category": "department", "class_id": 1, "class_path": ["综合"], "provider_org_id": org["id"],
                "format": "database", "share_type": rng.choice(["unconditional", "conditional", "conditional"]),
                "share_condition": "仅限业务办理", "share_methods": ["api"], "open_type": open_type,
                "update_cycle": "daily", "related_codes": [], "status": status, "version": 1,
                "mounted": i % 3 != 0, "row_count": 0, "last_seq": 0,
            })
            batch[-1]["_labels"] = " ".join(labels)
            batch[-1]["_provider"] = org["name"]
            if len(batch) == 5000 or i == n - 1:
                session.execute(insert(CatalogEntry), [{k: v for k, v in e.items() if not k.startswith("_")}
                                                       for e in batch])
                for e in batch:
                    index_document(session, e["id"], {"name": e["name"], "labels": e["_labels"],
                                                      "summary": e["summary"], "provider": e["_provider"]},
                                   EntryFacets(status=e["status"], provider_org_id=e["provider_org_id"],
                                               category="department", share_type=e["share_type"],
                                               open_type=e["open_type"], mounted=e["mounted"],
                                               classification_code="301"))
                batch = []
    from govshare.core.database import get_engine
    with get_engine().connect() as conn:  # what autovacuum does for a live catalog
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")


def queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    pool = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            subject = rng.choice(SUBJECTS)
            pool.append(subject[:2])  # two-character words: 婚姻, 户籍, 社保
        elif kind < 0.55:
            pool.append(rng.choice(SUBJECTS))
        elif kind < 0.7:
            pool.append(rng.choice(LABELS))
        elif kind < 0.85:
            pool.append(rng.choice(SUBJECTS)[:2] + " " + rng.choice(LABELS)[:2])
        elif kind < 0.95:
            pool.append(rng.choice(PLACES) + rng.choice(SUBJECTS))
        else:
            pool.append(rng.choice(["火星移民", "量子通信", "无人机航拍"]))  # no match
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="gs-bench-search-")
    env = {"GOVSHARE_DATA_DIR": data_dir, "GOVSHARE_SECRET_KEY": "bench-secret-" + "x" * 40,
           "GOVSHARE_LOG_LEVEL": "WARNING"}
    if args.database_url:
        env["GOVSHARE_DATABASE_URL"] = args.database_url
    os.environ.update(env)
    if args.database_url:
        _drop_all()
    started = time.perf_counter()
    build(args.entries)
    build_s = time.perf_counter() - started
    print(f"built {args.entries:,} entries in {build_s:.1f} s")

    from govshare.core.database import session_scope
    from govshare.orgs import service
    from govshare.orgs.schemas import ClientCreate
    with session_scope() as session:
        client, secret = service.create_client(session, ClientCreate(name="bench"),
                                               service.get_org_by_code(session, "bench0"))
        client_id = client.client_id

    import httpx
    port = free_port()
    with server(env, port) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                "client_secret": secret}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for q in queries(20, seed=3):  # warm-up
            http.get("/api/v1/catalog/entries", params={"q": q}, headers=headers)
        latencies, totals = [], []
        for q in queries(args.queries):
            t0 = time.perf_counter()
            resp = http.get("/api/v1/catalog/entries", params={"q": q}, headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            resp.raise_for_status()
            totals.append(resp.json()["total"])
    store = "postgresql" if args.database_url else "sqlite"
    row = {"store": store, "entries": args.entries, "queries": len(latencies),
           "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
           "max_ms": max(latencies), "mean_hits": sum(totals) / len(totals), "goal_p95_ms": 30.0,
           "meets_goal": percentile(latencies, 95) <= 30.0}
    report(f"catalog_search_{store}", [row])


def _drop_all() -> None:
    from govshare.core.database import get_engine
    from govshare.models import drop_everything
    with get_engine().begin() as conn:
        drop_everything(conn)

if __name__ == "__main__":
    main()
