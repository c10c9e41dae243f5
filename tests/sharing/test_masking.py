"""Field masking: the rules per kind, policies, pseudonyms, and the scalar and vectorised paths agreeing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from decimal import Decimal

import pyarrow as pa
import pytest

from govshare.catalog.vocab import ItemSpec, PIKind
from govshare.mounting.validation import arrow_type_for
from govshare.sharing.masking import (
    POLICIES,
    Masker,
    default_policies,
    default_policy,
    mask_value,
    pseudonym_key,
    strictness,
)

KEY = pseudonym_key("platform-secret", "org-a")


def item(name: str, pi_kind: str = "none", data_type: str = "C", precision: int | None = None) -> ItemSpec:
    return ItemSpec(name=name, label=name, data_type=data_type, precision=precision, pi_kind=pi_kind)


def hmac_hex(key: bytes, text: str) -> str:
    """The pseudonym as the brief defines it, computed independently of the module."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


# ---------------------------------------------------------------- policies and keys


def test_policies_in_increasing_strictness():
    assert POLICIES == ("clear", "mask", "pseudonym", "drop")
    assert [strictness(p) for p in POLICIES] == [0, 1, 2, 3]
    assert strictness("clear") < strictness("mask") < strictness("pseudonym") < strictness("drop")
    with pytest.raises(ValueError, match="unknown masking policy"):
        strictness("hide")


@pytest.mark.parametrize("pi_kind, policy", [
    ("id_number", "mask"), ("name", "mask"), ("mobile", "mask"), ("address", "mask"), ("bank_card", "mask"),
    ("other", "mask"), ("uscc", "clear"), ("none", "clear"),
])
def test_default_policy(pi_kind, policy):
    assert default_policy(pi_kind) == policy


def test_default_policy_covers_the_vocabulary_and_rejects_unknown_kinds():
    assert {default_policy(k.value) for k in PIKind} <= set(POLICIES)
    with pytest.raises(ValueError, match="unknown personal information kind"):
        default_policy("passport")


def test_default_policies_per_item():
    items = [item("sfzh", "id_number"), item("xm", "name"), item("tyshxydm", "uscc"), item("bz")]
    assert default_policies(items) == {"sfzh": "mask", "xm": "mask", "tyshxydm": "clear", "bz": "clear"}


def test_pseudonym_key_is_stable_per_org_and_differs_across_orgs():
    assert pseudonym_key("s", "org-a") == pseudonym_key("s", "org-a")
    assert pseudonym_key("s", "org-a") != pseudonym_key("s", "org-b")
    assert pseudonym_key("s", "org-a") != pseudonym_key("t", "org-a")
    assert pseudonym_key("s", "org-a") == hmac.new(b"s", b"govshare-pseudonym:org-a", hashlib.sha256).digest()
    assert len(pseudonym_key("s", "org-a")) == 32


# ---------------------------------------------------------------- the rules, scalar


@pytest.mark.parametrize("pi_kind, value, masked", [
    ("mobile", "13812348000", "138****8000"),
    ("mobile", "+8613812348000", "+86*******8000"),
    ("mobile", "12345678", "123*5678"),
    ("mobile", "1381234", "*******"),
    ("mobile", "110", "***"),
    ("id_number", "330902199001011234", "330902********1234"),
    ("id_number", "11010519491231002X", "110105********002X"),
    ("id_number", "330902900101123", "330902*****1123"),
    ("id_number", "3309021990", "**********"),
    ("name", "张三丰", "张**"),
    ("name", "李四", "李*"),
    ("name", "欧阳修", "欧阳*"),
    ("name", "司马相如", "司马**"),
    ("name", "诸葛亮", "诸葛*"),
    ("name", "欧阳", "欧*"),  # two characters: the compound surname would show the whole value
    ("name", "王", "*"),
    ("name", "阿卜杜拉·买买提", "阿*******"),
    ("address", "浙江省舟山市定海区环城南路12号", "浙江省舟山市定海区****"),
    ("address", "浙江省嵊泗县菜园镇海滨路8号", "浙江省嵊泗县****"),
    ("address", "内蒙古呼伦贝尔市鄂温克族自治旗巴彦托海镇", "内蒙古呼伦贝尔市鄂温克族自治旗****"),
    ("address", "浙江省舟山市沈家门街道东河路1号", "浙江省舟山市****"),
    ("address", "浙江省金华市义乌市稠城街道工人路3号", "浙江省金华市义乌市****"),
    ("address", "环城南路12号", "环城****"),
    ("address", "浙江省舟山市阳光小区3幢201室", "浙江省舟山市****"),  # 小区 is not a district
    ("address", "广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区****"),  # nor is 自治区
    ("address", "舟山市临城新区开发区1号", "舟山市临城新区****"),
    ("address", "定海", "定海****"),
    ("address", "浙江省舟山市定海区", "浙江省舟山市定海区****"),  # nothing hidden: the stars still say "masked"
    ("bank_card", "6222021234567890", "622202******7890"),
    ("bank_card", "6222021234567890123", "622202*********0123"),
    ("bank_card", "6222021234", "**********"),
    ("uscc", "91330900MA2A0B1C2D", "9****************D"),
    ("other", "ABC", "A*C"),
    ("other", "AB", "**"),
    ("none", "护照E12345678", "护*********8"),
])
def test_mask_value(pi_kind, value, masked):
    assert mask_value(pi_kind, value) == masked
    if pi_kind != "address":
        assert len(masked) == len(value)


