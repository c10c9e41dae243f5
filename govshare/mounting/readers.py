"""Read an uploaded table file as a stream of pyarrow RecordBatches of string columns.

Formats: csv, tsv, xlsx, json (an array of objects or {"records": [...]}), jsonl, parquet.
Text encodings: UTF-8 (with or without BOM), GBK, GB18030 (and UTF-16 with a BOM, as Excel's
"Unicode text" export writes).

Every batch has one string column per header; its rows are numbered as a clerk sees them: for
csv/tsv/xlsx the sheet row (header = row 1 in a plain file), for jsonl the line, for json and
parquet the 1-based record index. Blank rows of csv/xlsx are skipped, so a stream yields
contiguous runs: row `first_row + i` is the i-th row of the batch.

Problems with the file raise `InvalidInput` whose details are
`[{"row", "column", "value", "reason"}]`; no pyarrow/openpyxl/orjson exception escapes raw.

How CSV is read fast: GBK, GB18030 and UTF-8 never use the bytes of `,`, tab, `"`, CR or LF
inside a multi-byte character, so arrow parses the raw bytes into binary columns and only the
columns that hold non-ASCII bytes are decoded afterwards (ASCII needs no decoding). That halves
the work on a GBK file of ID numbers and dates, and tells exactly which row and column holds
bytes that are not valid in the detected encoding.

Memory stays bounded whatever the file size: CSV is read in blocks of about `batch_rows` rows
(4-64 MiB; arrow reads a few dozen blocks ahead), iteration runs one thread at most
PREFETCH_BATCHES batches ahead of the consumer, xlsx/jsonl/parquet stream row groups or rows.
Only a JSON document (not JSON Lines) is parsed whole, up to JSON_MAX_BYTES.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import itertools
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from govshare.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from govshare.core.threads import start_daemon

FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "parquet")
SAMPLE_BYTES = 1 << 20
PROBE_BYTES = 64 << 10
PROBE_COUNT = 8
MIN_BLOCK_BYTES = 4 << 20
MAX_BLOCK_BYTES = 64 << 20
JSON_MAX_BYTES = 256 << 20
MAX_DETAILS = 50
PREVIEW_CHARS = 200
PREFETCH_BATCHES = 2

_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HEADER_STRIP = " \t\r\n\u3000\ufeff\xa0"
# Prebuilt scalars: pyarrow converts a Python literal argument through a failing optional import
# (dateutil) on every call, a visible cost on the per-batch path.
_NULL_STRING = pa.scalar(None, pa.string())
_EMPTY_BINARY = pa.scalar(b"", pa.binary())
_EMPTY_STRING = pa.scalar("", pa.string())


# ---------------------------------------------------------------- errors


def problem(row: int | None, column: str | None, value: Any, reason: str) -> dict:
    """One entry of `InvalidInput.details`."""
    return {"row": row, "column": column, "value": preview(value), "reason": reason}


def preview(value: Any) -> str | None:
    """A value as it may safely appear in an error report: short, control characters escaped
    (a NUL would break JSON columns of PostgreSQL)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value)
    if len(text) > PREVIEW_CHARS:
        text = text[:PREVIEW_CHARS] + "…"
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _invalid(reason: str, *, row: int | None = None, column: str | None = None, value: Any = None,
             details: list[dict] | None = None) -> InvalidInput:
    where = ", ".join(part for part in (f"row {row}" if row is not None else "",
                                        f"column {column!r}" if column else "") if part)
    message = f"{where}: {reason}" if where else reason
    return InvalidInput(message, details=details or [problem(row, column, value, reason)])


def _many_invalid(message: str, details: list[dict]) -> InvalidInput:
    if len(details) == 1:
        return InvalidInput(f"{message}: {details[0]['reason']}", details=details)
    return InvalidInput(f"{message} ({len(details)} problems)", details=details[:MAX_DETAILS])


class TextDecodeError(Exception):
    """Bytes of one value that are not valid text in the expected encoding."""

    def __init__(self, index: int, raw: bytes, encoding: str):
        super().__init__(f"value {index} is not valid {encoding}")
        self.index = index
        self.raw = raw
        self.encoding = encoding

    @property
    def shown(self) -> str:
        """The value with its undecodable bytes spelled out (\\xff)."""
        return self.raw.decode(self.encoding, errors="backslashreplace")


# ---------------------------------------------------------------- the stream


