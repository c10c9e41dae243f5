"""Field masking of shared data: the one place that decides what a consumer sees of an item.

Every delivery channel (API rows, batch files, later the change feed) must go through `Masker`, so a
value masks and pseudonymises the same way whichever channel delivers it; `Masker.row` (scalar) and
`Masker.batch` (pyarrow.compute) implement the same rules and the tests hold them to identical output.

Non-text values are masked through their canonical text, which is Arrow's text of the value in both
paths (floats as Arrow writes them, e.g. 1.0 -> "1"; decimals with their scale; ISO dates; timestamps
to the second), so the row path expects the Python values `RecordBatch.to_pylist()` gives.

Measured (timeit, one 1,000,000-value column, batch path): mask mobile/id_number/bank_card/name/other
0.09-0.13 s (7.7-10.8 M values/s), address 0.37 s (2.7 M/s, RE2 on CJK); pseudonym 0.96 s when all values
differ (~1 M/s, one HMAC per distinct value in Python), 0.02 s with 1,000 distinct. Row path ~1.7 M rows/s
for one masked text column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govshare.catalog.vocab import ItemSpec
from govshare.core.security import Hmac

POLICIES: tuple[str, ...] = ("clear", "mask", "pseudonym", "drop")

_DEFAULT_POLICY = {
    "id_number": "mask", "name": "mask", "mobile": "mask", "address": "mask", "bank_card": "mask",
    "other": "mask", "uscc": "clear", "none": "clear",
}

# (kept head, kept tail): values no longer than head + tail become all stars, so nothing is shown whole.
_KEEP_ENDS = {
    "mobile": (3, 4), "id_number": (6, 4), "bank_card": (6, 4), "uscc": (1, 1), "other": (1, 1), "none": (1, 1),
}

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 申屠 "
    "澹台 太史 钟离 百里 呼延 万俟 闻人 东郭 赫连 拓跋".split()
)
_COMPOUND_ARRAY = pa.array(sorted(COMPOUND_SURNAMES), pa.string())

# Up to the first district-level marker (区 县 旗, but not the 区 of 小区 社区 园区 开发区 景区 校区 街区
# 片区 or 自治区); else up to the last 市; else the first 2 characters. RE2 has no look-behind, so the
# excluded pairs are consumed as units. The same pattern runs in Python `re` and Arrow's RE2, both
# leftmost-first, so the two paths keep the same prefix.
_NOT_DISTRICT = "小社园发景校街片治"
_ADDRESS_KEEP = (rf"(?s)^(?P<keep>(?:[^区县旗]|[{_NOT_DISTRICT}]区)*?(?:[^{_NOT_DISTRICT}区县旗]区|县|旗)"
                 r"|.*市|.{0,2})")
_ADDRESS_RE = re.compile(_ADDRESS_KEEP)
_ADDRESS_STARS = "****"

_MIN_KEY_BYTES = 16


def strictness(policy: str) -> int:
    """Position of `policy` in POLICIES: a higher number shows the consumer less."""
    try:
        return POLICIES.index(policy)
    except ValueError:
        raise ValueError(f"unknown masking policy {policy!r} (expected one of {', '.join(POLICIES)})") from None


def default_policy(pi_kind: str) -> str:
    """The policy an item gets unless its grant says otherwise: personal information is masked."""
    try:
        return _DEFAULT_POLICY[pi_kind]
    except KeyError:
        raise ValueError(f"unknown personal information kind {pi_kind!r}") from None


def default_policies(items: Iterable[ItemSpec]) -> dict[str, str]:
    return {item.name: default_policy(item.pi_kind) for item in items}


def pseudonym_key(secret: str, consumer_org_id: str) -> bytes:
    """Per-consumer key: one consumer can join its own deliveries, two consumers cannot join theirs."""
    return Hmac(secret.encode()).digest(b"govshare-pseudonym:" + consumer_org_id.encode())


# ---------------------------------------------------------------- scalar path


def mask_value(pi_kind: str, value: str) -> str:
    """`value` (non-null text) masked by the rule for `pi_kind`."""
    if pi_kind == "name":
        return _mask_name(value)
    if pi_kind == "address":
        return _ADDRESS_RE.match(value).group("keep") + _ADDRESS_STARS
    try:
        head, tail = _KEEP_ENDS[pi_kind]
    except KeyError:
        raise ValueError(f"unknown personal information kind {pi_kind!r}") from None
    n = len(value)
    if n <= head + tail:
        return "*" * n
    return value[:head] + "*" * (n - head - tail) + value[n - tail:]


def _mask_name(value: str) -> str:
    n = len(value)
    if n <= 1:
        return "*" * n
    keep = 2 if n > 2 and value[:2] in COMPOUND_SURNAMES else 1
    return value[:keep] + "*" * (n - keep)


def _text(value) -> str:
    """Canonical text of a non-null value; anything but str/int goes through Arrow, as in the batch path."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _text_array(pa.array([value]))[0].as_py()


# ---------------------------------------------------------------- vectorised path


