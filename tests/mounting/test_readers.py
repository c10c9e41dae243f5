import datetime as dt
import decimal
import json
import random
import threading
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govshare.core.errors import GovShareError, InvalidInput, PayloadTooLarge, UnsupportedMedia
from govshare.mounting import readers
from govshare.mounting.readers import decode_text, detect_format, open_table_stream


def read_all(path: Path, **kwargs) -> tuple[readers.TableStream, list[tuple[int, dict]]]:
    """(stream, [(row number, row dict)]) checking that every batch is all-string."""
    stream = open_table_stream(path, **kwargs)
    rows = []
    for first, batch in stream:
        assert all(pa.types.is_string(t) for t in batch.schema.types)
        assert batch.schema.names == stream.headers
        rows.extend((first + i, row) for i, row in enumerate(batch.to_pylist()))
    return stream, rows


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def invalid(path: Path, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_all(path, **kwargs)
    return caught.value


PERSONS = "姓名,身份证号,住址\n张三,11010519491231002X,北京市朝阳区\n李四,,上海市浦东新区\n"


# ---------------------------------------------------------------- csv encodings


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gbk"),
])
def test_csv_encodings(tmp_path, encoding, detected):
    stream, rows = read_all(write(tmp_path, "p.csv", PERSONS, encoding))
    assert (stream.format, stream.encoding) == ("csv", detected)
    assert stream.headers == ["姓名", "身份证号", "住址"]
    assert rows == [
        (2, {"姓名": "张三", "身份证号": "11010519491231002X", "住址": "北京市朝阳区"}),
        (3, {"姓名": "李四", "身份证号": None, "住址": "上海市浦东新区"}),
    ]


def test_gb18030_characters_outside_gbk(tmp_path):
    text = "姓名,地址\n王䶮,𠀀路1号\n李四,北京\n"
    stream, rows = read_all(write(tmp_path, "p.csv", text, "gb18030"))
    assert stream.encoding == "gb18030"
    assert rows[0] == (2, {"姓名": "王䶮", "地址": "𠀀路1号"})


def test_utf16_tab_separated_export(tmp_path):
    stream, rows = read_all(write(tmp_path, "p.txt", "姓名\t地址\n张三\t北京\n", "utf-16"))
    assert (stream.format, stream.encoding) == ("tsv", "utf-16")
    assert rows == [(2, {"姓名": "张三", "地址": "北京"})]


def test_encoding_probes_beyond_the_first_mebibyte(tmp_path):
    ascii_rows = "".join(f"{i},abc\n" for i in range(200_000))  # > 1 MiB of plain ASCII
    path = write(tmp_path, "p.csv", "编号,名称\n" + ascii_rows + "1,中文名称\n" * 5000, "gbk")
    stream, rows = read_all(path)
    assert stream.encoding == "gbk"
    assert rows[-1] == (200_000 + 5000 + 1, {"编号": "1", "名称": "中文名称"})


def test_encoding_probe_reaches_the_tail(tmp_path):
    ascii_rows = "".join(f"{i:07d},abcdefgh\n" for i in range(63_000))  # just over 1 MiB
    path = write(tmp_path, "p.csv", "id,name\n" + ascii_rows + "1,中文\n", "gbk")
    assert path.stat().st_size < readers.SAMPLE_BYTES + readers.PROBE_BYTES
    stream, rows = read_all(path)
    assert stream.encoding == "gbk" and rows[-1][1] == {"id": "1", "name": "中文"}


def test_low_cardinality_gbk_columns_decode_through_the_dictionary(tmp_path):
    lines = [f"{i},{'男' if i % 2 else '女'},{'已婚' if i % 3 else '未婚'}" for i in range(5000)]
    path = write(tmp_path, "p.csv", "编号,性别,婚姻状况\n" + "\n".join(lines) + "\n", "gbk")
    _, rows = read_all(path, batch_rows=1000)
    assert len(rows) == 5000
    assert rows[4999] == (5001, {"编号": "4999", "性别": "男", "婚姻状况": "已婚"})


def test_decode_text_with_every_control_byte_present():
    values = ["".join(chr(c) for c in range(32)) + "中文", None, "乙", "\x00"]
    col = pa.array([v.encode("gb18030") if v is not None else None for v in values], pa.binary())
    assert decode_text(col, "gb18030").to_pylist() == values


def test_decode_text_reports_the_bad_value():
    col = pa.array(["甲".encode("gbk"), b"ok", b"\xff\xfe", None], pa.binary())
    with pytest.raises(readers.TextDecodeError) as caught:
        decode_text(col, "gb18030")
    assert caught.value.index == 2
    assert caught.value.shown == "\\xff\\xfe"
    with pytest.raises(readers.TextDecodeError) as caught:
        decode_text(pa.array([b"ok", "甲".encode("gbk")]), "utf-8")
    assert caught.value.index == 1


