"""Check characters of Chinese identifiers, one value at a time and vectorised over arrow arrays.

- 公民身份号码 (ID number), GB 11643: 17 digits + a MOD 11-2 check character (0-9 or X).
- 统一社会信用代码 (USCC), GB 32100: 17 characters + a MOD 31 check character.
- ISO 7064 MOD 37,36 hybrid system, the check character of electronic licence identifiers.

The vectorised forms take the 18-byte values of a pyarrow string array as an (n, 18) uint8
matrix, so a million values cost a handful of numpy operations instead of a million Python calls.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pyarrow as pa

from govshare.core.i18n import N_

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"  # index: weighted sum mod 11
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOD37_36_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

MIN_BIRTH_YEAR = 1900

_ID_CHECK_BYTES = np.frombuffer(ID_CHECK_CHARS.encode(), dtype=np.uint8)
_USCC_CHARSET_BYTES = np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)
# byte -> USCC character value, -1 for bytes outside the charset
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
_USCC_VALUE[_USCC_CHARSET_BYTES] = np.arange(len(USCC_CHARSET))
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


# ---------------------------------------------------------------- scalar forms


def id_number_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_number_problem(s: str) -> str | None:
    """Why `s` is not a valid ID number (a short English reason), or None when it is valid."""
    if len(s) != 18:
        return f"ID number must have 18 characters, has {len(s)}"
    body, check = s[:17], s[17].upper()
    if not body.isascii() or not body.isdigit():
        return N_("ID number must start with 17 digits")
    if not (check.isascii() and (check.isdigit() or check == "X")):
        return N_("ID number must end with a digit or X")
    if not _birth_date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return f"ID number has an impossible birth date {s[6:14]}"
    if id_number_check_char(body) != check:
        return N_("ID number check character does not match")
    return None


def id_number_valid(s: str) -> bool:
    """GB 11643 check character and a real birth date; a lower-case x counts as X."""
    return id_number_problem(s) is None


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a unified social credit code."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    try:
        total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    except ValueError:
        raise ValueError(f"characters must be in {USCC_CHARSET}") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(s: str) -> str | None:
    """Why `s` is not a well-formed credit code, or None. A wrong check character is not a
    form problem (see `uscc_valid`)."""
    if len(s) != 18:
        return f"credit code must have 18 characters, has {len(s)}"
    bad = sorted({ch for ch in s if ch not in USCC_CHARSET})
    if bad:
        return f"credit code contains characters outside the GB 32100 set: {''.join(bad)}"
    return None


def uscc_valid(s: str) -> bool:
    """Well formed and the GB 32100 check character matches."""
    return uscc_problem(s) is None and uscc_check_char(s[:17]) == s[17]


def iso7064_mod37_36_check_char(s: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character over 0-9A-Z.

    Separators are not part of the alphabet: callers strip them (e.g. the dots of a licence
    identifier) before computing.
    """
    product = 36
    for ch in s.upper():
        value = MOD37_36_CHARSET.find(ch)
        if value < 0:
            raise ValueError(f"character {ch!r} is not in 0-9A-Z")
        total = (product + value) % 36 or 36
        product = (total * 2) % 37
    return MOD37_36_CHARSET[(37 - product) % 36]


def iso7064_mod37_36_valid(s: str) -> bool:
    """True when the last character of `s` is the MOD 37,36 check character of the rest."""
    if len(s) < 2:
        return False
    try:
        return iso7064_mod37_36_check_char(s[:-1]) == s[-1].upper()
    except ValueError:
        return False


def _birth_date_ok(year: int, month: int, day: int) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return year >= MIN_BIRTH_YEAR and born <= _dt.date.today()


# ---------------------------------------------------------------- vectorised forms