def test_mask_value_rejects_unknown_kinds():
    with pytest.raises(ValueError):
        mask_value("passport", "E12345678")


# (pi_kind, value, the part the rule hides)
HIDDEN = [
    ("mobile", "13812348000", "1234"),
    ("mobile", "15957061234", "5706"),
    ("id_number", "330902199001011234", "19900101"),
    ("id_number", "11010519491231002X", "19491231"),
    ("bank_card", "6222021234567890", "123456"),
    ("bank_card", "6222021234567890123", "123456789"),
    ("name", "张三丰", "三丰"),
    ("name", "欧阳修", "修"),
    ("name", "司马相如", "相如"),
    ("address", "浙江省舟山市定海区环城南路12号", "环城南路12号"),
    ("address", "浙江省舟山市沈家门街道东河路1号", "沈家门街道东河路1号"),
    ("uscc", "91330900MA2A0B1C2D", "1330900MA2A0B1C2"),
]


@pytest.mark.parametrize("pi_kind, value, hidden", HIDDEN)
def test_masked_values_never_contain_the_hidden_part(pi_kind, value, hidden):
    masker = Masker([item("v", pi_kind)], {"v": "mask"}, KEY)
    scalar = masker.row({"v": value})["v"]
    vector = masker.batch(pa.table({"v": [value]})).column("v")[0].as_py()
    shown = value.replace(hidden, "", 1)
    for masked in (scalar, vector):
        assert hidden not in masked
        assert masked.replace("*", "") == shown  # every visible character comes from outside the hidden part


# ---------------------------------------------------------------- non-text values


def test_non_text_values_are_masked_through_their_canonical_text():
    items = [item("d", "other", "D"), item("t", "other", "T"), item("n", "other", "N"), item("i", "other", "I"),
             item("y", "other", "Y", precision=2), item("l", "other", "L")]
    masker = Masker(items, {}, KEY)
    values = {"d": dt.date(2020, 1, 2), "t": dt.datetime(2020, 1, 2, 3, 4, 5, 678), "n": 1234.5, "i": 12345,
              "y": Decimal("12.50"), "l": True}
    assert masker.row(values) == {"d": "2********2", "t": "2*****************5", "n": "1****5", "i": "1***5",
                                  "y": "1***0", "l": "t**e"}
    out = masker.batch(typed_table(items, [values]))
    assert out.to_pylist() == [masker.row(values)]
    assert all(out.schema.field(name).type == pa.string() for name in out.schema.names)


@pytest.mark.parametrize("data_type, value, text", [
    ("D", dt.date(2020, 1, 2), "2020-01-02"),
    ("T", dt.datetime(2020, 1, 2, 3, 4, 5, 999999), "2020-01-02 03:04:05"),
    ("T", dt.datetime(1969, 12, 31, 23, 59, 58, 500000), "1969-12-31 23:59:58"),  # floored, not truncated to 59
    ("I", 42, "42"),
    ("N", 1234.5, "1234.5"),
    ("N", 1234.0, "1234"),  # Arrow's text of a float, in both paths
    ("Y", Decimal("12.50"), "12.50"),
    ("L", False, "false"),
])
def test_pseudonym_of_non_text_values_hashes_the_canonical_text(data_type, value, text):
    items = [item("v", "other", data_type, precision=2)]
    masker = Masker(items, {"v": "pseudonym"}, KEY)
    assert masker.row({"v": value}) == {"v": hmac_hex(KEY, text)}
    assert masker.batch(typed_table(items, [{"v": value}])).to_pylist() == [{"v": hmac_hex(KEY, text)}]


# ---------------------------------------------------------------- pseudonyms


