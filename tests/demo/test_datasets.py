"""The demo city's data: determinism, valid identifiers, consistent record sets, a sound catalog."""

from __future__ import annotations

import collections
import time

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from govshare.catalog.vocab import (
    Category,
    DataType,
    EntryFormat,
    EntryStatus,
    OpenType,
    PIKind,
    Sensitivity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from govshare.core.checkdigits import id_numbers_valid, uscc_valid, uscc_valid_array
from govshare.demo import datasets as ds

SEED = ds.DEFAULT_SEED


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return ds.generate_all(SEED, 1.0)


@pytest.fixture(scope="module")
def small_tables() -> dict[tuple[str, str], pa.Table]:
    return {(e["provider"], e["name"]): ds.small_table(e, SEED) for e in ds.CATALOG}


def _check_table(table: pa.Table, items: list[dict], what: str) -> None:
    assert table.schema.names == [it["name"] for it in items], what
    assert table.schema.equals(ds.arrow_schema(items), check_metadata=False), what
    keys = [it for it in items if it["is_key"]]
    assert len(keys) == 1, what
    key = table.column(keys[0]["name"])
    assert key.null_count == 0, what
    assert pc.count_distinct(key).as_py() == table.num_rows, f"{what}: key {keys[0]['name']} not unique"
    for it in items:
        col = table.column(it["name"])
        if it["required"]:
            assert col.null_count == 0, f"{what}.{it['name']} is required but has nulls"
        if it["data_type"] == "C":
            longest = pc.max(pc.utf8_length(col)).as_py()
            assert longest is None or longest <= it["length"], f"{what}.{it['name']}: {longest} > {it['length']}"
        if it["pi_kind"] == "id_number":
            assert id_numbers_valid(col).all(), f"{what}.{it['name']}: invalid ID numbers"
        if it["pi_kind"] == "uscc":
            assert uscc_valid_array(col).all(), f"{what}.{it['name']}: invalid credit codes"


# ------------------------------------------------------------------ big record sets


def test_determinism() -> None:
    a = ds._City(SEED, 0.05)
    b = ds._City(SEED, 0.05)
    c = ds._City(SEED + 1, 0.05)
    for name in ds.DATASETS:
        assert a.tables[name].equals(b.tables[name]), name
    assert not a.tables["population"].equals(c.tables["population"])
    entry = next(e for e in ds.CATALOG if e["name"] == "最低生活保障对象信息")
    assert ds.small_table(entry, SEED).equals(ds.small_table(entry, SEED))


def test_row_counts(tables: dict[str, pa.Table]) -> None:
    counts = {name: t.num_rows for name, t in tables.items()}
    print("\nrow counts at scale 1.0:", counts)
    for name, spec in ds.DATASETS.items():
        assert counts[name] >= spec["min_rows"], name
    assert counts["population"] >= 100_000
    assert counts["legal_persons"] >= 10_000
    assert counts["social_security_payments"] == ds.SOCIAL_SECURITY_ROWS


def test_scale_shrinks() -> None:
    small = ds._City(SEED, 0.02)
    assert 2_000 <= small.tables["population"].num_rows < 2_100
    assert small.tables["legal_persons"].num_rows == 200
    for name, spec in ds.DATASETS.items():
        _check_table(small.tables[name], spec["items"], name)


def test_tables_match_item_specs(tables: dict[str, pa.Table]) -> None:
    for name, spec in ds.DATASETS.items():
        _check_table(tables[name], spec["items"], name)


def test_population_consistency(tables: dict[str, pa.Table]) -> None:
    pop = tables["population"]
    ids = pop.column("id_number").to_pylist()
    births = pop.column("birth_date").to_pylist()
    genders = pop.column("gender").to_pylist()
    regions = pop.column("region_code").to_pylist()
    addresses = pop.column("address").to_pylist()
    for i, b, g, r, a in zip(ids, births, genders, regions, addresses):
        assert i[6:14] == b.strftime("%Y%m%d")
        assert (int(i[16]) % 2 == 1) == (g == "男")
        assert i[:6] in ds.COUNTY_CODES
        assert a.startswith("舟山市" + ds.COUNTY_NAMES[r])
    mobiles = [m for m in pop.column("mobile").to_pylist() if m is not None]
    assert all(len(m) == 11 and m.isdigit() and m[0] == "1" for m in mobiles)
    assert len(set(mobiles)) == len(mobiles)
    assert pc.value_counts(pop.column("ethnicity")).to_pylist()[0]["values"] == "汉族"
    # households: 1-5 persons, one head, same region
    sizes = collections.Counter(pop.column("household_id").to_pylist())
    assert set(sizes.values()) <= {1, 2, 3, 4, 5}
    reg = tables["household_register"]
    assert reg.column("id_number").equals(pop.column("id_number"))
    heads = [h for h, rel in zip(reg.column("household_id").to_pylist(), reg.column("relation_to_head").to_pylist()) if rel == "户主"]
    assert len(heads) == len(set(heads)) == len(sizes)
    moved = reg.column("moved_in_date").to_pylist()
    assert all(m >= b for m, b in zip(moved, births))
    assert all(m <= ds.REFERENCE_DATE for m in moved)


def test_marriages_match_marital_status(tables: dict[str, pa.Table]) -> None:
    pop = tables["population"]
    status = dict(zip(pop.column("id_number").to_pylist(), pop.column("marital_status").to_pylist()))
    birth = dict(zip(pop.column("id_number").to_pylist(), pop.column("birth_date").to_pylist()))
    mr = tables["marriage_registrations"].to_pylist()
    divorced = {r["male_id_number"] for r in mr if r["registration_type"] == "离婚"} | {
        r["female_id_number"] for r in mr if r["registration_type"] == "离婚"
    }
    for r in mr:
        m, f = r["male_id_number"], r["female_id_number"]
        assert int(m[16]) % 2 == 1 and int(f[16]) % 2 == 0
        for person in (m, f):
            expected = "离异" if person in divorced else "已婚"
            assert status[person] == expected
        assert (r["registration_date"] - birth[m]).days >= 22 * 365
        assert (r["registration_date"] - birth[f]).days >= 20 * 365
        assert r["registration_date"] <= ds.REFERENCE_DATE
        assert r["registry_office"] == ds._MARRIAGE_OFFICES[r["region_code"]]
    married = [i for i, s in status.items() if s == "已婚"]
    in_records = {r["male_id_number"] for r in mr} | {r["female_id_number"] for r in mr}
    assert set(married) <= in_records


def test_cross_references(tables: dict[str, pa.Table]) -> None:
    people = set(tables["population"].column("id_number").to_pylist())
    companies = set(tables["legal_persons"].column("uscc").to_pylist())
    assert set(tables["legal_persons"].column("legal_representative_id").to_pylist()) <= people
    assert set(tables["social_security_payments"].column("id_number").to_pylist()) <= people
    assert set(tables["social_security_payments"].column("employer_uscc").to_pylist()) <= companies
    assert set(tables["business_licences"].column("uscc").to_pylist()) <= companies
    assert set(tables["real_estate_ownership"].column("owner_id_number").to_pylist()) <= people
    assert set(tables["driving_points"].column("id_number").to_pylist()) <= people
    dead = set(tables["deaths"].column("id_number").to_pylist())
    cremated = set(tables["cremations"].column("id_number").to_pylist())
    assert dead <= people and cremated <= people
    # deliberate anomaly: a few cremations without a death registration
    assert 0 < len(cremated - dead) <= ds.CREMATION_WITHOUT_DEATH
    # the dead no longer pay contributions, drive or represent companies
    assert not dead & set(tables["social_security_payments"].column("id_number").to_pylist())
    assert not dead & set(tables["driving_points"].column("id_number").to_pylist())
    # the welfare case: some persons own several flats
    owners = collections.Counter(tables["real_estate_ownership"].column("owner_id_number").to_pylist())
    assert sum(1 for n in owners.values() if n >= 3) >= 100
    cert = tables["real_estate_ownership"].column("certificate_no").to_pylist()
    assert all(c.startswith("浙(") and c.endswith("号") and "不动产权第" in c for c in cert)


def test_record_dates(tables: dict[str, pa.Table]) -> None:
    dp = tables["driving_points"]
    assert pc.all(pc.less_equal(dp.column("period_start"), pa.scalar(ds.REFERENCE_DATE))).as_py()
    assert pc.all(pc.greater_equal(dp.column("period_end"), pa.scalar(ds.REFERENCE_DATE))).as_py()
    assert pc.min(dp.column("points")).as_py() >= 0 and pc.max(dp.column("points")).as_py() <= 12
    cr = tables["cremations"]
    assert pc.all(pc.greater_equal(cr.column("cremation_date"), cr.column("date_of_death"))).as_py()
    bl = tables["business_licences"]
    ok = pc.fill_null(pc.greater(bl.column("valid_until"), bl.column("issue_date")), True)
    assert pc.all(ok).as_py()
    ss = tables["social_security_payments"]
    assert set(ss.column("insurance_type").to_pylist()) == {"养老", "医疗", "失业", "工伤", "生育"}
    assert pc.all(pc.greater_equal(ss.column("base_amount"), 4462.0)).as_py()


# ------------------------------------------------------------------ departments and users


def test_departments() -> None:
    assert len(ds.DEPARTMENTS) == 20
    shorts = [d["short"] for d in ds.DEPARTMENTS]
    assert len(set(shorts)) == 20 and all(s.isascii() and s.islower() for s in shorts)
    for d in ds.DEPARTMENTS:
        assert uscc_valid(d["code"]), d
        assert d["code"][:2] in ("11", "12", "13") and d["code"][2:8] == "330900"
        assert d["region_code"] == "330900" and d["level"] == "city"
        assert d["name"].startswith(("舟山市", "国家税务总局舟山市"))
    assert ds.OPERATOR_SHORT in shorts


def test_demo_users() -> None:
    names = [u["username"] for u in ds.DEMO_USERS]
    assert len(names) == len(set(names))
    by_org = collections.defaultdict(set)
    for u in ds.DEMO_USERS:
        assert u["org"] in ds.DEPARTMENT_NAMES
        by_org[u["org"]].update(u["roles"])
    for d in ds.DEPARTMENTS:
        assert {"org_admin", "approver", "consumer"} <= by_org[d["short"]]
    special = {u["username"]: u["roles"] for u in ds.DEMO_USERS if u["username"] in ("platform_admin", "security_officer", "auditor")}
    assert special == {"platform_admin": ["platform_admin"], "security_officer": ["security_officer"], "auditor": ["auditor"]}
    assert ds.DEMO_PASSWORD == "GovShare#2026"


# ------------------------------------------------------------------ catalog


def test_catalog_entries() -> None:
    cat = ds.catalog_entries()
    assert 190 <= len(cat) <= 210
    assert cat == ds.CATALOG and cat is not ds.CATALOG
    assert {e["provider"] for e in cat} == set(ds.DEPARTMENT_NAMES)
    per_provider = collections.Counter(e["provider"] for e in cat)
    assert min(per_provider.values()) >= 5
    assert len({(e["provider"], e["name"]) for e in cat}) == len(cat)
    for e in cat:
        what = f"{e['provider']}/{e['name']}"
        assert 0 < len(e["name"]) <= 50, what
        assert 0 < len(e["summary"]) <= 256, what
        assert e["category"] in set(Category)
        assert 1 <= len(e["class_path"]) <= 3 and all(e["class_path"]), what
        assert e["format"] in set(EntryFormat)
        assert e["share_type"] in set(ShareType)
        assert e["share_methods"] and set(e["share_methods"]) <= set(ShareMethod)
        assert e["open_type"] in set(OpenType)
        assert e["update_cycle"] in set(UpdateCycle)
        assert e["status"] in set(EntryStatus)
        if e["share_type"] == "conditional":
            assert e["share_condition"], what
        if e["share_type"] == "none":
            assert e["share_condition"] and "《" in e["share_condition"], what
        if e["open_type"] == "conditional":
            assert e["open_condition"], what
        if e["category"] == "base":
            assert e["share_type"] == "unconditional", what
        items = e["items"]
        assert len(items) >= 2, what
        assert sum(it["is_key"] for it in items) == 1, what
        assert len({it["name"] for it in items}) == len(items), what
        for it in items:
            assert it["name"].isascii() and it["name"] == it["name"].lower(), what
            assert it["label"], what
            assert it["data_type"] in set(DataType), what
            assert it["sensitivity"] in set(Sensitivity), what
            assert it["pi_kind"] in set(PIKind), what
            assert (it["length"] is not None) == (it["data_type"] == "C"), what
            if it["data_type"] in ("N", "Y"):
                assert it["precision"] is not None, what
            if it["is_key"]:
                assert it["required"], what
        if e["open_type"] == "open":
            assert all(it["pi_kind"] == "none" for it in items), what
        if e["dataset"] is not None:
            assert e["dataset"] in ds.DATASETS, what
            assert [it["name"] for it in items] == [it["name"] for it in ds.DATASETS[e["dataset"]]["items"]]
        if e["stale"]:
            assert e["mounted"], what
        if e["status"] != "published":
            assert not e["mounted"], what
    assert {e["dataset"] for e in cat if e["dataset"]} == set(ds.DATASETS)
    mounted = sum(e["mounted"] for e in cat) / len(cat)
    assert 0.5 <= mounted <= 0.7
    statuses = collections.Counter(e["status"] for e in cat)
    assert statuses["draft"] >= 3 and 1 <= statuses["withdrawn"] <= 3
    assert sum(e["stale"] for e in cat) >= 3
    assert sum(e["share_type"] == "none" for e in cat) >= 3
    assert sum(e["open_type"] == "open" for e in cat) >= 30


def test_small_tables(small_tables: dict[tuple[str, str], pa.Table]) -> None:
    for e in ds.CATALOG:
        key = (e["provider"], e["name"])
        t = small_tables[key]
        _check_table(t, e["items"], f"{key}")
        assert 20 <= t.num_rows <= 500, key
    assert not ds._FALLBACK_ITEMS, ds._FALLBACK_ITEMS


def test_small_tables_use_the_city(tables: dict[str, pa.Table], small_tables: dict[tuple[str, str], pa.Table]) -> None:
    people = dict(zip(tables["population"].column("id_number").to_pylist(), tables["population"].column("name").to_pylist()))
    companies = dict(zip(tables["legal_persons"].column("uscc").to_pylist(), tables["legal_persons"].column("name").to_pylist()))
    for e in ds.CATALOG:
        t = small_tables[(e["provider"], e["name"])]
        names = {it["name"] for it in e["items"]}
        if "id_number" in names and "name" in names:
            for i, n in zip(t.column("id_number").to_pylist(), t.column("name").to_pylist()):
                assert people[i] == n, e["name"]
        if "uscc" in names and "company_name" in names:
            for u, n in zip(t.column("uscc").to_pylist(), t.column("company_name").to_pylist()):
                assert companies[u] == n, e["name"]
    # welfare tables include owners of several flats and deceased persons, for the cross-checks
    owners = collections.Counter(tables["real_estate_ownership"].column("owner_id_number").to_pylist())
    dead = set(tables["deaths"].column("id_number").to_pylist())
    dibao = small_tables[("mzj", "最低生活保障对象信息")].column("id_number").to_pylist()
    assert sum(owners[i] >= 2 for i in dibao) >= 5
    assert 1 <= sum(i in dead for i in dibao) <= 20


def test_generation_time() -> None:
    """Not an assertion on speed: prints how long the whole demo city takes to generate."""
    seed = SEED + 7  # not cached yet
    start = time.perf_counter()
    city = ds._city(seed, 1.0)
    mid = time.perf_counter()
    rows = sum(ds.small_table(e, seed, 1.0).num_rows for e in ds.CATALOG)
    end = time.perf_counter()
    total = sum(t.num_rows for t in city.tables.values())
    print(f"\ngeneration at scale 1.0: big record sets {mid - start:.2f}s ({total} rows), "
          f"{len(ds.CATALOG)} small tables {end - mid:.2f}s ({rows} rows), total {end - start:.2f}s")
    assert rows > 0