def fixed_width_bytes(arr: pa.Array | pa.ChunkedArray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(mask of non-null values exactly `width` bytes long, (k, width) uint8 matrix of those values).

    Rows of the matrix are the selected values in order; the mask says which rows they came from.
    When every value has the width (the usual case) the matrix is a view of the array's data.
    """
    arr = _as_string_array(arr)
    offsets = string_offsets(arr)
    mask = np.diff(offsets) == width
    if arr.null_count:
        mask &= arr.is_valid().to_numpy(zero_copy_only=False)
    if not mask.any():
        return mask, np.empty((0, width), dtype=np.uint8)
    if mask.all():
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
        return mask, data[offsets[0]:offsets[0] + width * len(arr)].reshape(len(arr), width)
    picked = arr.filter(pa.array(mask))
    picked_offsets = string_offsets(picked)
    data = np.frombuffer(picked.buffers()[2], dtype=np.uint8)
    start = picked_offsets[0]
    return mask, data[start:start + width * len(picked)].reshape(len(picked), width)


def string_offsets(arr: pa.Array) -> np.ndarray:
    """The value offsets of a (large_)string or (large_)binary array, honouring its slice."""
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if large else np.int32)
    return offsets[arr.offset:arr.offset + len(arr) + 1]


def id_numbers_valid(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Vectorised `id_number_valid`; nulls count as valid (required-ness is checked elsewhere)."""
    arr = _as_string_array(arr)
    mask, mat = fixed_width_bytes(arr, 18)
    ok = np.ones(len(mat), dtype=bool)
    if len(mat):
        total = np.zeros(len(mat), dtype=np.int32)
        # column by column: strided 2-D reductions are several times slower
        for i, weight in enumerate(ID_WEIGHTS):
            digit = mat[:, i] - np.uint8(48)  # wraps below '0', so one comparison checks the range
            ok &= digit <= 9
            total += digit * np.int32(weight)
        check = mat[:, 17]
        check = np.where(check == ord("x"), np.uint8(ord("X")), check)
        ok &= check == _ID_CHECK_BYTES[total % 11]
        ok &= _dates_ok(_number(mat, 6, 4), _number(mat, 10, 2), _number(mat, 12, 2))
    return _spread(arr, mask, ok)


def uscc_valid_array(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Vectorised `uscc_valid`; nulls count as valid."""
    arr = _as_string_array(arr)
    mask, mat = fixed_width_bytes(arr, 18)
    ok = np.ones(len(mat), dtype=bool)
    if len(mat):
        total = np.zeros(len(mat), dtype=np.int64)
        for i, weight in enumerate(USCC_WEIGHTS):
            value = _USCC_VALUE[mat[:, i]]
            ok &= value >= 0
            total += value * weight
        check = _USCC_VALUE[mat[:, 17]]
        ok &= check == (31 - total % 31) % 31
    return _spread(arr, mask, ok)


def uscc_well_formed_array(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """18 characters, all in the GB 32100 set (check character not compared); nulls count as valid."""
    arr = _as_string_array(arr)
    mask, mat = fixed_width_bytes(arr, 18)
    ok = np.ones(len(mat), dtype=bool)
    for i in range(mat.shape[1]):
        ok &= _USCC_VALUE[mat[:, i]] >= 0
    return _spread(arr, mask, ok)


def _dates_ok(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Birth dates that exist, from 1900-01-01 to today."""
    today = _dt.date.today()
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    real = month_ok & (day >= 1) & (day <= last_day)
    as_int = year * 10000 + month * 100 + day
    today_int = today.year * 10000 + today.month * 100 + today.day
    return real & (year >= MIN_BIRTH_YEAR) & (as_int <= today_int)


def _number(mat: np.ndarray, start: int, width: int) -> np.ndarray:
    """The decimal number in byte columns start..start+width (garbage for non-digits, which
    callers reject separately)."""
    out = np.zeros(len(mat), dtype=np.int32)
    for i in range(start, start + width):
        out = out * 10 + (mat[:, i].astype(np.int32) - 48)
    return out


def _spread(arr: pa.Array, mask: np.ndarray, ok_for_picked: np.ndarray) -> np.ndarray:
    """Full-length result: picked rows get their verdict, other non-null rows are invalid."""
    out = arr.is_null().to_numpy(zero_copy_only=False).copy()
    out[mask] = ok_for_picked
    return out


def _as_string_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr
