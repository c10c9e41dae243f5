"""RFC 8785 canonical JSON: key order, escaping and ECMAScript number forms."""

from __future__ import annotations

import pytest

from govshare.ledger.canonical import canonical


@pytest.mark.parametrize("number, text", [
    (0.0, "0"), (-0.0, "0"), (100.0, "100"), (4.5, "4.5"), (0.002, "0.002"), (1e-6, "0.000001"),
    (1e-7, "1e-7"), (1e21, "1e+21"), (1e20, "100000000000000000000"), (123456789012345680000.0,
                                                                        "123456789012345680000"),
    (-1.5e-10, "-1.5e-10"), (1.7976931348623157e308, "1.7976931348623157e+308"),
    (5e-324, "5e-324"), (0.1, "0.1"), (333333333.3333333, "333333333.3333333"), (-12.0, "-12"),
])
def test_numbers_take_ecmascript_forms(number, text):
    assert canonical(number) == text.encode()


def test_objects_sort_keys_by_utf16_and_strings_escape_like_json_stringify():
    # RFC 8785 §3.2.3's sorting example: keys ordered by UTF-16 code units, not code points.
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
    keys = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    encoded = canonical(value).decode()
    positions = [encoded.index(canonical(k).decode() + ":") for k in keys]
    assert positions == sorted(positions)
    assert canonical({"b": [1, True, None], "a": "x\n\u0001\"\\é"}) == \
        '{"a":"x\\n\\u0001\\"\\\\é","b":[1,true,null]}'.encode()
    assert canonical({"事件": "共享申请", "seq": 7}) == '{"seq":7,"事件":"共享申请"}'.encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2**53, {1: "x"}, {"a": b"bytes"}])
def test_values_without_a_canonical_form_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        canonical(bad)


def test_the_fast_flat_encoder_is_byte_identical_on_hostile_strings():
    """`canonical_flat` (orjson, for the hot path's events) must give the same bytes as the general
    encoder: control characters, quotes, backslashes, lone surrogates, astral characters, U+2028,
    DEL, non-ASCII keys (which fall back), floats (which fall back), integers at the 2^53 edge."""
    import random

    from govshare.ledger.canonical import canonical_flat

    rng = random.Random(20261202)
    alphabet = [chr(c) for c in range(0x30)] + ['"', "\\", "/", "é", "中", "\u2028", "\u2029", "\ud800", "\udfff",
                                                "\U0001f600", "\x7f", "\ufeff", "a", "Z"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        value = {"kind": "exchange.lookup", "purpose": text, "rows": rng.randint(-5, 5), "subject": None,
                 "ok": rng.random() < 0.5}
        assert canonical_flat(value) == canonical(value), repr(text)
    for value in ({"名称": "x"}, {"ratio": 0.5}, {"n": 2**53 - 1}, {"n": -(2**53) + 1}):
        assert canonical_flat(value) == canonical(value)
    with pytest.raises(ValueError):
        canonical_flat({"n": 2**53})
