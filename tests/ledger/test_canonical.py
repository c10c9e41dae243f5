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


def test_the_fast_request_encoder_is_byte_identical_on_nested_requests():
    """`canonical_fast` (a call's request, hashed into its leaf) takes the orjson path only for dicts
    with ASCII keys, lists and tuples of str / int / bool / None; whatever it is given, its bytes are
    the general encoder's."""
    import random

    from govshare.ledger.canonical import canonical_fast

    rng = random.Random(20261203)
    strings = ["", "110101199003071234", '"', "\\", "中文", "\u2028", "\ud800", "\U0001f600", "\x00", "a/b"]
    keys = ["id_number", "name", "名称", "b", "a", "\ud800"]

    def value(depth: int):
        pick = rng.random()
        if depth > 2 or pick < 0.45:
            return rng.choice([rng.choice(strings), rng.randint(-5, 5), rng.random() < 0.5, None, 2**53 - 1, 0.5])
        if pick < 0.8:
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}
        items = [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return items if rng.random() < 0.5 else tuple(items)

    for _ in range(3000):
        request = {"query": value(0)}
        assert canonical_fast(request) == canonical(request), repr(request)


def test_an_exchange_calls_leaf_is_the_canonical_json_of_its_event():
    """`sequencer.call_event` writes its keys in order in one step: the bytes must be RFC 8785's for any
    purpose text (hostile strings fall back to the general encoder) and any ids, counts and status."""
    import json
    import random

    from govshare.core.security import subject_hash
    from govshare.ledger.sequencer import call_event, columns_of

    rng = random.Random(20261203)
    alphabet = [chr(c) for c in range(0x30)] + ['"', "\\", "/", "é", "中", "\u2028", "\ud800", "\U0001f600", "\x7f",
                                                "a", "Z"]
    for i in range(2000):
        purpose = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) if i % 5 else None
        event = call_event(rng.choice(["lookup", "verify", "export", "feed"]), client_id=f"c{i}",
                           consumer_org_id="o1", provider_org_id=None if i % 7 == 0 else "o2", entry_id="e1",
                           grant_id=None if i % 3 == 0 else "g1", subject=None if i % 4 == 0 else f"{i:018d}",
                           purpose=purpose, outcome=rng.choice(["ok", "not_found", "no_grant"]),
                           status=rng.choice([200, 403, 429]), rows=rng.randint(0, 10_000),
                           request={"query": {"id_number": f"{i:018d}"}}, response=None if i % 2 else b"x" * 64)
        body = json.loads(event.leaf)
        assert event.leaf == canonical(body), repr(purpose)
        assert body["at"].endswith("Z") and body["kind"] == event.kind and body["purpose"] == purpose
        # The identifier is in the leaf and the row only as its keyed hash, made with the leaf.
        assert body["subject"] == (None if i % 4 == 0 else subject_hash(f"{i:018d}")) == event.subject_hash
        assert f"{i:018d}".encode() not in event.leaf
        expected = columns_of(body)
        assert event.call == tuple(expected[c] for c in ("method", "client_id", "purpose", "row_count", "outcome",
                                                         "status_code"))


def test_an_exchange_calls_time_is_now_in_utc_to_the_microsecond_in_every_form():
    """The leaf's `at` (RFC 3339, UTC, microseconds), the row's time on either store and `Event.at` are
    one instant, and it is now: the leaf's text is made from a per-second cache."""
    import json
    import re
    import time as clock
    from datetime import datetime, timedelta, timezone

    from govshare.ledger.sequencer import call_event, iso

    for _ in range(3):
        before = datetime.now(timezone.utc)
        event = call_event("lookup", client_id="c", consumer_org_id="o1", provider_org_id="o2", entry_id="e1",
                           grant_id="g1", subject=None, purpose=None, outcome="ok", status=200, rows=1,
                           request=None, response=None)
        after = datetime.now(timezone.utc)
        text = json.loads(event.leaf)["at"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
        at = event.at
        assert at.tzinfo is not None and iso(at) == text
        assert before - timedelta(microseconds=1) <= at <= after
        assert event.row(1, sqlite=False)[1] == at
        assert event.row(1, sqlite=True)[1] == at.strftime("%Y-%m-%d %H:%M:%S.%f")
        clock.sleep(0.6)  # the next event falls in another second at least once