# ---------------------------------------------------------------- csv structure


def test_tsv_and_quoted_values(tmp_path):
    text = 'a\tb\n"x\ty"\t"多\n行"\n"say ""hi"""\t\n'
    stream, rows = read_all(write(tmp_path, "p.tsv", text))
    assert stream.format == "tsv"
    assert rows == [(2, {"a": "x\ty", "b": "多\n行"}), (3, {"a": 'say "hi"', "b": None})]


def test_blank_lines_are_skipped_and_row_numbers_kept(tmp_path):
    text = "\n\n姓名,年龄\n张三,30\n\n,\n李四,\n\n"
    _, rows = read_all(write(tmp_path, "p.csv", text))
    assert rows == [(4, {"姓名": "张三", "年龄": "30"}), (7, {"姓名": "李四", "年龄": None})]


def test_multiline_values_count_as_one_row(tmp_path):
    text = 'a,b\n1,"line\nbreak"\n2,x\n'
    _, rows = read_all(write(tmp_path, "p.csv", text))
    assert [r for r, _ in rows] == [2, 3]


def test_batches_are_bounded_and_contiguous(tmp_path):
    text = "n,v\n" + "".join(f"{i},{i * 2}\n" for i in range(1, 1001))
    stream = open_table_stream(write(tmp_path, "p.csv", text), batch_rows=64)
    seen = []
    for first, batch in stream:
        assert 0 < batch.num_rows <= 64
        assert batch.column("n").to_pylist() == [str(first - 1 + i) for i in range(batch.num_rows)]
        seen.append(batch.num_rows)
    assert sum(seen) == 1000


def test_header_only_file_has_no_batches(tmp_path):
    stream, rows = read_all(write(tmp_path, "p.csv", "a,b\n"))
    assert stream.headers == ["a", "b"] and rows == []


def test_headers_are_trimmed(tmp_path):
    stream, _ = read_all(write(tmp_path, "p.csv", "\ufeff 姓名\u3000, age \n1,2\n"))
    assert stream.headers == ["姓名", "age"]


def test_stopping_early_does_not_hang(tmp_path):
    text = "n\n" + "".join(f"{i}\n" for i in range(10_000))
    stream = open_table_stream(write(tmp_path, "p.csv", text), batch_rows=10)
    for _first, _batch in stream:
        break
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "govshare-table-read"]


# ---------------------------------------------------------------- csv errors


def test_empty_file(tmp_path):
    error = invalid(write(tmp_path, "p.csv", b""))
    assert error.details[0]["reason"] == "the file is empty"


def test_only_blank_lines(tmp_path):
    error = invalid(write(tmp_path, "p.csv", "\n \n\n"))
    assert "no header row" in error.details[0]["reason"]


def test_duplicate_and_empty_headers(tmp_path):
    error = invalid(write(tmp_path, "p.csv", "a,b,a,,c\n1,2,3,4,5\n"))
    reasons = {d["column"]: d["reason"] for d in error.details}
    assert "duplicate header name (columns #1 and #3)" == reasons["a"]
    assert "#4" in reasons and "empty header name" in reasons["#4"]
    assert all(d["row"] == 1 for d in error.details)


def test_wrong_field_count_gives_the_row(tmp_path):
    text = "姓名,年龄,住址\n张三,30,北京\n\n李四,40\n王五,50,上海\n"
    error = invalid(write(tmp_path, "p.csv", text, "gbk"))
    detail = error.details[0]
    assert detail["row"] == 4
    assert detail["reason"] == "expected 3 fields (as in the header), found 2"
    assert detail["value"] == "李四,40"  # decoded from GBK, not arrow's replacement characters
    assert "row 4" in error.message


def test_too_many_fields_after_the_first_block(tmp_path):
    rows = "".join(f"{i},name{i},x\n" for i in range(200_000))  # > the 4 MiB first block
    path = write(tmp_path, "p.csv", "id,name,v\n" + rows + "1,2,3,4\n" + "5,6,7\n")
    error = invalid(path)
    assert error.details[0]["row"] == 200_002
    assert "found 4" in error.details[0]["reason"]


def test_unterminated_quote_in_the_middle(tmp_path):
    error = invalid(write(tmp_path, "p.csv", 'a,b,c\n1,"2,3\n4,5,6\n'))
    assert error.details[0]["row"] == 2
    assert error.details[0]["reason"].startswith("unterminated quoted field")


@pytest.mark.parametrize("tail", ['3,"x\n5,6\n', '3,"x', '3,"x""y\n', '3,"'])
def test_unterminated_quote_at_the_end(tmp_path, tail):
    error = invalid(write(tmp_path, "p.csv", "a,b\n1,2\n" + tail))
    assert error.details[0]["row"] == 3
    assert error.details[0]["reason"].startswith("unterminated quoted field")


@pytest.mark.parametrize("tail", ['3,"x"\n', '3,"x\ny"', '3,""\n', '3,"a""b"\n', "3,x\n", '3,"a\n"'])
def test_closed_quotes_at_the_end_are_fine(tmp_path, tail):
    _, rows = read_all(write(tmp_path, "p.csv", "a,b\n1,2\n" + tail))
    assert [r for r, _ in rows] == [2, 3]


def test_undecodable_bytes_name_row_column_and_encoding(tmp_path):
    data = "姓名,住址\n张三,北京\n".encode("gbk") + b"\xd5\xc5,\xff\xfe\n"
    error = invalid(write(tmp_path, "p.csv", data))
    detail = error.details[0]
    assert (detail["row"], detail["column"]) == (3, "住址")
    assert detail["value"] == "\\xff\\xfe"
    assert "gb18030" in detail["reason"] and "detected" in detail["reason"]


def test_mixed_encodings_report_the_detected_one(tmp_path):
    data = "姓名\n张三\n".encode("utf-8") + "李四\n".encode("gbk") + b"\xff\n"
    error = invalid(write(tmp_path, "p.csv", data))
    assert error.details[0]["row"] is not None
    assert "gb18030" in error.details[0]["reason"]


def test_a_row_longer_than_the_block_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MIN_BLOCK_BYTES", 1 << 20)
    monkeypatch.setattr(readers, "MAX_BLOCK_BYTES", 1 << 20)
    rows = "1,short\n" * 100 + "2," + "x" * (3 << 20) + "\n" + "3,short\n" * 100
    error = invalid(write(tmp_path, "p.csv", "a,b\n" + rows))
    assert "longer than" in error.details[0]["reason"]


# ---------------------------------------------------------------- xlsx


def make_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_values_and_row_numbers(tmp_path):
    path = make_xlsx(tmp_path / "p.xlsx", [
        [],
        ["姓名", "出生日期", "登记时间", "金额", "人数", "在册", " 备注 "],
        ["张三", dt.datetime(1990, 5, 1), dt.datetime(2020, 1, 2, 3, 4, 5), 12.5, 3, True, ""],
        [],
        ["李四", dt.date(1991, 6, 2), None, 100.0, 12345678901, False, "  "],
    ])
    stream, rows = read_all(path)
    assert (stream.format, stream.encoding) == ("xlsx", None)
    assert stream.headers == ["姓名", "出生日期", "登记时间", "金额", "人数", "在册", "备注"]
    assert rows == [
        (3, {"姓名": "张三", "出生日期": "1990-05-01", "登记时间": "2020-01-02 03:04:05", "金额": "12.5",
             "人数": "3", "在册": "true", "备注": None}),
        (5, {"姓名": "李四", "出生日期": "1991-06-02", "登记时间": None, "金额": "100",
             "人数": "12345678901", "在册": "false", "备注": "  "}),
    ]


def test_xlsx_batches(tmp_path):
    path = make_xlsx(tmp_path / "p.xlsx", [["n"]] + [[i] for i in range(250)])
    stream = open_table_stream(path, batch_rows=100)
    assert [(first, b.num_rows) for first, b in stream] == [(2, 100), (102, 100), (202, 50)]


def test_xlsx_value_without_header(tmp_path):
    error = invalid(make_xlsx(tmp_path / "p.xlsx", [["a", "b"], [1, 2], [3, 4, "extra"]]))
    detail = error.details[0]
    assert detail["row"] == 3 and detail["value"] == "extra" and "C3" in detail["reason"]


def test_xlsx_empty_header_cell(tmp_path):
    error = invalid(make_xlsx(tmp_path / "p.xlsx", [["a", None, "c"], [1, 2, 3]]))
    assert error.details[0]["column"] == "B" and "empty header" in error.details[0]["reason"]


def test_xlsx_empty_sheet(tmp_path):
    error = invalid(make_xlsx(tmp_path / "p.xlsx", []))
    assert "no header row" in error.details[0]["reason"]


def test_truncated_xlsx(tmp_path):
    good = make_xlsx(tmp_path / "good.xlsx", [["a"]] + [[i] for i in range(2000)])
    path = write(tmp_path, "p.xlsx", good.read_bytes()[:-400])
    with pytest.raises(InvalidInput) as caught:
        read_all(path)
    assert "xlsx" in caught.value.message


