"""Columnar validation and typing of uploaded batches against a catalog entry's items.

`map_headers` ties the file's columns to items once per upload; `validate_batch` then checks and
converts one RecordBatch of strings (from `readers.open_table_stream`) into typed arrow columns.
Everything runs on whole columns (arrow compute, numpy); Python loops only build the messages
of failing rows.

Types (`arrow_type_for`):
    C, M        string, surrounding whitespace trimmed, empty -> null; NUL bytes rejected
    N, B, F     float64 (B and F are floating point by definition; N is stored the same way:
                catalog numbers are measurements and counts, not money)
    Y           decimal128(18, precision or 2): money must not pick up binary rounding
    I           int64
    D           date32: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (month/day may have one digit),
                YYYYMMDD, YYYY年M月D日, optionally followed by a midnight time
    T           timestamp[us], naive China Standard Time: ISO 8601 with 'T' or a space,
                YYYY/MM/DD HH:MM[:SS], YYYYMMDDHHMMSS, a date alone (midnight); a value with
                an offset (Z, +08:00) is converted to UTC+8 wall time
    L           bool: true/false, 1/0, 是/否, Y/N, yes/no (case-insensitive)

Personal-information kinds add checks: id_number (GB 11643, lower-case x stored as X), mobile
(11 digits starting with 1), uscc (GB 32100; stored upper-case; a wrong length or character is
an error, a wrong check character only a warning, since some early codes fail the check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govshare.catalog.vocab import ItemSpec
from govshare.core.i18n import N_
from govshare.core.checkdigits import (
    fixed_width_bytes,
    string_offsets,
    id_number_problem,
    id_numbers_valid,
    uscc_problem,
    uscc_valid_array,
    uscc_well_formed_array,
)
from govshare.core.errors import InvalidInput
from govshare.mounting.readers import preview

ERROR_CAP = 200
MONEY_DIGITS = 18
DEFAULT_MONEY_SCALE = 2
LOCAL_UTC_OFFSET_SECONDS = 8 * 3600  # China Standard Time, no daylight saving since 1991

TRUE_WORDS = ["true", "1", "是", "y", "yes"]
FALSE_WORDS = ["false", "0", "否", "n", "no"]

_NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+|\d{1,3}(,\d{3})+(\.\d*)?)([eE][+-]?\d+)?$"
_INTEGER_RE = r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.0*)?$"
_DATE_RE = (r"^(?:(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
            r"|(?P<y2>\d{4})年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日?"
            r"|(?P<y3>\d{4})(?P<m3>\d{2})(?P<d3>\d{2}))"
            r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
_TIMESTAMP_RE = (r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
                 r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
                 r" ?(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?$")
# Prebuilt scalars: pyarrow converts a Python literal argument through a failing optional import
# (dateutil) on every call, a visible cost on the per-batch path.
_NULL_STRING = pa.scalar(None, pa.string())
_NULL_BOOL = pa.scalar(None, pa.bool_())
_FALSE = pa.scalar(False)
_EMPTY = pa.scalar("", pa.string())
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_US_PER_DAY = 86_400_000_000


class BatchResult(NamedTuple):
    """What `validate_batch` returns.

    `batch` is None when any row failed; `errors`/`warnings` hold at most `cap` entries each,
    sorted by row, each `{"row", "column" (item name), "label", "value", "reason"}`;
    `error_count`/`warning_count` count all of them.
    """

    batch: pa.RecordBatch | None
    errors: list[dict]
    error_count: int
    warnings: list[dict]
    warning_count: int


def arrow_type_for(data_type: str, precision: int | None = None) -> pa.DataType:
    """The arrow type an item of `data_type` is stored as (`precision`: decimals of money)."""
    match data_type:
        case "C" | "M":
            return pa.string()
        case "N" | "B" | "F":
            return pa.float64()
        case "Y":
            return pa.decimal128(MONEY_DIGITS, DEFAULT_MONEY_SCALE if precision is None else precision)
        case "I":
            return pa.int64()
        case "D":
            return pa.date32()
        case "T":
            return pa.timestamp("us")
        case "L":
            return pa.bool_()
    raise ValueError(f"unknown data type {data_type!r}")


# ---------------------------------------------------------------- headers


def map_headers(headers: list[str], items: list[ItemSpec], header_row: int = 1) -> dict[str, str]:
    """File header -> item name. A header matches an item's name (case-insensitive) or its label
    (exact); both trimmed. Unknown headers, two headers for one item and missing required or
    key items are reported together in one InvalidInput."""
    by_name = {item.name.strip().casefold(): item for item in items}
    by_label = {_trim(item.label): item for item in items}
    mapping: dict[str, str] = {}
    claimed: dict[str, str] = {}
    details = []
    for header in headers:
        item = by_name.get(_trim(header).casefold()) or by_label.get(_trim(header))
        if item is None:
            details.append(_header_problem(header_row, header, N_("unknown column: no item has this name or label")))
        elif item.name in claimed:
            details.append(_header_problem(header_row, header, f"columns {claimed[item.name]!r} and {header!r} "
                                                               f"both match item {item.name} ({item.label})"))
        else:
            mapping[header] = item.name
            claimed[item.name] = header
    for item in items:
        if item.name not in claimed and (item.required or item.is_key):
            kind = "key" if item.is_key else "required"
            template = N_("key column missing: %(item)s (%(label)s)") if item.is_key \
                else N_("required column missing: %(item)s (%(label)s)")
            params = {"item": item.name, "label": item.label}
            details.append({"row": header_row, "column": None, "label": item.label, "value": None,
                            "reason": f"{kind} column missing: {item.name} ({item.label})",
                            "reason_template": template, "params": params})
    if details:
        summary = "; ".join(d["reason"] for d in details[:5]) + ("; …" if len(details) > 5 else "")
        raise InvalidInput(f"the columns do not match the entry's items: {summary}", details=details)
    return mapping


def _trim(text: str) -> str:
    return text.strip().strip("\ufeff").strip()


def _header_problem(row: int, header: str, reason: str) -> dict:
    return {"row": row, "column": header, "label": None, "value": preview(header), "reason": reason}


# ---------------------------------------------------------------- batches


@dataclass
class _Finding:
    rows: np.ndarray  # indices into the batch
    item: ItemSpec
    raw: pa.Array  # the cells as uploaded, for the report
    reason: str | Callable[[str], str]  # fixed, or computed from the value


class _Report:
    def __init__(self) -> None:
        self.errors: list[_Finding] = []
        self.warnings: list[_Finding] = []

    def add(self, bad: np.ndarray | pa.Array, item: ItemSpec, raw: pa.Array,
            reason: str | Callable[[str], str], *, warning: bool = False) -> None:
        if isinstance(bad, (pa.Array, pa.ChunkedArray)):
            bad = pc.fill_null(bad, _FALSE).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(bad)
        if len(rows):
            (self.warnings if warning else self.errors).append(_Finding(rows, item, raw, reason))

    @staticmethod
    def count(findings: list[_Finding]) -> int:
        return sum(len(f.rows) for f in findings)

    @staticmethod
    def entries(findings: list[_Finding], first_row: int, cap: int) -> list[dict]:
        """The first `cap` findings by row (then item order); messages are built only for them."""
        if not findings:
            return []
        rows = np.concatenate([f.rows for f in findings])
        which = np.concatenate([np.full(len(f.rows), i) for i, f in enumerate(findings)])
        order = np.lexsort((which, rows))[:cap]
        out = []
        for k in order:
            finding, row = findings[which[k]], int(rows[k])
            value = finding.raw[row].as_py()
            reason = finding.reason if isinstance(finding.reason, str) else finding.reason(value or "")
            out.append({"row": first_row + row, "column": finding.item.name, "label": finding.item.label,
                        "value": preview(value), "reason": reason})
        return out


def validate_batch(batch: pa.RecordBatch, first_row: int, items: list[ItemSpec],
                   header_map: dict[str, str], *, cap: int = ERROR_CAP) -> BatchResult:
    """Check and convert one batch (string columns named by file headers) to one typed column
    per item, in item order; items without a column are all null. Key uniqueness is not checked
    here (it spans batches)."""
    by_item = {item_name: batch.column(header) for header, item_name in header_map.items()}
    report = _Report()
    columns = []
    for item in items:
        raw = by_item.get(item.name)
        if raw is None:
            raw = pa.nulls(batch.num_rows, pa.string())
        columns.append(_column(item, raw, report))
    errors = _Report.entries(report.errors, first_row, cap)
    warnings = _Report.entries(report.warnings, first_row, cap)
    error_count = _Report.count(report.errors)
    out = None if error_count else pa.RecordBatch.from_arrays(columns, names=[item.name for item in items])
    return BatchResult(out, errors, error_count, warnings, _Report.count(report.warnings))


def _column(item: ItemSpec, raw: pa.Array, report: _Report) -> pa.Array:
    if not pa.types.is_string(raw.type):
        raw = raw.cast(pa.string())
    text = _trimmed(raw)
    if item.required or item.is_key:
        report.add(text.is_null(), item, raw, N_("key value missing") if item.is_key else N_("required value missing"))
    text = _personal_checks(item, text, raw, report)
    converter = _CONVERTERS.get(item.data_type)
    if converter is None:
        raise ValueError(f"item {item.name} has unknown data type {item.data_type!r}")
    return converter(item, text, raw, report)


def _trimmed(raw: pa.Array) -> pa.Array:
    """Surrounding whitespace (incl. full-width spaces) removed; empty -> null."""
    data = raw.buffers()[2]
    ascii_only = data is None or not len(data) or np.frombuffer(data, dtype=np.uint8).max() < 0x80
    text = pc.ascii_trim_whitespace(raw) if ascii_only else pc.utf8_trim_whitespace(raw)
    present = np.diff(string_offsets(text)) > 0
    if text.null_count:
        present &= text.is_valid().to_numpy(zero_copy_only=False)
    missing = len(text) - int(present.sum())
    if missing == text.null_count:
        return text
    if text.offset:
        return pc.if_else(pa.array(present), text, _NULL_STRING)
    # same offsets and bytes, only a new validity bitmap: no copy of the strings
    validity = pa.array(present).buffers()[1]
    return pa.StringArray.from_buffers(len(text), text.buffers()[1], text.buffers()[2], validity, missing)


def _personal_checks(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    match item.pi_kind:
        case "id_number":
            text = pc.ascii_upper(text)
            report.add(~id_numbers_valid(text), item, raw, lambda v: id_number_problem(v.strip()) or "invalid")
        case "uscc":
            text = pc.ascii_upper(text)
            well_formed = uscc_well_formed_array(text)
            report.add(~well_formed, item, raw, lambda v: uscc_problem(v.strip().upper()) or "invalid")
            report.add(well_formed & ~uscc_valid_array(text), item, raw,
                       N_("credit code check character does not match (some early codes fail this check)"),
                       warning=True)
        case "mobile":
            report.add(~_mobile_ok(text), item, raw, N_("mobile number must be 11 digits starting with 1"))
    return text


def _mobile_ok(text: pa.Array) -> np.ndarray:
    mask, mat = fixed_width_bytes(text, 11)
    ok = text.is_null().to_numpy(zero_copy_only=False).copy()
    if len(mat):
        ok[mask] = (mat[:, 0] == ord("1")) & ((mat >= ord("0")) & (mat <= ord("9"))).all(axis=1)
    return ok


# ---------------------------------------------------------------- converters


def _to_text(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    if len(text) and _value_bytes_have_nul(text):
        report.add(pc.match_substring(text, "\x00"), item, raw,
                   N_("contains a NUL character (byte 0), which cannot be stored"))
    if item.length and len(text) and (pc.max(pc.binary_length(text)).as_py() or 0) > item.length:
        report.add(pc.greater(pc.utf8_length(text), item.length), item, raw,
                   lambda v: f"longer than {item.length} characters ({len(v.strip())})")
    return text


def _value_bytes_have_nul(text: pa.Array) -> bool:
    data = text.buffers()[2]
    return data is not None and bool((np.frombuffer(data, dtype=np.uint8) == 0).any())


def _to_float(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    try:
        values = text.cast(pa.float64())
    except pa.ArrowInvalid:
        shaped = pc.match_substring_regex(text, _NUMBER_RE)
        report.add(pc.invert(shaped), item, raw, N_("not a number"))
        values = _without_commas(_only(text, shaped)).cast(pa.float64())
    report.add(pc.invert(pc.is_finite(values)), item, raw, N_("not a number"))  # nan, inf
    return values


def _to_money(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    target = arrow_type_for("Y", item.precision)
    scale = target.scale
    try:
        return text.cast(target)
    except pa.ArrowInvalid:
        pass
    whole = MONEY_DIGITS - scale
    shape = (rf"^[+-]?(\d{{1,{whole}}}|\d{{1,3}}(,\d{{3}}){{0,{(whole - 1) // 3}}})"
             + (rf"(\.\d{{0,{scale}}})?$" if scale else r"(\.0*)?$"))
    shaped = pc.match_substring_regex(text, shape)
    report.add(pc.invert(shaped), item, raw,
               f"not an amount with at most {whole} digits before and {scale} after the decimal point")
    cleaned = _without_commas(_only(text, shaped))
    if not scale:
        cleaned = pc.replace_substring_regex(cleaned, r"\.0*$", "")
    return cleaned.cast(target)


def _to_int(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    try:
        return text.cast(pa.int64())
    except pa.ArrowInvalid:
        pass
    shaped = pc.match_substring_regex(text, _INTEGER_RE)
    report.add(pc.invert(shaped), item, raw, N_("not an integer (a whole number)"))
    cleaned = pc.replace_substring_regex(_without_commas(_only(text, shaped)), r"^\+|\.0*$", "")
    fits = _fits_int64(cleaned)
    report.add(pc.invert(fits), item, raw, N_("outside the 64-bit integer range"))
    return _only(cleaned, fits).cast(pa.int64())


def _fits_int64(digits: pa.Array) -> pa.Array:
    """Values of up to 18 digits always fit; the rare longer ones are compared exactly."""
    long = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_ltrim(digits, characters="-")), 18), _FALSE)
    if not pc.any(long).as_py():
        return pa.array(np.ones(len(digits), dtype=bool))
    fits = np.ones(len(digits), dtype=bool)
    for i in np.flatnonzero(long.to_numpy(zero_copy_only=False)):
        fits[i] = -(2**63) <= int(digits[i].as_py()) < 2**63
    return pa.array(fits)


def _to_bool(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    lowered = pc.utf8_lower(text)
    true = pc.is_in(lowered, value_set=pa.array(TRUE_WORDS))
    false = pc.is_in(lowered, value_set=pa.array(FALSE_WORDS))
    report.add(pc.and_(text.is_valid(), pc.invert(pc.or_(true, false))), item, raw,
               N_("not a yes/no value (use true/false, 1/0, 是/否 or Y/N)"))
    return pc.if_else(text.is_valid(), true, _NULL_BOOL)


def _to_date(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    parsed = _parse_dates(text)
    report.add(parsed.unreadable, item, raw, N_("not a date (use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"))
    report.add(parsed.impossible, item, raw, N_("impossible date (no such day)"))
    return pa.array(parsed.values.astype(np.int32), pa.date32(), mask=~parsed.present)


def _to_timestamp(item: ItemSpec, text: pa.Array, raw: pa.Array, report: _Report) -> pa.Array:
    parsed = _parse_timestamps(text)
    report.add(parsed.unreadable, item, raw,
               N_("not a date-time (use YYYY-MM-DD HH:MM:SS or ISO 8601 like 2024-05-01T08:30:00)"))
    report.add(parsed.impossible, item, raw, N_("impossible date or time"))
    return pa.array(parsed.values, pa.timestamp("us"), mask=~parsed.present)


_CONVERTERS: dict[str, Callable[[ItemSpec, pa.Array, pa.Array, _Report], pa.Array]] = {
    "C": _to_text, "M": _to_text, "N": _to_float, "B": _to_float, "F": _to_float,
    "Y": _to_money, "I": _to_int, "D": _to_date, "T": _to_timestamp, "L": _to_bool,
}


def _only(text: pa.Array, keep: pa.Array) -> pa.Array:
    """`text` where `keep`, null elsewhere (so a later cast sees only well-formed values)."""
    return pc.if_else(pc.fill_null(keep, _FALSE), text, _NULL_STRING)


def _without_commas(text: pa.Array) -> pa.Array:
    return pc.replace_substring(text, ",", "")


# ---------------------------------------------------------------- dates and times


@dataclass
class _Parsed:
    values: np.ndarray  # days (dates) or microseconds (timestamps); 0 where not present
    present: np.ndarray  # a valid value was parsed
    unreadable: np.ndarray  # non-null text in no accepted form
    impossible: np.ndarray  # accepted form, but no such date/time


def _parse_dates(text: pa.Array) -> _Parsed:
    n = len(text)
    parsed = _Parsed(np.zeros(n, np.int64), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))
    todo = text.is_valid().to_numpy(zero_copy_only=False).copy()
    for width in (10, 8):
        mask, mat = fixed_width_bytes(text, width)
        if not len(mat):
            continue
        if width == 10:  # YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD
            shaped = _digits_at(mat, [0, 1, 2, 3, 5, 6, 8, 9]) & _date_separators(mat[:, 4], mat[:, 7])
            y, m, d = _int_at(mat, 0, 4), _int_at(mat, 5, 2), _int_at(mat, 8, 2)
        else:  # YYYYMMDD
            shaped = _digits_at(mat, list(range(8)))
            y, m, d = _int_at(mat, 0, 4), _int_at(mat, 4, 2), _int_at(mat, 6, 2)
        rows = np.flatnonzero(mask)[shaped]
        _store_dates(parsed, rows, y[shaped], m[shaped], d[shaped])
        todo[rows] = False
    if todo.any():
        rows = np.flatnonzero(todo)
        fields = pc.extract_regex(text.take(pa.array(rows)), _DATE_RE)
        matched = fields.is_valid().to_numpy(zero_copy_only=False)
        parsed.unreadable[rows[~matched]] = True
        if matched.any():
            fields = fields.filter(pa.array(matched))
            y, m, d = (_group_ints(fields, [g, g + "2", g + "3"]) for g in "ymd")
            _store_dates(parsed, rows[matched], y, m, d)
    return parsed


def _store_dates(parsed: _Parsed, rows: np.ndarray, y: np.ndarray, m: np.ndarray, d: np.ndarray) -> None:
    real = _real_dates(y, m, d)
    parsed.values[rows[real]] = _days_from_civil(y[real], m[real], d[real])
    parsed.present[rows[real]] = True
    parsed.impossible[rows[~real]] = True


def _parse_timestamps(text: pa.Array) -> _Parsed:
    n = len(text)
    parsed = _Parsed(np.zeros(n, np.int64), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))
    todo = text.is_valid().to_numpy(zero_copy_only=False).copy()
    mask, mat = fixed_width_bytes(text, 19)  # YYYY-MM-DD HH:MM:SS, the common export form
    if len(mat):
        shaped = (_digits_at(mat, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
                  & _date_separators(mat[:, 4], mat[:, 7])
                  & ((mat[:, 10] == ord(" ")) | (mat[:, 10] == ord("T")))
                  & (mat[:, 13] == ord(":")) & (mat[:, 16] == ord(":")))
        rows = np.flatnonzero(mask)[shaped]
        mat = mat[shaped]
        _store_timestamps(parsed, rows, _int_at(mat, 0, 4), _int_at(mat, 5, 2), _int_at(mat, 8, 2),
                          _int_at(mat, 11, 2), _int_at(mat, 14, 2), _int_at(mat, 17, 2))
        todo[rows] = False
    mask, mat = fixed_width_bytes(text, 14)  # YYYYMMDDHHMMSS, common in government systems
    if len(mat):
        shaped = _digits_at(mat, list(range(14)))
        rows = np.flatnonzero(mask)[shaped]
        mat = mat[shaped]
        _store_timestamps(parsed, rows, _int_at(mat, 0, 4), _int_at(mat, 4, 2), _int_at(mat, 6, 2),
                          _int_at(mat, 8, 2), _int_at(mat, 10, 2), _int_at(mat, 12, 2))
        todo[rows] = False
    if todo.any():
        rows = np.flatnonzero(todo)
        fields = pc.extract_regex(text.take(pa.array(rows)), _TIMESTAMP_RE)
        matched = fields.is_valid().to_numpy(zero_copy_only=False)
        parsed.unreadable[rows[~matched]] = True
        if matched.any():
            fields = fields.filter(pa.array(matched))
            y, m, d, hh, mm, ss = (_group_ints(fields, [g]) for g in ("y", "m", "d", "H", "M", "S"))
            shift = _utc_offsets(fields.field("tz"))
            _store_timestamps(parsed, rows[matched], y, m, d, hh, mm, ss, _fraction_micros(fields.field("f")),
                              np.where(shift.has_offset, LOCAL_UTC_OFFSET_SECONDS - shift.seconds, 0))
    return parsed


def _store_timestamps(parsed: _Parsed, rows: np.ndarray, y: np.ndarray, m: np.ndarray, d: np.ndarray,
                      hh: np.ndarray, mm: np.ndarray, ss: np.ndarray,
                      micros: np.ndarray | int = 0, to_local: np.ndarray | int = 0) -> None:
    """`to_local`: seconds to add to reach UTC+8 wall time (0 for values without an offset)."""
    real = _real_dates(y, m, d) & (hh <= 23) & (mm <= 59) & (ss <= 59)
    seconds = hh * 3600 + mm * 60 + ss + to_local
    value = _days_from_civil(y, m, d).astype(np.int64) * _US_PER_DAY + seconds.astype(np.int64) * 1_000_000 + micros
    parsed.values[rows[real]] = value[real]
    parsed.present[rows[real]] = True
    parsed.impossible[rows[~real]] = True


def _fraction_micros(fraction: pa.Array) -> np.ndarray:
    """'5' -> 500000, '123456789' -> 123456 (digits beyond microseconds are dropped)."""
    padded = pc.utf8_slice_codeunits(pc.utf8_rpad(fraction, 6, "0"), 0, 6)
    return padded.cast(pa.int64()).to_numpy(zero_copy_only=False)


class _Offsets(NamedTuple):
    seconds: np.ndarray  # east of UTC
    has_offset: np.ndarray


def _utc_offsets(zones: pa.Array) -> _Offsets:
    """'' (no offset), 'Z', '+08:00', '+0800', '-05'. Few rows reach here (the regex path)."""
    values = zones.to_pylist()
    seconds = np.zeros(len(values), dtype=np.int64)
    has_offset = np.zeros(len(values), dtype=bool)
    for i, zone in enumerate(values):
        if not zone:
            continue
        has_offset[i] = True
        if zone not in ("Z", "z"):
            digits = zone[1:].replace(":", "")
            east = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
            seconds[i] = east if zone[0] == "+" else -east
    return _Offsets(seconds, has_offset)


def _real_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    last = _DAYS_IN_MONTH[np.clip(m, 0, 12)] + ((m == 2) & leap)
    return (y >= 1) & month_ok & (d >= 1) & (d <= last)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    year_of_era = y - era * 400
    day_of_year = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _date_separators(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return (first == second) & ((first == ord("-")) | (first == ord("/")) | (first == ord(".")))


def _digits_at(mat: np.ndarray, columns: list[int]) -> np.ndarray:
    ok = np.ones(len(mat), dtype=bool)
    for i in columns:  # column by column: strided 2-D reductions are several times slower
        ok &= (mat[:, i] - np.uint8(48)) <= 9  # uint8 wraps below '0'
    return ok


def _int_at(mat: np.ndarray, start: int, width: int) -> np.ndarray:
    out = np.zeros(len(mat), dtype=np.int32)
    for i in range(start, start + width):
        out = out * 10 + (mat[:, i].astype(np.int32) - ord("0"))
    return out


def _group_ints(fields: pa.StructArray, names: list[str]) -> np.ndarray:
    """The first non-empty of several regex groups (alternative spellings), as integers."""
    value = fields.field(names[0])
    for name in names[1:]:
        value = pc.if_else(pc.equal(value, _EMPTY), fields.field(name), value)
    value = pc.if_else(pc.equal(value, ""), "0", value)
    return value.cast(pa.int64()).to_numpy(zero_copy_only=False)

