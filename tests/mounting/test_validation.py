import datetime as dt
import decimal

import pyarrow as pa
import pytest

from govshare.catalog.vocab import ItemSpec
from govshare.core.checkdigits import id_number_check_char
from govshare.core.errors import InvalidInput
from govshare.mounting.readers import open_table_stream
from govshare.mounting.validation import arrow_type_for, map_headers, validate_batch

ID_BODY = "11010519491231002"
VALID_ID = ID_BODY + id_number_check_char(ID_BODY)  # ...002X
OTHER_ID = "33090219900101001" + id_number_check_char("33090219900101001")
VALID_USCC = "91350100M000100Y43"


def check(item: ItemSpec, values: list, first_row: int = 2):
    """Validate one column; returns the BatchResult."""
    batch = pa.RecordBatch.from_arrays([pa.array(values, pa.string())], names=["col"])
    return validate_batch(batch, first_row, [item], {"col": item.name})


def converted(item: ItemSpec, values: list) -> list:
    result = check(item, values)
    assert result.errors == [], result.errors
    assert result.batch.schema.field(item.name).type == arrow_type_for(item.data_type, item.precision)
    return result.batch.column(0).to_pylist()


def reasons(item: ItemSpec, values: list) -> dict[int, str]:
    """row -> reason of every error."""
    result = check(item, values)
    assert result.batch is None
    assert result.error_count == len(result.errors)
    return {e["row"]: e["reason"] for e in result.errors}


# ---------------------------------------------------------------- headers

ITEMS = [
    ItemSpec("id_number", "公民身份号码", "C", length=18, required=True, is_key=True, pi_kind="id_number"),
    ItemSpec("name", "姓名", "C", length=50, required=True),
    ItemSpec("mobile", "手机号码", "C", length=11, pi_kind="mobile"),
    ItemSpec("born", "出生日期", "D"),
]


def test_map_headers_by_name_and_label():
    mapping = map_headers([" ID_Number ", "\u3000姓名\u3000", "Mobile"], ITEMS)
    assert mapping == {" ID_Number ": "id_number", "\u3000姓名\u3000": "name", "Mobile": "mobile"}


def test_map_headers_reports_everything_at_once():
    with pytest.raises(InvalidInput) as caught:
        map_headers(["姓名", "name", "籍贯", "other"], ITEMS)
    details = caught.value.details
    by_reason = [d["reason"] for d in details]
    assert all(d["row"] == 1 for d in details)
    assert "columns '姓名' and 'name' both match item name (姓名)" in by_reason
    assert [d["column"] for d in details if d["reason"].startswith("unknown column")] == ["籍贯", "other"]
    assert "key column missing: id_number (公民身份号码)" in by_reason
    assert any(d["label"] == "公民身份号码" for d in details)


def test_map_headers_required_missing_and_header_row():
    with pytest.raises(InvalidInput) as caught:
        map_headers(["公民身份号码"], ITEMS, header_row=3)
    assert caught.value.details == [{"row": 3, "column": None, "label": "姓名", "value": None,
                                     "reason": "required column missing: name (姓名)",
                                     "reason_template": "required column missing: %(item)s (%(label)s)",
                                     "params": {"item": "name", "label": "姓名"}}]


def test_map_headers_label_match_is_exact():
    with pytest.raises(InvalidInput):
        map_headers(["公民身份号码", "姓 名"], ITEMS)


# ---------------------------------------------------------------- batches


def test_batch_in_item_order_with_missing_optional_items_as_null():
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["张三 ", "李四"]), pa.array([VALID_ID.lower(), OTHER_ID])], names=["姓名", "身份证"])
    result = validate_batch(batch, 2, ITEMS, {"姓名": "name", "身份证": "id_number"})
    assert result.errors == [] and result.error_count == 0
    assert result.batch.schema.names == ["id_number", "name", "mobile", "born"]
    assert result.batch.schema.types == [pa.string(), pa.string(), pa.string(), pa.date32()]
    assert result.batch.to_pylist() == [
        {"id_number": VALID_ID, "name": "张三", "mobile": None, "born": None},
        {"id_number": OTHER_ID, "name": "李四", "mobile": None, "born": None},
    ]