def test_pseudonyms_are_keyed_hmac_stable_per_org_and_different_across_orgs():
    items = [item("sfzh", "id_number")]
    value = "11010519491231002X"
    key_b = pseudonym_key("platform-secret", "org-b")
    a1 = Masker(items, {"sfzh": "pseudonym"}, KEY).row({"sfzh": value})["sfzh"]
    a2 = Masker(items, {"sfzh": "pseudonym"}, pseudonym_key("platform-secret", "org-a")).row({"sfzh": value})["sfzh"]
    b = Masker(items, {"sfzh": "pseudonym"}, key_b).row({"sfzh": value})["sfzh"]
    assert a1 == a2 == hmac_hex(KEY, value)
    assert b == hmac_hex(key_b, value) != a1
    assert re.fullmatch(r"[0-9a-f]{32}", a1)
    assert value not in a1 and "19491231" not in a1


def test_pseudonyms_in_a_batch_map_equal_values_together_and_keep_nulls():
    masker = Masker([item("sj", "mobile")], {"sj": "pseudonym"}, KEY)
    values = ["13812348000", None, "13812348001", "13812348000", None]
    out = masker.batch(pa.table({"sj": values})).column("sj").to_pylist()
    assert out == [hmac_hex(KEY, "13812348000"), None, hmac_hex(KEY, "13812348001"), hmac_hex(KEY, "13812348000"), None]
    assert out[0] != out[2]
    assert masker.batch(pa.table({"sj": pa.nulls(3, pa.string())})).column("sj").to_pylist() == [None] * 3


def test_pseudonyms_need_a_real_key():
    with pytest.raises(ValueError, match="key"):
        Masker([item("sj", "mobile")], {"sj": "pseudonym"}, b"")
    Masker([item("sj", "mobile")], {"sj": "mask"}, b"")  # no pseudonym, no key needed


# ---------------------------------------------------------------- policies per grant


def test_drop_removes_the_column_in_both_paths():
    items = [item("sfzh", "id_number"), item("xm", "name"), item("bz")]
    masker = Masker(items, {"sfzh": "drop"}, KEY)
    assert masker.columns == ["xm", "bz"]
    row = {"sfzh": "330902199001011234", "xm": "张三丰", "bz": "备注"}
    assert masker.row(row) == {"xm": "张**", "bz": "备注"}
    out = masker.batch(pa.table({k: [v] for k, v in row.items()}))
    assert out.schema.names == ["xm", "bz"]
    assert out.to_pylist() == [{"xm": "张**", "bz": "备注"}]


def test_dropping_everything_keeps_the_row_count():
    masker = Masker([item("xm", "name")], {"xm": "drop"}, KEY)
    assert masker.columns == []
    assert masker.row({"xm": "张三"}) == {}
    out = masker.batch(pa.table({"xm": ["张三", "李四"]}))
    assert out.num_columns == 0 and out.num_rows == 2


def test_clear_leaves_values_and_types_unchanged():
    items = [item("xm", "name"), item("d", "other", "D"), item("y", "other", "Y", precision=2)]
    masker = Masker(items, {"xm": "clear", "d": "clear", "y": "clear"}, KEY)
    values = {"xm": "张三丰", "d": dt.date(2020, 1, 2), "y": Decimal("12.50")}
    table = typed_table(items, [values])
    assert masker.row(values) == values
    out = masker.batch(table)
    assert out.schema == table.schema
    assert out.to_pylist() == [values]


def test_policies_for_items_not_granted_are_ignored():
    masker = Masker([item("sj", "mobile")], {"sfzh": "clear", "sj": "mask"}, KEY)
    assert masker.columns == ["sj"] and masker.policies == {"sj": "mask"}
    assert masker.row({"sj": "13812348000", "sfzh": "330902199001011234"}) == {"sj": "138****8000"}


def test_missing_policies_fall_back_to_the_default_and_output_follows_item_order():
    items = [item("bz"), item("sj", "mobile"), item("xydm", "uscc")]
    masker = Masker(items, {"bz": "mask"}, KEY)
    assert masker.policies == {"bz": "mask", "sj": "mask", "xydm": "clear"}
    table = pa.table({"extra": [1], "xydm": ["91330900MA2A0B1C2D"], "sj": ["13812348000"], "bz": ["备注内容"]})
    out = masker.batch(table)
    assert out.schema.names == masker.columns == ["bz", "sj", "xydm"]
    assert out.to_pylist() == [{"bz": "备**容", "sj": "138****8000", "xydm": "91330900MA2A0B1C2D"}]