class TableStream:
    """An opened table file. Iterate once for `(first_row_number, RecordBatch)` pairs.

    `format` is one of FORMATS; `encoding` is the detected text encoding ('utf-8', 'utf-8-sig',
    'gbk', 'gb18030', 'utf-16'), None for xlsx and parquet; `headers` are the column names as in
    the file (trimmed), which are also the batches' field names.

    Problems found further into the file (a bad row, undecodable bytes, a damaged page) raise
    InvalidInput from the iteration, after earlier batches were yielded: load atomically.
    """

    def __init__(self, fmt: str, encoding: str | None, headers: list[str],
                 batches: Iterator[tuple[int, pa.RecordBatch]], close: Callable[[], None] | None = None):
        self.format = fmt
        self.encoding = encoding
        self.headers = headers
        self._batches = batches
        self._close = close

    def __iter__(self) -> Iterator[tuple[int, pa.RecordBatch]]:
        # Reading runs one batch ahead in a thread, so parsing overlaps with whatever the
        # consumer does with the previous batch (validation, database insert).
        prefetcher = _Prefetcher(self._batches, depth=PREFETCH_BATCHES)
        try:
            yield from prefetcher
        finally:
            prefetcher.stop()
            self.close()

    def close(self) -> None:
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> TableStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Prefetcher:
    """Runs an iterator in a background thread, at most `depth` items ahead (bounded memory)."""

    def __init__(self, source: Iterator[Any], depth: int):
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = start_daemon(self._run, "govshare-table-read", source)

    def _run(self, source: Iterator[Any]) -> None:
        try:
            for item in source:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _put(self, message: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def open_table_stream(path: str | os.PathLike, filename: str | None = None,
                      batch_rows: int = 50_000) -> TableStream:
    """Open `path` (an uploaded file; `filename` is the name the user gave it, for the format)."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise _invalid("the file is empty")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    fmt = detect_format(filename or path.name, head)
    if fmt == "parquet":
        return _open_parquet(path, batch_rows)
    if fmt == "xlsx":
        return _open_xlsx(path, batch_rows)
    encoding = detect_encoding(path)
    if fmt == "json":
        return _open_json(path, size, encoding, batch_rows)
    if fmt == "jsonl":
        return _open_jsonl(path, encoding, batch_rows)
    return _open_csv(path, size, fmt, encoding, batch_rows)


# ---------------------------------------------------------------- format and encoding


def detect_format(filename: str | None, head: bytes) -> str:
    """The format of a file from its name, else its first bytes.

    A zip or Parquet signature wins over a text extension (a renamed workbook is still a
    workbook); an unknown name with text content is only recognised when it looks like JSON.
    """
    if head.startswith(_OLE_MAGIC) or (filename or "").lower().endswith(".xls"):
        raise UnsupportedMedia("legacy .xls or password-protected workbooks are not supported: "
                               "save the sheet as .xlsx without a password, or as CSV")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    ext = Path(filename).suffix.lower() if filename else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if ext == ".txt":
        return _sniff_delimited(head)
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return _json_or_jsonl(text)
    raise UnsupportedMedia(f"cannot tell the format of {filename or 'the file'}: "
                           "upload csv, tsv, xlsx, json, jsonl or parquet with its extension")


def _sniff_delimited(head: bytes) -> str:
    first_line = head.split(b"\n", 1)[0]
    return "tsv" if first_line.count(b"\t") > first_line.count(b",") else "csv"


def _json_or_jsonl(text: bytes) -> str:
    first_line = text.split(b"\n", 1)[0]
    try:
        doc = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return "json"  # an object spread over several lines: a document, not JSON Lines
    if isinstance(doc, dict) and list(doc) == ["records"]:
        return "json"
    return "jsonl"


def detect_encoding(path: str | os.PathLike) -> str:
    """'utf-8-sig' or 'utf-16' from a BOM; else 'utf-8' when the start of the file and a few
    probes spread over it decode as UTF-8; else 'gbk' when they decode as GBK; else 'gb18030'
    (a superset of GBK, decoded the same way)."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        samples = [_whole_lines(head, at_start=True, at_end=len(head) == size)]
        if size > len(head):
            last = max(size - PROBE_BYTES, 0)  # the tail is always probed
            for offset in sorted({int(o) for o in np.linspace(min(len(head), last), last, PROBE_COUNT)}):
                fh.seek(offset)
                samples.append(_whole_lines(fh.read(PROBE_BYTES), at_start=False, at_end=offset == last))
    for encoding in ("utf-8", "gbk"):
        if all(_decodes(sample, encoding) for sample in samples):
            return encoding
    return "gb18030"


def _whole_lines(chunk: bytes, *, at_start: bool, at_end: bool) -> bytes:
    """Cut a sample at newlines, which never fall inside a character in these encodings."""
    if not at_start:
        chunk = chunk[chunk.find(b"\n") + 1:]
    if not at_end and b"\n" in chunk:
        chunk = chunk[:chunk.rfind(b"\n") + 1]
    return chunk


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _codec(encoding: str) -> str:
    """The Python codec that decodes a detected encoding (GBK files decode as GB18030)."""
    return "gb18030" if encoding == "gbk" else encoding


# ---------------------------------------------------------------- decoding binary columns


def decode_text(col: pa.Array, encoding: str) -> pa.Array:
    """A binary column (raw cell bytes) as a string column; raises TextDecodeError.

    `encoding` is 'utf-8' or 'gb18030'. ASCII-only columns are reinterpreted without decoding;
    low-cardinality columns decode their distinct values only.
    """
    if encoding == "utf-8":
        return _decode_utf8(col)
    data = _value_bytes(col)
    if not len(data) or data.max() < 0x80:
        return col.cast(pa.string())
    if len(col) >= 1000 and _few_distinct(col):
        encoded = pc.dictionary_encode(col)
        try:
            values = decode_text(encoded.dictionary, encoding)
        except TextDecodeError as exc:
            first = int(np.flatnonzero(encoded.indices.to_numpy(zero_copy_only=False) == exc.index)[0])
            raise TextDecodeError(first, exc.raw, encoding) from None
        return pc.take(values, encoded.indices)
    separator = next((b for b in range(0x20) if not (data == b).any()), None)
    if separator is None:
        return _decode_each(col, encoding)
    return _decode_joined(col, separator, encoding)


def _decode_utf8(col: pa.Array) -> pa.Array:
    try:
        return col.cast(pa.string())
    except pa.ArrowInvalid:
        for index, raw in enumerate(col.to_pylist()):
            if raw is not None:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise TextDecodeError(index, raw, "utf-8") from None
        raise


def _value_bytes(col: pa.Array) -> np.ndarray:
    """The bytes of all values of a binary or string array, as one uint8 array (no copy)."""
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset:col.offset + len(col) + 1]
    buffer = col.buffers()[2]
    if buffer is None or not len(offsets):
        return np.empty(0, np.uint8)
    return np.frombuffer(buffer, dtype=np.uint8)[offsets[0]:offsets[-1]]