def test_errors_carry_row_item_label_value_and_are_sorted_by_row():
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["张三", None, "王五"]), pa.array(["123", VALID_ID, None]), pa.array(["1", "2", "138"])],
        names=["name", "id", "mobile"])
    result = validate_batch(batch, 10, ITEMS, {"name": "name", "id": "id_number", "mobile": "mobile"})
    assert result.batch is None
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (10, "id_number"), (10, "mobile"), (11, "name"), (11, "mobile"), (12, "id_number"), (12, "mobile")]
    first = result.errors[0]
    assert first == {"row": 10, "column": "id_number", "label": "公民身份号码", "value": "123",
                     "reason": "ID number must have 18 characters, has 3"}
    assert result.errors[2]["reason"] == "required value missing"
    assert result.errors[4]["reason"] == "key value missing"


def test_error_cap_and_total_count():
    item = ItemSpec("n", "数量", "I")
    result = check(item, [str(i) if i % 2 else "x" for i in range(1000)], first_row=2)
    assert result.error_count == 500
    assert len(result.errors) == 200
    assert [e["row"] for e in result.errors[:3]] == [2, 4, 6]


def test_sliced_batches_validate_like_whole_ones():
    item = ItemSpec("id", "证号", "C", pi_kind="id_number", required=True)
    batch = pa.RecordBatch.from_arrays([pa.array(["bad", VALID_ID, " ", OTHER_ID])], names=["col"])
    result = validate_batch(batch.slice(1), 3, [item], {"col": "id"})
    assert [(e["row"], e["reason"]) for e in result.errors] == [(4, "required value missing")]
    result = validate_batch(batch.slice(3), 5, [item], {"col": "id"})
    assert result.batch.column(0).to_pylist() == [OTHER_ID]


# ---------------------------------------------------------------- text


def test_text_trim_and_empty_to_null():
    item = ItemSpec("c", "字符", "C")
    assert converted(item, [" a ", "\u3000中文\u3000", "", "   ", None, "\t多 词\n"]) == [
        "a", "中文", None, None, None, "多 词"]


def test_text_length_counts_characters():
    item = ItemSpec("c", "名称", "C", length=5)
    assert converted(item, ["一二三四五", "abcde", " 一二三四五 "]) == ["一二三四五", "abcde", "一二三四五"]
    assert reasons(item, ["一二三四五六", "abcdef"]) == {
        2: "longer than 5 characters (6)", 3: "longer than 5 characters (6)"}


def test_hostile_text():
    memo = ItemSpec("m", "备注", "M")
    sql = "'); DROP TABLE persons; --"
    controls = "a\x01b\x1fc\x7f"
    huge = "长" * 1_000_000
    assert converted(memo, [sql, controls, huge, "<script>alert(1)</script>"]) == [
        sql, controls, huge, "<script>alert(1)</script>"]
    result = check(memo, ["ok", "a\x00b"])
    assert result.errors[0]["value"] == "a\\x00b"
    assert "NUL" in result.errors[0]["reason"]
    short = ItemSpec("c", "名称", "C", length=50)
    result = check(short, [huge])
    assert result.errors[0]["reason"] == "longer than 50 characters (1000000)"
    assert len(result.errors[0]["value"]) <= 201


# ---------------------------------------------------------------- numbers


def test_float_numbers():
    for data_type in "NBF":
        item = ItemSpec("n", "数值", data_type)
        assert converted(item, ["12", "-1.5", "1e3", " 0.25 ", None, "+3"]) == [12.0, -1.5, 1000.0, 0.25, None, 3.0]
    item = ItemSpec("n", "数值", "N")
    assert converted(item, ["1,234.5", "7"]) == [1234.5, 7.0]
    assert reasons(item, ["12a", "1", "nan", "inf", "1.2.3", "--1"]) == {
        2: "not a number", 4: "not a number", 5: "not a number", 6: "not a number", 7: "not a number"}
    assert reasons(item, ["1", "nan", "-inf"]) == {3: "not a number", 4: "not a number"}


def test_money_is_decimal():
    item = ItemSpec("y", "金额", "Y")
    assert arrow_type_for("Y") == pa.decimal128(18, 2)
    assert converted(item, ["12.34", "1,234.50", "-0.1", "7", None]) == [
        decimal.Decimal("12.34"), decimal.Decimal("1234.50"), decimal.Decimal("-0.10"), decimal.Decimal("7.00"),
        None]
    errors = reasons(item, ["12.345", "abc", "1.00"])
    assert set(errors) == {2, 3}
    assert "at most 16 digits before and 2 after" in errors[2]
    whole = ItemSpec("y", "金额", "Y", precision=0)
    assert converted(whole, ["12", "12.0"]) == [decimal.Decimal(12), decimal.Decimal(12)]
    assert set(reasons(whole, ["12.5"])) == {2}


def test_integers():
    item = ItemSpec("i", "人数", "I")
    assert converted(item, ["42", "+7", "-3", "1,000", "3.0", None, "9223372036854775807",
                            "-9223372036854775808"]) == [
        42, 7, -3, 1000, 3, None, 9223372036854775807, -9223372036854775808]
    assert reasons(item, ["1.5", "12a", "99999999999999999999", "9223372036854775808", "5"]) == {
        2: "not an integer (a whole number)", 3: "not an integer (a whole number)",
        4: "outside the 64-bit integer range",
        5: "outside the 64-bit integer range"}


# ---------------------------------------------------------------- dates and times


def test_dates():
    item = ItemSpec("d", "日期", "D")
    values = ["2024-02-29", "2024/2/9", "20240229", "2024年2月9日", "2024-02-29 00:00:00", "2024.02.29",
              "2024/12/31", None, "1900-01-01"]
    assert converted(item, values) == [
        dt.date(2024, 2, 29), dt.date(2024, 2, 9), dt.date(2024, 2, 29), dt.date(2024, 2, 9), dt.date(2024, 2, 29),
        dt.date(2024, 2, 29), dt.date(2024, 12, 31), None, dt.date(1900, 1, 1)]


def test_impossible_and_unreadable_dates():
    item = ItemSpec("d", "日期", "D")
    errors = reasons(item, ["2023-02-29", "2023-13-01", "abc", "2023-02-30", "0000-01-01", "20230230",
                            "2024-01-01 12:00:00", "2024-1-1", "2023/04/31"])
    impossible = [errors[row] for row in (2, 3, 5, 6, 7, 10)]
    assert impossible == ["impossible date (no such day)"] * 6
    assert errors[4].startswith("not a date") and errors[8].startswith("not a date")
    assert 9 not in errors  # 2024-1-1 is fine


def test_timestamps():
    item = ItemSpec("t", "时间", "T")
    values = ["2024-05-01 08:30:00", "2024-05-01T08:30:00", "2024/5/1 8:30", "20240501083000", "2024-05-01",
              "2024-05-01T00:30:00Z", "2024-05-01T08:30:00+08:00", "2024-05-01 08:30:00.5",
              "2024-05-01T01:30:00+0100", None]
    at = dt.datetime(2024, 5, 1, 8, 30)
    assert converted(item, values) == [
        at, at, at, at, dt.datetime(2024, 5, 1), at, at, at.replace(microsecond=500000),
        dt.datetime(2024, 5, 1, 8, 30), None]
    errors = reasons(item, ["2024-05-01 25:00:00", "tomorrow", "2024-02-30 10:00:00", "2024-05-01 08:30:00"])
    assert errors == {2: "impossible date or time", 3: errors[3], 4: "impossible date or time"}
    assert errors[3].startswith("not a date-time")


# ---------------------------------------------------------------- booleans