def test_null_stays_null_under_every_policy():
    items = [item("sj", "mobile"), item("d", "other", "D")]
    for policy in ("clear", "mask", "pseudonym"):
        masker = Masker(items, {"sj": policy, "d": policy}, KEY)
        assert masker.row({"sj": None, "d": None}) == {"sj": None, "d": None}
        assert masker.batch(typed_table(items, [{"sj": None, "d": None}])).to_pylist() == [{"sj": None, "d": None}]


def test_masker_rejects_bad_configuration_and_missing_values():
    items = [item("sj", "mobile")]
    with pytest.raises(ValueError, match="unknown masking policy"):
        Masker(items, {"sj": "blur"}, KEY)
    with pytest.raises(ValueError, match="duplicate"):
        Masker(items + items, {}, KEY)
    with pytest.raises(ValueError, match="unknown personal information kind"):
        Masker([item("x", "passport")], {}, KEY)
    masker = Masker(items, {}, KEY)
    with pytest.raises(KeyError):
        masker.row({"xm": "张三"})
    with pytest.raises(KeyError):
        masker.batch(pa.table({"xm": ["张三"]}))


# ---------------------------------------------------------------- the two paths agree

CORPUS_ITEMS = [
    item("xm", "name"), item("sj", "mobile"), item("sfzh", "id_number"), item("dz", "address"),
    item("yhk", "bank_card"), item("xydm", "uscc"), item("bz", "other"), item("ms"),
    item("csrq", "other", "D"), item("gxsj", "other", "T"), item("sr", "other", "N"), item("rs", "other", "I"),
    item("je", "other", "Y", precision=2), item("hf", "other", "L"),
]

CORPUS_TEXT = {
    "xm": ["张三丰", "李四", "欧阳修", "欧阳", "司马相如", "诸葛亮", "上官婉儿", "王", "阿卜杜拉·买买提", "", None, "Li Si"],
    "sj": ["13812348000", "15957061234", "+8613812348000", "12345678", "1381234", "", None, "110", "13800000000",
           "18657001234", "0580-2021234", "1"],
    "sfzh": ["330902199001011234", "11010519491231002X", "330902900101123", "3309021990", None, "",
             "330902198503150479", "33090219850315047", "x", "11010519491231002x", "440301200001010011", "1234"],
    "dz": ["浙江省舟山市定海区环城南路12号", "浙江省嵊泗县菜园镇海滨路8号", "内蒙古呼伦贝尔市鄂温克族自治旗巴彦托海镇",
           "浙江省舟山市沈家门街道东河路1号", "浙江省金华市义乌市稠城街道工人路3号", "环城南路12号", "定海", "",
           None, "浙江省舟山市定海区", "新疆维吾尔自治区乌鲁木齐市天山区", "第一行\n第二行市第三行"],
    "yhk": ["6222021234567890", "6222021234567890123", "6222021234", "62220212345", None, "", "6", "4367420012345678",
            "6217001234567890123", "622202123456789012", "1234567890123", "62"],
    "xydm": ["91330900MA2A0B1C2D", "12330900002519234X", None, "", "9", "91", "913", "91330900MA2A0B1C2D",
             "X", "ab", "abc", "91330900MA2A0B1C2"],
    "bz": ["备注内容", "AB", "ABC", "", None, "单", "多行\n文本", "tab\there", "emoji😀ok", "  spaced  ", "x" * 40, "末"],
    "ms": ["a", "ab", "abc", "abcd", None, "", "中文", "中文字", "😀😀😀", "1", "12", "123"],
}

CORPUS_TYPED = {
    "csrq": [dt.date(2020, 1, 2), dt.date(1949, 10, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31),
             dt.date(1970, 1, 1), dt.date(2000, 2, 29), None, dt.date(2024, 12, 31), dt.date(1900, 3, 1),
             dt.date(1969, 12, 31), dt.date(2038, 1, 19)],
    "gxsj": [dt.datetime(2020, 1, 2, 3, 4, 5, 678), dt.datetime(1969, 12, 31, 23, 59, 58, 500000), None,
             dt.datetime(2000, 1, 1), dt.datetime(2024, 2, 29, 23, 59, 59, 999999), dt.datetime(1970, 1, 1),
             dt.datetime(1949, 10, 1, 15), None, dt.datetime(2038, 1, 19, 3, 14, 7), dt.datetime(1999, 12, 31, 23, 59),
             dt.datetime(2020, 1, 2, 3, 4, 5), dt.datetime(2020, 1, 2, 3, 4, 6)],
    "sr": [1234.5, 1234.0, 0.1, -0.0, None, 1e16, 1.5e-7, 123456789.125, 1 / 3, -42.0, 1e15, 0.0],
    "rs": [0, 1, -1, 42, None, 2**62, -(2**63), 12345, 100, 7, 99999999, 10],
    "je": [Decimal("12.50"), Decimal("0.05"), Decimal("-3.00"), None, Decimal("0.00"), Decimal("1234567.89"),
           Decimal("1.00"), Decimal("99.99"), Decimal("-0.01"), Decimal("10.10"), Decimal("5.00"), Decimal("7.70")],
    "hf": [True, False, None, True, False, True, None, False, True, True, False, False],
}


