"""RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of an event that becomes a leaf.

Keys sorted by their UTF-16 code units, no whitespace, strings escaped as ECMAScript's
JSON.stringify does (Python's json with ensure_ascii=False escapes the same set, lowercase hex),
numbers in ECMAScript's shortest form (100.0 → 100, 1e-7 → 1e-7, 1e21 → 1e+21). Integers beyond
±2^53 are refused: other implementations would read them as rounded doubles.
"""

from __future__ import annotations

import json
import math
import re

import orjson

_SAFE_INT = 2**53


def canonical(value) -> bytes:
    return _encode(value).encode("utf-8")


def _encode(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) >= _SAFE_INT:
            raise ValueError(f"integer {value} is outside ±2^53; send it as a string")
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("object keys must be strings")
        # RFC 8785 orders keys by UTF-16 code units; a lone surrogate (JSON may escape one) is one unit.
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(f"{_string(k)}:{_encode(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value: str) -> str:
    # A lone surrogate (JSON allows "\\ud800") cannot be UTF-8: escaped, as JSON.stringify does.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _number(value: float) -> str:
    """ECMAScript Number::toString for finite doubles."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"
    mantissa, _, exponent = repr(value).partition("e")  # shortest round-trip digits, as ECMAScript picks
    # Normalise: s = significant digits without leading/trailing zeros, n = decimal exponent (ES 7.1.12.1).
    raw = mantissa.replace("-", "")
    int_part, _, frac_part = raw.partition(".")
    all_digits = (int_part + frac_part)
    n = len(int_part) + (int(exponent) if exponent else 0)
    stripped = all_digits.lstrip("0")
    n -= len(all_digits) - len(stripped)
    s = stripped.rstrip("0") or "0"
    k = len(s)
    sign = "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    exp_text = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + (s if k == 1 else s[0] + "." + s[1:]) + exp_text


_FLAT_TYPES = frozenset((str, int, bool, type(None)))
_ESCAPED_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER  # integers beyond ±2^53 raise


def canonical_flat(value: dict) -> bytes:
    """`canonical` for the hot path's events: one level of ASCII keys, values str / int / None / bool.
    For those, orjson's sorted output is the same bytes (code-point order of ASCII keys is UTF-16
    order; strings as UTF-8 with the same escapes, lowercase hex), which the tests hold against the
    general encoder on hostile strings. Anything else goes through the general encoder."""
    if not "".join(value).isascii() or not {type(v) for v in value.values()} <= _FLAT_TYPES:
        return canonical(value)
    try:
        return orjson.dumps(value, option=_ESCAPED_SORTED)
    except TypeError:  # a lone surrogate cannot be UTF-8; an integer beyond ±2^53 (refused there)
        return canonical(value)


def canonical_fast(value) -> bytes:
    """`canonical` of small nested values (a request's parameters) without the general encoder when
    nothing in them needs it: dicts with ASCII keys, lists, str / int / bool / None."""
    if not _plain(value):
        return canonical(value)
    try:
        return orjson.dumps(value, option=_ESCAPED_SORTED)
    except TypeError:
        return canonical(value)


def _plain(value) -> bool:
    kind = type(value)
    if kind is dict:
        if not "".join(value).isascii():
            return False
        values = value.values()
    elif kind is list or kind is tuple:
        values = value
    else:
        return kind in _FLAT_TYPES
    for item in values:  # a loop, not all(<generator>): every exchange call passes here
        if type(item) is not str and not _plain(item):
            return False
    return True