def test_booleans():
    item = ItemSpec("l", "是否", "L")
    assert converted(item, ["true", "FALSE", "1", "0", "是", "否", "Y", "n", "Yes", None, " no "]) == [
        True, False, True, False, True, False, True, False, True, None, False]
    assert set(reasons(item, ["maybe", "2", "true"])) == {2, 3}


# ---------------------------------------------------------------- personal information


def test_id_numbers():
    item = ItemSpec("id", "身份证号", "C", pi_kind="id_number")
    assert converted(item, [VALID_ID.lower(), OTHER_ID, None]) == [VALID_ID, OTHER_ID, None]
    wrong_check = ID_BODY + ("0" if VALID_ID[-1] != "0" else "1")
    errors = reasons(item, [wrong_check, "110105194902300020", "1101051949123100", VALID_ID])
    assert errors == {2: "ID number check character does not match",
                      3: "ID number has an impossible birth date 19490230",
                      4: "ID number must have 18 characters, has 16"}


def test_credit_codes_check_char_is_only_a_warning():
    item = ItemSpec("uscc", "统一社会信用代码", "C", pi_kind="uscc")
    bad_check = VALID_USCC[:17] + "4"
    result = check(item, [VALID_USCC.lower(), bad_check, None])
    assert result.errors == [] and result.batch is not None
    assert result.batch.column(0).to_pylist() == [VALID_USCC, bad_check, None]
    assert result.warning_count == 1
    assert result.warnings[0]["row"] == 3 and "check character" in result.warnings[0]["reason"]
    errors = reasons(item, ["91350100M000100Y4", "9135010OM000100Y43"])
    assert errors[2] == "credit code must have 18 characters, has 17"
    assert "outside the GB 32100 set: O" in errors[3]


def test_mobiles():
    item = ItemSpec("m", "手机", "C", pi_kind="mobile")
    assert converted(item, ["13800138000", " 19912345678 ", None]) == ["13800138000", "19912345678", None]
    assert set(reasons(item, ["1380013800", "23800138000", "1380013800a", "138001380001"])) == {2, 3, 4, 5}


# ---------------------------------------------------------------- types and the whole path


def test_arrow_types():
    assert [arrow_type_for(t) for t in "CMNYDTLBIF"] == [
        pa.string(), pa.string(), pa.float64(), pa.decimal128(18, 2), pa.date32(), pa.timestamp("us"),
        pa.bool_(), pa.float64(), pa.int64(), pa.float64()]
    assert arrow_type_for("Y", 4) == pa.decimal128(18, 4)
    with pytest.raises(ValueError):
        arrow_type_for("Z")


def test_gbk_csv_end_to_end(tmp_path):
    items = ITEMS + [ItemSpec("amount", "金额", "Y"), ItemSpec("married", "已婚", "L")]
    text = ("公民身份号码,姓名,手机号码,出生日期,金额,已婚\n"
            f"{VALID_ID.lower()},张三,13800138000,1949/12/31,\"1,200.50\",是\n"
            f"{OTHER_ID},李四,,19900101,,否\n"
            "123,,12,1990-02-30,x,也许\n")
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("gbk"))
    stream = open_table_stream(path)
    header_map = map_headers(stream.headers, items)
    results = [validate_batch(batch, first, items, header_map) for first, batch in stream]
    assert len(results) == 1
    result = results[0]
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (4, "id_number"), (4, "name"), (4, "mobile"), (4, "born"), (4, "amount"), (4, "married")]
    good = stream_rows(path, items, header_map, upto=3)
    assert good[0] == {"id_number": VALID_ID, "name": "张三", "mobile": "13800138000", "born": dt.date(1949, 12, 31),
                       "amount": decimal.Decimal("1200.50"), "married": True}


def stream_rows(path, items, header_map, upto):
    rows = []
    for first, batch in open_table_stream(path):
        batch = batch.slice(0, upto - first + 1)
        rows.extend(validate_batch(batch, first, items, header_map).batch.to_pylist())
    return rows