def typed_table(items: list[ItemSpec], rows: list[dict]) -> pa.Table:
    """Rows as a table with the arrow types the platform stores each item as."""
    return pa.table({i.name: pa.array([r[i.name] for r in rows], arrow_type_for(i.data_type, i.precision))
                     for i in items})


def corpus_table() -> pa.Table:
    columns = {**CORPUS_TEXT, **CORPUS_TYPED}
    assert len({len(v) for v in columns.values()}) == 1
    n = len(columns["xm"])
    return typed_table(CORPUS_ITEMS, [{name: values[r] for name, values in columns.items()} for r in range(n)])


@pytest.mark.parametrize("policy", ["clear", "mask", "pseudonym", "mixed"])
def test_row_and_batch_agree_on_a_varied_corpus(policy):
    names = [i.name for i in CORPUS_ITEMS]
    if policy == "mixed":
        policies = {name: POLICIES[n % len(POLICIES)] for n, name in enumerate(names)}
    else:
        policies = {name: policy for name in names}
    masker = Masker(CORPUS_ITEMS, policies, KEY)
    table = corpus_table()
    rows = table.to_pylist()
    expected = [masker.row(r) for r in rows]
    assert masker.batch(table).to_pylist() == expected
    # a record batch, a chunked table and a sliced batch (non-zero offsets) give the same
    assert masker.batch(table.to_batches()[0]).to_pylist() == expected
    chunked = pa.concat_tables([table.slice(0, 5), table.slice(5)])
    assert chunked.column("xm").num_chunks == 2
    assert masker.batch(chunked).to_pylist() == expected
    assert masker.batch(table.to_batches()[0].slice(3, 4)).to_pylist() == expected[3:7]
    if policy == "mask":  # the defaults are in force elsewhere; here every value really is masked
        changed = [(r[n], e[n]) for r, e in zip(rows, expected) for n in names if r[n] not in (None, "")]
        assert all(original != masked for original, masked in changed)


def test_batch_accepts_other_column_layouts():
    masker = Masker([item("xm", "name"), item("sj", "mobile")], {"sj": "pseudonym"}, KEY)
    names, mobiles = CORPUS_TEXT["xm"], CORPUS_TEXT["sj"]
    expected = [masker.row({"xm": x, "sj": s}) for x, s in zip(names, mobiles)]
    dictionary = pa.table({"xm": pa.array(names).dictionary_encode(), "sj": pa.array(mobiles).dictionary_encode()})
    large = pa.table({"xm": pa.array(names, pa.large_string()), "sj": pa.array(mobiles, pa.large_string())})
    assert masker.batch(dictionary).to_pylist() == expected
    assert masker.batch(large).to_pylist() == expected


def test_float32_columns_agree_with_the_python_floats_they_give():
    masker = Masker([item("sr", "other", "F")], {"sr": "pseudonym"}, KEY)
    table = pa.table({"sr": pa.array([0.1, 2.5, None], pa.float32())})
    assert masker.batch(table).to_pylist() == [masker.row(r) for r in table.to_pylist()]
    assert masker.row({"sr": 2.5}) == {"sr": hmac_hex(KEY, "2.5")}


def test_batch_of_a_corpus_row_matches_the_documented_rules():
    masker = Masker(CORPUS_ITEMS, {}, KEY)
    out = masker.batch(corpus_table()).to_pylist()
    assert out[0]["xm"] == "张**" and out[2]["xm"] == "欧阳*" and out[7]["xm"] == "*"
    assert out[0]["sj"] == "138****8000"
    assert out[1]["sfzh"] == "110105********002X"
    assert out[0]["dz"] == "浙江省舟山市定海区****" and out[3]["dz"] == "浙江省舟山市****"
    assert out[0]["yhk"] == "622202******7890" and out[1]["yhk"] == "622202*********0123"
    assert out[0]["xydm"] == "91330900MA2A0B1C2D"  # uscc defaults to clear
    assert out[0]["csrq"] == "2********2"