def _few_distinct(col: pa.Array) -> bool:
    sample = col.slice(0, 2000)
    return pc.count_distinct(sample).as_py() * 4 < len(sample)


def _decode_joined(col: pa.Array, separator: int, encoding: str) -> pa.Array:
    """Decode all values in one codec call: join them with a byte absent from the column (a
    control byte, which no multi-byte character contains), decode, split at the separators."""
    sep = bytes([separator])
    filled = pc.fill_null(col, _EMPTY_BINARY) if col.null_count else col
    whole = pa.ListArray.from_arrays(pa.array([0, len(col)], pa.int32()), filled)
    joined = pc.binary_join(whole, sep)[0].as_buffer()
    try:
        text = str(joined, encoding)
    except UnicodeDecodeError as exc:
        index = int((np.frombuffer(joined, dtype=np.uint8)[:exc.start] == separator).sum())
        raise TextDecodeError(index, col[index].as_py(), encoding) from None
    parts = pc.split_pattern(pa.array([text.encode("utf-8")], pa.binary()), sep).flatten()
    out = parts.cast(pa.string())
    if col.null_count:
        out = pc.if_else(col.is_valid(), out, _NULL_STRING)
    return out


def _decode_each(col: pa.Array, encoding: str) -> pa.Array:
    values = []
    for index, raw in enumerate(col.to_pylist()):
        try:
            values.append(None if raw is None else raw.decode(encoding))
        except UnicodeDecodeError:
            raise TextDecodeError(index, raw, encoding) from None
    return pa.array(values, pa.string())


# ---------------------------------------------------------------- csv / tsv


@dataclass(frozen=True)
class _CsvPlan:
    path: Path
    size: int
    encoding: str  # as detected and reported
    cell_encoding: str  # what the cell bytes are after arrow read them: 'utf-8' or 'gb18030'
    arrow_encoding: str  # what arrow transcodes from before parsing
    delimiter: str
    columns: int
    header_row: int  # record number of the header (after leading blank lines)
    block_size: int