def _text_array(arr: pa.Array) -> pa.Array:
    """Canonical text of a column (string type, nulls kept)."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_floating(t) and t != pa.float64():
        # Python sees float32 values widened to double; widen here too so both paths print the same digits
        arr = arr.cast(pa.float64())
    elif pa.types.is_timestamp(t):
        # strftime's %S prints the fraction of finer units; floor first so pre-1970 values do not round up
        seconds = pc.floor_temporal(arr, unit="second").cast(pa.timestamp("s", t.tz))
        return pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
    return arr.cast(pa.string())


def _stars(counts: pa.Array) -> pa.Array:
    return pc.binary_repeat("*", pc.max_element_wise(counts, 0))


def _mask_array(pi_kind: str, text: pa.Array) -> pa.Array:
    if pi_kind == "name":
        return _mask_name_array(text)
    if pi_kind == "address":
        keep = pc.struct_field(pc.extract_regex(text, pattern=_ADDRESS_KEEP), [0])
        return pc.binary_join_element_wise(keep, _ADDRESS_STARS, "")
    head, tail = _KEEP_ENDS[pi_kind]
    n = pc.utf8_length(text)
    hidden = pc.subtract(n, head + tail)
    shown = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, head), _stars(hidden), pc.utf8_slice_codeunits(text, -tail), "")
    return pc.if_else(pc.less_equal(hidden, 0), _stars(n), shown)


def _mask_name_array(text: pa.Array) -> pa.Array:
    n = pc.utf8_length(text)
    first2 = pc.utf8_slice_codeunits(text, 0, 2)
    compound = pc.and_(pc.is_in(first2, value_set=_COMPOUND_ARRAY), pc.greater(n, 2))
    surname = pc.if_else(compound, first2, pc.utf8_slice_codeunits(text, 0, 1))
    shown = pc.binary_join_element_wise(surname, _stars(pc.subtract(n, pc.if_else(compound, 2, 1))), "")
    return pc.if_else(pc.less_equal(n, 1), _stars(n), shown)


def _pseudonym_array(mac: Hmac, text: pa.Array) -> pa.Array:
    """HMAC once per distinct value, then spread back with `take`."""
    encoded = text.dictionary_encode()
    distinct = encoded.dictionary.cast(pa.binary()).to_pylist()
    digest = mac.digest
    digests = b"".join([digest(value)[:16] for value in distinct])
    offsets = np.arange(len(distinct) + 1, dtype=np.int32) * 32
    hexed = pa.StringArray.from_buffers(len(distinct), pa.py_buffer(offsets), pa.py_buffer(digests.hex().encode()))
    return pc.take(hexed, encoded.indices)


# ---------------------------------------------------------------- one grant


class Masker:
    """Projection + masking for one grant, built once and reused for every row/batch."""

    def __init__(self, items: list[ItemSpec], policies: dict[str, str], key: bytes):
        names = [item.name for item in items]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate item names: {sorted({n for n in names if names.count(n) > 1})}")
        # Policies for items not in `items` (e.g. removed from the entry since the grant) are ignored: they
        # cannot widen what is shown, and rejecting them would lock the consumer out of the remaining items.
        self.policies: dict[str, str] = {}  # effective policy of every granted item, dropped ones included
        self._plan: list[tuple[str, str, str]] = []
        for item in items:
            default = default_policy(item.pi_kind)  # also rejects an unknown pi_kind up front
            policy = policies[item.name] if item.name in policies else default
            strictness(policy)
            self.policies[item.name] = policy
            self._plan.append((item.name, policy, item.pi_kind))
        if any(policy == "pseudonym" for _, policy, _ in self._plan) and (
                not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES):
            raise ValueError(f"pseudonyms need a key of at least {_MIN_KEY_BYTES} bytes (see pseudonym_key)")
        self._mac = Hmac(key if isinstance(key, bytes) else b"")
        self._plan = [step for step in self._plan if step[1] != "drop"]
        self.columns: list[str] = [name for name, _, _ in self._plan]

    def row(self, values: dict) -> dict:
        out = {}
        for name, policy, pi_kind in self._plan:
            value = values[name]
            if policy == "clear" or value is None:
                out[name] = value
            elif policy == "mask":
                out[name] = mask_value(pi_kind, _text(value))
            else:
                out[name] = self._mac.digest(_text(value).encode())[:16].hex()
        return out

    @property
    def changed(self) -> list[str]:
        """The output columns whose values masking changes (mask or pseudonym)."""
        return [name for name, policy, _ in self._plan if policy != "clear"]

    def arrays(self, columns: dict[str, pa.Array]) -> dict[str, pa.Array]:
        """The `changed` columns, given as arrays by name, masked exactly as `batch` masks them."""
        out = {}
        for name, policy, pi_kind in self._plan:
            if policy == "mask":
                out[name] = _mask_array(pi_kind, _text_array(columns[name]))
            elif policy == "pseudonym":
                out[name] = _pseudonym_array(self._mac, _text_array(columns[name]))
        return out

    def batch(self, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
        arrays = []
        for name, policy, pi_kind in self._plan:
            column = batch.column(name)
            if isinstance(column, pa.ChunkedArray):
                column = column.combine_chunks()
            if policy == "clear":
                arrays.append(column)
            elif policy == "mask":
                arrays.append(_mask_array(pi_kind, _text_array(column)))
            else:
                arrays.append(_pseudonym_array(self._mac, _text_array(column)))
        if not arrays:  # everything dropped: keep the row count
            return pa.record_batch([pa.nulls(batch.num_rows)], names=["_"]).select([])
        return pa.RecordBatch.from_arrays(arrays, names=self.columns)