def test_legacy_xls_is_unsupported(tmp_path):
    with pytest.raises(UnsupportedMedia):
        open_table_stream(write(tmp_path, "p.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100))
    with pytest.raises(UnsupportedMedia):
        open_table_stream(write(tmp_path, "p.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100))


# ---------------------------------------------------------------- json


def test_json_array(tmp_path):
    records = [{"a": 1, "b": "x", "c": True, "d": 1.5, "e": 2.0},
               {"a": 12345678901234567890, "b": None, "c": False, "f": "新"}]
    stream, rows = read_all(write(tmp_path, "p.json", json.dumps(records, ensure_ascii=False)))
    assert (stream.format, stream.headers) == ("json", ["a", "b", "c", "d", "e", "f"])
    assert rows == [
        (1, {"a": "1", "b": "x", "c": "true", "d": "1.5", "e": "2", "f": None}),
        (2, {"a": "12345678901234567890", "b": None, "c": "false", "d": None, "e": None, "f": "新"}),
    ]


def test_json_records_wrapper_in_gbk(tmp_path):
    text = json.dumps({"records": [{"姓名": "张三"}]}, ensure_ascii=False)
    stream, rows = read_all(write(tmp_path, "p.json", text, "gbk"))
    assert stream.encoding == "gbk" and rows == [(1, {"姓名": "张三"})]


def test_json_mixed_types_in_a_column(tmp_path):
    _, rows = read_all(write(tmp_path, "p.json", '[{"a": 1}, {"a": "x"}, {"a": 1.25}, {"a": true}]'))
    assert [r["a"] for _, r in rows] == ["1", "x", "1.25", "true"]


def test_json_not_valid(tmp_path):
    error = invalid(write(tmp_path, "p.json", '[\n{"a": 1},\n{"a": }\n]'))
    assert "line 3" in error.details[0]["reason"]


def test_json_record_not_an_object(tmp_path):
    error = invalid(write(tmp_path, "p.json", '[{"a": 1}, [1, 2], "x"]'))
    assert [(d["row"], d["reason"]) for d in error.details] == [
        (2, "record is not an object (found an array)"), (3, "record is not an object (found a string)")]


def test_json_nested_value(tmp_path):
    error = invalid(write(tmp_path, "p.json", '[{"a": 1, "b": 2}, {"a": 1, "b": {"x": 1}}]'))
    detail = error.details[0]
    assert (detail["row"], detail["column"]) == (2, "b") and "nested" in detail["reason"]


def test_json_wrong_top_level(tmp_path):
    assert "array of objects" in invalid(write(tmp_path, "p.json", '{"rows": []}')).details[0]["reason"]
    assert "no records" in invalid(write(tmp_path, "p.json", "[]")).details[0]["reason"]


def test_json_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "JSON_MAX_BYTES", 10)
    with pytest.raises(PayloadTooLarge):
        open_table_stream(write(tmp_path, "p.json", '[{"a": 1}, {"a": 2}]'))


def test_jsonl_line_numbers(tmp_path):
    text = '\ufeff{"a": 1, "b": "x"}\n\n{"a": 2}\n{"b": null, "a": 3}\n'
    stream, rows = read_all(write(tmp_path, "p.jsonl", text))
    assert (stream.format, stream.headers) == ("jsonl", ["a", "b"])
    assert rows == [(1, {"a": "1", "b": "x"}), (3, {"a": "2", "b": None}), (4, {"a": "3", "b": None})]


@pytest.mark.parametrize("line, reason", [
    ('{"a": }', "not valid JSON"), ("[1, 2]", "record is not an object (found an array)"),
    ('{"a": [1]}', "nested value"),
])
def test_jsonl_bad_line(tmp_path, line, reason):
    error = invalid(write(tmp_path, "p.jsonl", '{"a": 1}\n{"a": 2}\n' + line + "\n"))
    assert error.details[0]["row"] == 3 and reason in error.details[0]["reason"]


def test_jsonl_field_after_the_first_batch(tmp_path):
    text = '{"a": 1}\n{"a": 2}\n{"a": 3, "z": 4}\n'
    error = invalid(write(tmp_path, "p.jsonl", text), batch_rows=2)
    assert (error.details[0]["row"], error.details[0]["column"]) == (3, "z")


def test_jsonl_gbk(tmp_path):
    stream, rows = read_all(write(tmp_path, "p.jsonl", '{"姓名": "张三"}\n', "gbk"))
    assert stream.encoding == "gbk" and rows == [(1, {"姓名": "张三"})]


# ---------------------------------------------------------------- parquet


def test_parquet_types(tmp_path):
    table = pa.table({
        "i": pa.array([1, None], pa.int32()),
        "f": [1.5, 3.0],
        "b": [True, False],
        "d": [dt.date(2020, 1, 2), None],
        "t": pa.array([dt.datetime(2020, 1, 2, 3, 4, 5), None], pa.timestamp("ms")),
        "tf": pa.array([dt.datetime(2020, 1, 2, 3, 4, 5, 500000), None], pa.timestamp("us")),
        "m": pa.array([decimal.Decimal("12.50"), None], pa.decimal128(10, 2)),
        "s": pa.array(["甲", "乙"]).dictionary_encode(),
        "raw": pa.array([b"abc", None], pa.binary()),
    })
    pq.write_table(table, tmp_path / "p.parquet")
    stream, rows = read_all(tmp_path / "p.parquet", batch_rows=1)
    assert (stream.format, stream.encoding) == ("parquet", None)
    assert rows == [
        (1, {"i": "1", "f": "1.5", "b": "true", "d": "2020-01-02", "t": "2020-01-02 03:04:05",
             "tf": "2020-01-02 03:04:05.500000", "m": "12.50", "s": "甲", "raw": "abc"}),
        (2, {"i": None, "f": "3", "b": "false", "d": None, "t": None, "tf": None, "m": None, "s": "乙",
             "raw": None}),
    ]


def test_parquet_nested_column(tmp_path):
    pq.write_table(pa.table({"a": [1, 2, 3], "l": [None, [1], None]}), tmp_path / "p.parquet")
    error = invalid(tmp_path / "p.parquet")
    assert (error.details[0]["row"], error.details[0]["column"]) == (2, "l")


def test_parquet_invalid_utf8_binary(tmp_path):
    pq.write_table(pa.table({"raw": pa.array([b"ok", b"\xff"], pa.binary())}), tmp_path / "p.parquet")
    error = invalid(tmp_path / "p.parquet")
    assert (error.details[0]["row"], error.details[0]["column"]) == (2, "raw")


def test_parquet_duplicate_columns(tmp_path):
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    pq.write_table(table, tmp_path / "p.parquet")
    assert "duplicate" in invalid(tmp_path / "p.parquet").details[0]["reason"]


def test_truncated_parquet(tmp_path):
    pq.write_table(pa.table({"a": list(range(1000))}), tmp_path / "good.parquet")
    path = write(tmp_path, "p.parquet", (tmp_path / "good.parquet").read_bytes()[:200])
    assert "Parquet" in invalid(path).message


# ---------------------------------------------------------------- format detection


@pytest.mark.parametrize("name, head, fmt", [
    ("a.csv", b"a,b", "csv"), ("a.TSV", b"a\tb", "tsv"), ("a.txt", b"a\tb\n", "tsv"), ("a.txt", b"a,b\n", "csv"),
    ("a.xlsx", b"PK\x03\x04", "xlsx"), ("a.parquet", b"PAR1", "parquet"), ("a.json", b"[", "json"),
    ("a.jsonl", b"{}", "jsonl"), ("a.ndjson", b"{}", "jsonl"),
    (None, b"PK\x03\x04rest", "xlsx"), (None, b"PAR1rest", "parquet"), ("upload", b"  [{\"a\": 1}]", "json"),
    ("upload", b'{"a": 1}\n{"a": 2}\n', "jsonl"), ("upload", b'{\n  "records": []\n}', "json"),
    ("upload", b'{"records": [{"a": 1}]}', "json"), ("a.csv", b"PK\x03\x04", "xlsx"),
])
def test_detect_format(name, head, fmt):
    assert detect_format(name, head) == fmt


@pytest.mark.parametrize("name, head", [("a.doc", b"hello"), (None, b"a,b\n1,2"), ("a.pdf", b"%PDF-1.4")])
def test_unknown_format(name, head):
    with pytest.raises(UnsupportedMedia):
        detect_format(name, head)


# ---------------------------------------------------------------- hostile input never escapes raw


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".parquet"])
def test_random_bytes_never_raise_raw_exceptions(tmp_path, suffix):
    rng = random.Random(suffix)
    for attempt in range(15):
        size = rng.choice([1, 10, 100, 5000])
        data = bytes(rng.randrange(256) for _ in range(size))
        if attempt % 3 == 0:
            data = {".xlsx": b"PK\x03\x04", ".parquet": b"PAR1"}.get(suffix, b"") + data
        path = write(tmp_path, f"f{attempt}{suffix}", data)
        try:
            read_all(path)
        except GovShareError:
            pass