def _open_csv(path: Path, size: int, fmt: str, encoding: str, batch_rows: int) -> TableStream:
    plan = _plan_csv(path, size, fmt, encoding, batch_rows)
    try:
        reader = _arrow_csv_reader(plan, use_threads=True)  # parses the first block already
    except (pa.ArrowException, OSError, UnicodeError) as exc:
        raise _csv_error(plan, exc) from None
    raw_batches = _raw_csv_batches(plan, reader)
    headers, pending = _csv_header(plan, raw_batches)
    batches = _csv_batches(plan, headers, pending, raw_batches, batch_rows)

    def close() -> None:
        raw_batches.close()
        reader.close()

    return TableStream(fmt, encoding, headers, batches, close=close)


def _plan_csv(path: Path, size: int, fmt: str, encoding: str, batch_rows: int) -> _CsvPlan:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    complete = len(head) == size
    text = head.decode(_codec(encoding), errors="replace") if complete else \
        codecs.getincrementaldecoder(_codec(encoding))(errors="replace").decode(head, final=False)
    delimiter = "\t" if fmt == "tsv" else ","
    header_row, columns = _find_header(text, delimiter, complete)
    lines = max(1, head.count(b"\n"))
    block = int(len(head) / lines * batch_rows * 1.1)
    utf16 = encoding == "utf-16"
    return _CsvPlan(path=path, size=size, encoding=encoding,
                    cell_encoding="utf-8" if encoding in ("utf-8", "utf-8-sig", "utf-16") else "gb18030",
                    arrow_encoding="utf-16" if utf16 else "utf8", delimiter=delimiter, columns=columns,
                    header_row=header_row, block_size=min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, block)))


def _find_header(text: str, delimiter: str, complete: bool) -> tuple[int, int]:
    """(record number, field count) of the first non-blank record."""
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            if any(field.strip(_HEADER_STRIP) for field in record):
                return number, len(record)
    except csv.Error as exc:
        raise _invalid(f"the header row could not be read: {exc}", row=1) from None
    if complete:
        raise _invalid("no header row: the file has only blank lines")
    raise _invalid(f"no header row in the first {SAMPLE_BYTES >> 20} MiB of the file")


def _arrow_csv_reader(plan: _CsvPlan, *, use_threads: bool) -> pacsv.CSVStreamingReader:
    names = [f"c{i}" for i in range(plan.columns)]
    return pacsv.open_csv(
        plan.path,
        read_options=pacsv.ReadOptions(column_names=names, block_size=plan.block_size,
                                       use_threads=use_threads, encoding=plan.arrow_encoding),
        # blank lines stay (as all-null rows) so record numbers match the clerk's rows
        parse_options=pacsv.ParseOptions(delimiter=plan.delimiter, newlines_in_values=True,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.binary()),
                                             check_utf8=False, null_values=[""], strings_can_be_null=True,
                                             quoted_strings_can_be_null=True),
    )


def _raw_csv_batches(plan: _CsvPlan, reader: pacsv.CSVStreamingReader) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(record number of the first row, raw binary batch); ends by checking the last quote."""
    record = 1
    last: pa.RecordBatch | None = None
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowException, OSError, UnicodeError) as exc:
            raise _csv_error(plan, exc) from None
        if batch.num_rows:
            yield record, batch
            record += batch.num_rows
            last = batch
    if last is not None and _unterminated_quote_at_end(plan, last):
        raise _invalid("unterminated quoted field: a quote opened on this row is never closed",
                       row=record - 1)


def _csv_header(plan: _CsvPlan, raw_batches: Iterator[tuple[int, pa.RecordBatch]]
                ) -> tuple[list[str], tuple[int, pa.RecordBatch] | None]:
    """The decoded header, and what is left of the batch that held it."""
    for first, batch in raw_batches:
        if first + batch.num_rows <= plan.header_row:
            continue
        at = plan.header_row - first
        header = batch.slice(at, 1)
        cells = []
        for i, col in enumerate(header.columns):
            try:
                cells.append(decode_text(col, plan.cell_encoding)[0].as_py())
            except TextDecodeError as exc:
                raise _invalid(f"bytes that are not valid {plan.encoding} text (encoding detected from the file)",
                               row=plan.header_row, column=f"#{i + 1}", value=exc.shown) from None
        rest = batch.slice(at + 1)
        return _check_headers(cells, plan.header_row), (plan.header_row + 1, rest)
    raise _invalid("no header row: the file has only blank lines")


def _csv_batches(plan: _CsvPlan, headers: list[str], pending: tuple[int, pa.RecordBatch] | None,
                 raw_batches: Iterator[tuple[int, pa.RecordBatch]], batch_rows: int
                 ) -> Iterator[tuple[int, pa.RecordBatch]]:
    def all_raw() -> Iterator[tuple[int, pa.RecordBatch]]:
        if pending is not None:
            yield pending
        yield from raw_batches

    for first, raw in all_raw():
        if raw.num_rows == 0:
            continue
        decoded = _decode_batch(plan, raw, headers, first)
        for start, run in _without_blank_rows(first, decoded):
            yield from _sliced(start, run, batch_rows)


def _decode_batch(plan: _CsvPlan, raw: pa.RecordBatch, headers: list[str], first: int) -> pa.RecordBatch:
    columns = []
    for name, col in zip(headers, raw.columns):
        try:
            columns.append(decode_text(col, plan.cell_encoding))
        except TextDecodeError as exc:
            raise _invalid(f"bytes that are not valid {plan.encoding} text (encoding detected from the file)",
                           row=first + exc.index, column=name, value=exc.shown) from None
    return pa.RecordBatch.from_arrays(columns, names=headers)


def _csv_error(plan: _CsvPlan, exc: BaseException) -> InvalidInput:
    message = str(exc)
    if "straddling object" in message:
        return _invalid(f"a row is longer than {plan.block_size >> 20} MiB, the longest row this reader accepts")
    if isinstance(exc, UnicodeError):
        return _invalid(f"the file is not valid {plan.encoding} text: {exc}")
    fields = re.search(r"Expected (\d+) columns, got (\d+)", message)
    if not fields:
        return _invalid(f"the file could not be read as {'TSV' if plan.delimiter == chr(9) else 'CSV'}: "
                        f"{message.splitlines()[0][:200]}")
    expected, got = int(fields.group(1)), int(fields.group(2))
    row, text = _locate_bad_record(plan)
    reason = f"expected {expected} fields (as in the header), found {got}"
    if text is not None and text.count('"') % 2:
        reason = "unterminated quoted field: a quote opened on this row is never closed"
    elif text is not None and "\n" in text:
        reason += "; the row runs over several lines, check for an unbalanced quote"
    return _invalid(reason, row=row, value=text)


def _locate_bad_record(plan: _CsvPlan) -> tuple[int | None, str | None]:
    """Row number and text of the first record with a wrong field count (error path only:
    only a single-threaded arrow reader knows row numbers)."""
    try:
        for _ in _arrow_csv_reader(plan, use_threads=False):
            pass
    except pa.ArrowInvalid as exc:
        found = re.search(r"Row #(\d+): Expected \d+ columns, got \d+: (.*)", str(exc), re.S)
        if found:
            row = int(found.group(1))
            return row, _record_text(plan, row) or found.group(2)
    return None, None


def _record_text(plan: _CsvPlan, row: int) -> str | None:
    """The text of one record, decoded properly (arrow's message replaces non-UTF-8 bytes)."""
    if plan.cell_encoding == "utf-8":
        return None
    with open(plan.path, encoding=_codec(plan.encoding), errors="replace", newline="") as fh:
        try:
            for number, record in enumerate(csv.reader(fh, delimiter=plan.delimiter), 1):
                if number == row:
                    return plan.delimiter.join(record)
        except csv.Error:
            return None
    return None


def _unterminated_quote_at_end(plan: _CsvPlan, last: pa.RecordBatch) -> bool:
    """Arrow accepts a quote left open at the end of the file as a value running to the end.
    Then the file ends with that quote and the value, and no closing quote."""
    if plan.arrow_encoding != "utf8":
        return False
    value = last.column(last.num_columns - 1)[-1].as_py()
    tail = b'"' + value.replace(b'"', b'""') if value else plan.delimiter.encode() + b'"'
    if len(tail) > plan.size:
        return False
    with open(plan.path, "rb") as fh:
        fh.seek(plan.size - len(tail))
        return fh.read() == tail


def _without_blank_rows(first: int, batch: pa.RecordBatch) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Runs of rows with at least one value (blank lines and rows of empty cells are skipped)."""
    filled = None
    for col in batch.columns:
        valid = col.is_valid()
        filled = valid if filled is None else pc.or_(filled, valid)
    if filled is None or pc.all(filled).as_py():
        yield first, batch
        return
    mask = np.concatenate(([0], filled.to_numpy(zero_copy_only=False).astype(np.int8), [0]))
    edges = np.diff(mask)
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        yield first + int(start), batch.slice(int(start), int(end - start))


def _sliced(first: int, batch: pa.RecordBatch, batch_rows: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    for start in range(0, batch.num_rows, batch_rows):
        yield first + start, batch.slice(start, batch_rows)


def _check_headers(cells: list[Any], header_row: int, column_names: Callable[[int], str] | None = None
                   ) -> list[str]:
    """Trimmed header names; empty or duplicate names are an error."""
    name_of = column_names or (lambda i: f"#{i + 1}")
    headers = ["" if cell is None else str(cell).strip(_HEADER_STRIP) for cell in cells]
    details = []
    seen: dict[str, int] = {}
    for i, name in enumerate(headers):
        if not name:
            details.append(problem(header_row, name_of(i), None, f"column {name_of(i)} has an empty header name"))
        elif name in seen:
            details.append(problem(header_row, name, name,
                                   f"duplicate header name (columns {name_of(seen[name])} and {name_of(i)})"))
        else:
            seen[name] = i
    if not headers:
        details.append(problem(header_row, None, None, "the header row has no column names"))
    if details:
        raise _many_invalid("bad header row", details)
    return headers


# ---------------------------------------------------------------- python values to strings


class _NestedValue(Exception):
    def __init__(self, index: int, value: Any):
        super().__init__(index)
        self.index = index
        self.value = value


def strings_from_python(values: list[Any], *, empty_is_null: bool) -> pa.Array:
    """A string column from Python scalars: numbers as written, booleans 'true'/'false',
    dates ISO. Raises _NestedValue for dicts and lists."""
    try:
        arr = pa.array(values)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        arr = None
    result = _fast_strings(arr) if arr is not None else None
    if result is None:
        result = pa.array([_scalar_text(v, i) for i, v in enumerate(values)], pa.string())
    if empty_is_null:
        result = pc.if_else(pc.equal(result, _EMPTY_STRING), _NULL_STRING, result)
    return result


def _fast_strings(arr: pa.Array) -> pa.Array | None:
    """Vectorised conversion of the simple arrow types; None where Python must do it."""
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t) or pa.types.is_boolean(t) or pa.types.is_integer(t):
        return arr.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_floating(t):
        return _float_strings(arr)
    return None


def _float_strings(arr: pa.Array) -> pa.Array:
    """Integral floats without a decimal point or exponent (1e15 -> '1000000000000000')."""
    arr = arr.cast(pa.float64())
    integral = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 2.0**53))
    integral = pc.fill_null(integral, False)
    as_int = pc.cast(pc.if_else(integral, arr, 0.0), pa.int64()).cast(pa.string())
    return pc.if_else(integral, as_int, arr.cast(pa.string()))


def _scalar_text(value: Any, index: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2.0**53 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        raise _NestedValue(index, value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


def _batch_from_python(columns: Iterable[list[Any]], headers: list[str], first_row: int,
                       *, empty_is_null: bool) -> pa.RecordBatch:
    arrays = []
    for name, values in zip(headers, columns):
        try:
            arrays.append(strings_from_python(values, empty_is_null=empty_is_null))
        except _NestedValue as exc:
            raise _invalid("nested value (an object or array): only plain values are accepted",
                           row=first_row + exc.index, column=name,
                           value=orjson.dumps(exc.value, default=str).decode()) from None
    return pa.RecordBatch.from_arrays(arrays, names=headers)


# ---------------------------------------------------------------- xlsx


def _open_xlsx(path: Path, batch_rows: int) -> TableStream:
    import openpyxl  # imported here: only xlsx uploads pay its import time

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl, zipfile and XML parsers raise many unrelated types
        raise _invalid(f"not a readable xlsx workbook ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        if not workbook.worksheets:
            raise _invalid("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong sheet size; read what is there
        rows = _guarded_rows(sheet.iter_rows(values_only=True))
        header_row, header_cells = _xlsx_header(rows)
        headers = _check_headers(header_cells, header_row, _column_letter)
        batches = _xlsx_batches(rows, header_row, headers, batch_rows)
    except BaseException:
        workbook.close()
        raise
    return TableStream("xlsx", None, headers, batches, close=workbook.close)


def _guarded_rows(rows: Iterator[tuple]) -> Iterator[tuple[int, tuple]]:
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged zip or sheet XML surfaces here, mid-stream
            raise _invalid(f"the xlsx file is damaged and cannot be read past this row "
                           f"({type(exc).__name__})", row=number + 1) from None
        number += 1
        yield number, values


def _xlsx_header(rows: Iterator[tuple[int, tuple]]) -> tuple[int, list[Any]]:
    for number, values in rows:
        if _filled(values):
            cells = list(values)
            while cells and cells[-1] in (None, ""):
                cells.pop()
            return number, [_scalar_text(v, i) for i, v in enumerate(cells)]
    raise _invalid("no header row: the first worksheet is empty")


def _xlsx_batches(rows: Iterator[tuple[int, tuple]], header_row: int, headers: list[str],
                  batch_rows: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    width = len(headers)
    pending: list[tuple] = []
    first = header_row + 1
    for number, values in rows:
        if not _filled(values):
            if pending:
                yield first, _xlsx_batch(pending, headers, first)
                pending = []
            continue
        if len(values) > width:
            extra = next((i for i in range(width, len(values)) if values[i] not in (None, "")), None)
            if extra is not None:
                raise _invalid(f"cell {_column_letter(extra)}{number} has a value but its column has no header",
                               row=number, value=values[extra])
            values = values[:width]
        if not pending:
            first = number
        pending.append(values)
        if len(pending) >= batch_rows:
            yield first, _xlsx_batch(pending, headers, first)
            pending = []
    if pending:
        yield first, _xlsx_batch(pending, headers, first)


def _xlsx_batch(rows: list[tuple], headers: list[str], first: int) -> pa.RecordBatch:
    width = len(headers)
    padded = [row if len(row) == width else tuple(row) + (None,) * (width - len(row)) for row in rows]
    return _batch_from_python((list(col) for col in zip(*padded)), headers, first, empty_is_null=True)


def _filled(values: tuple) -> bool:
    return any(v is not None and v != "" for v in values)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------- json and json lines


def _open_json(path: Path, size: int, encoding: str, batch_rows: int) -> TableStream:
    if size > JSON_MAX_BYTES:
        raise PayloadTooLarge(f"JSON documents over {JSON_MAX_BYTES >> 20} MiB are not supported: "
                              "upload JSON Lines (one record per line) or CSV")
    raw = path.read_bytes()
    try:
        text: bytes | str = raw if encoding == "utf-8" else raw.decode(_codec(encoding))
        doc = orjson.loads(text)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise _invalid(f"bytes that are not valid {encoding} text at line {line}") from None
    except orjson.JSONDecodeError as exc:
        raise _invalid(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    records = _json_records(doc)
    keys = _record_keys(records)
    headers = _check_headers(keys, 1, lambda i: repr(keys[i]))
    return TableStream("json", encoding, headers, _json_batches(records, keys, headers, batch_rows))


def _json_records(doc: Any) -> list[Any]:
    if isinstance(doc, dict) and isinstance(doc.get("records"), list):
        doc = doc["records"]
    if not isinstance(doc, list):
        raise _invalid('expected an array of objects or {"records": [...]} at the top level')
    if not doc:
        raise _invalid("the JSON array has no records, so there are no columns")
    bad = [problem(i + 1, None, orjson.dumps(r, default=str).decode(),
                   f"record is not an object (found {_json_kind(r)})")
           for i, r in enumerate(doc) if not isinstance(r, dict)]
    if bad:
        raise _many_invalid("every record must be a JSON object", bad)
    return doc


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _record_keys(records: Iterable[dict]) -> list[str]:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return list(keys)


def _json_batches(records: list[dict], keys: list[str], headers: list[str], batch_rows: int
                  ) -> Iterator[tuple[int, pa.RecordBatch]]:
    for start in range(0, len(records), batch_rows):
        chunk = records[start:start + batch_rows]
        columns = ([r.get(k) for r in chunk] for k in keys)
        yield start + 1, _batch_from_python(columns, headers, start + 1, empty_is_null=False)


def _open_jsonl(path: Path, encoding: str, batch_rows: int) -> TableStream:
    if encoding == "utf-16":
        raise UnsupportedMedia("JSON Lines must be UTF-8, GBK or GB18030, not UTF-16")
    fh = open(path, "rb")
    try:
        groups = _jsonl_groups(fh, encoding, batch_rows)
        ahead: list[tuple[int, list[dict]]] = []
        for group in groups:
            ahead.append(group)
            if sum(len(records) for _, records in ahead) >= batch_rows:
                break
        if not ahead:
            raise _invalid("no records: the file has only blank lines")
        keys = _record_keys(r for _, records in ahead for r in records)
        headers = _check_headers(keys, ahead[0][0], lambda i: repr(keys[i]))
    except BaseException:
        fh.close()
        raise
    batches = _jsonl_batches(ahead, groups, keys, headers, batch_rows)
    return TableStream("jsonl", encoding, headers, batches, close=fh.close)


def _jsonl_groups(fh: io.BufferedReader, encoding: str, batch_rows: int) -> Iterator[tuple[int, list[dict]]]:
    """(first line number, records on consecutive lines), at most batch_rows records each."""
    codec = _codec(encoding)
    first, records = 0, []
    for number, line in enumerate(fh, 1):
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        if not line.strip():
            if records:
                yield first, records
            first, records = 0, []
            continue
        record = _jsonl_record(line, number, encoding, codec)
        if not records:
            first = number
        records.append(record)
        if len(records) >= batch_rows:
            yield first, records
            first, records = 0, []
    if records:
        yield first, records


def _jsonl_record(line: bytes, number: int, encoding: str, codec: str) -> dict:
    try:
        record = orjson.loads(line if codec in ("utf-8", "utf-8-sig") else line.decode(codec))
    except UnicodeDecodeError:
        raise _invalid(f"bytes that are not valid {encoding} text", row=number, value=line) from None
    except orjson.JSONDecodeError as exc:
        raise _invalid(f"not valid JSON (column {exc.colno}): {exc.msg}", row=number, value=line) from None
    if not isinstance(record, dict):
        raise _invalid(f"record is not an object (found {_json_kind(record)})", row=number, value=line)
    return record


def _jsonl_batches(ahead: list[tuple[int, list[dict]]], groups: Iterator[tuple[int, list[dict]]],
                   keys: list[str], headers: list[str], batch_rows: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    known = set(keys)
    for first, records in itertools.chain(ahead, groups):
        for i, record in enumerate(records):
            if not known.issuperset(record):
                unknown = next(k for k in record if k not in known)
                raise _invalid(f"field {unknown!r} is not in the first {batch_rows:,} records, "
                               "which define the columns", row=first + i, column=unknown, value=record[unknown])
        columns = ([r.get(k) for r in records] for k in keys)
        yield first, _batch_from_python(columns, headers, first, empty_is_null=False)


# ---------------------------------------------------------------- parquet


def _open_parquet(path: Path, batch_rows: int) -> TableStream:
    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others for damaged files
        raise _invalid(f"not a readable Parquet file ({str(exc)[:200]})") from None
    try:
        headers = _check_headers(names, 1, lambda i: repr(names[i]))
    except BaseException:
        parquet.close()
        raise
    return TableStream("parquet", None, headers, _parquet_batches(parquet, headers, batch_rows),
                       close=parquet.close)


def _parquet_batches(parquet: pq.ParquetFile, headers: list[str], batch_rows: int
                     ) -> Iterator[tuple[int, pa.RecordBatch]]:
    batches = parquet.iter_batches(batch_size=batch_rows)
    first = 1
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # damaged pages surface mid-stream with various types
            raise _invalid(f"the Parquet file is damaged and cannot be read past this row ({str(exc)[:200]})",
                           row=first) from None
        columns = [_arrow_strings(col, first, name) for name, col in zip(headers, batch.columns)]
        yield first, pa.RecordBatch.from_arrays(columns, names=headers)
        first += batch.num_rows


def _arrow_strings(arr: pa.Array, first_row: int, column: str) -> pa.Array:
    """Any flat arrow column as strings in the same forms as csv cells."""
    t = arr.type
    if pa.types.is_dictionary(t):
        return _arrow_strings(arr.dictionary_decode(), first_row, column)
    if pa.types.is_nested(t):
        valid = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False))
        if len(valid) == 0:
            return pa.nulls(len(arr), pa.string())
        index = int(valid[0])
        raise _invalid("nested value (a list, struct or map): only plain values are accepted",
                       row=first_row + index, column=column, value=str(arr[index].as_py()))
    fast = _fast_strings(arr)
    if fast is not None:
        return fast
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        try:
            return _decode_utf8(arr.cast(pa.binary()))
        except TextDecodeError as exc:
            raise _invalid("bytes that are not valid UTF-8 text", row=first_row + exc.index,
                           column=column, value=exc.shown) from None
    if pa.types.is_timestamp(t):
        return _timestamp_strings(arr)
    try:
        return arr.cast(pa.string())
    except pa.ArrowException:
        raise _invalid(f"unsupported Parquet column type {t}", row=first_row, column=column) from None


def _timestamp_strings(arr: pa.Array) -> pa.Array:
    """'YYYY-MM-DD HH:MM:SS', with a fraction only when some value has one; tz-aware values
    carry their offset."""
    if arr.type.unit != "s" and pc.all(pc.equal(pc.subsecond(arr), 0)).as_py() is not False:
        arr = arr.cast(pa.timestamp("s", tz=arr.type.tz), safe=False)
    return arr.cast(pa.string())
