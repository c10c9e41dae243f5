"""A batch's receipts: the compact header form says what the receipt's JSON says, every receipt of
every batch size verifies offline against the published key, and a malformed or forged one is refused."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from govshare.core.config import get_settings
from govshare.ledger import keys, merkle, receipts, sequencer


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 16, 31, 33])
def test_each_receipt_of_a_batch_renders_its_json_and_verifies(clean_db, size):
    hashes = [hashlib.sha256(b"leaf %d" % i).digest() for i in range(size)]
    batch = sequencer.sign_batch(1000, hashes)
    assert merkle.levels(hashes)[-1] == [merkle.root(hashes)]
    key = keys.signer().verifier_key
    for i, receipt in enumerate(batch):
        receipt.salt = f"{i:032x}" if i % 2 else None
        header = receipt.header()
        assert header.startswith(f"3.{1000 + i}.") and receipt.promise not in header
        assert receipts.parse_receipt(header) == receipt.to_json()
        assert receipts.parse_receipt(f"GovShare-Receipt: {header}\n") == receipt.to_json()
        assert receipt.batch_proof == merkle.inclusion_proof(i, hashes)
        checked = receipts.verify_receipt(header, [key])
        assert (checked.seq, checked.leaf_hash) == (1000 + i, hashes[i])
        # The JSON document, the header form of version 2 (the whole promise) and the form headers had
        # before it (base64url of the JSON) still verify.
        document = orjson.dumps(receipt.to_json())
        for text in (document.decode(), base64.urlsafe_b64encode(document).decode().rstrip("="),
                     _version_2(receipt)):
            assert receipts.parse_receipt(text) == receipt.to_json()
            assert receipts.verify_receipt(text, [key]).seq == 1000 + i
    # One receipt's proof does not prove another leaf.
    if size > 1:
        forged = receipts.parse_receipt(batch[0].header())
        forged["leaf_hash"] = base64.b64encode(hashes[1]).decode()
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(orjson.dumps(forged).decode(), [key])
        parts = batch[0].header().split(".", 9)
        parts[2] = batch[1].header().split(".")[2]  # another leaf's hash in the header form
        with pytest.raises(receipts.ReceiptError, match="not those of the signed batch"):
            receipts.verify_receipt(".".join(parts), [key])
        parts = _version_2(batch[0]).split(".")
        parts[2] = _version_2(batch[1]).split(".")[2]
        with pytest.raises(receipts.ReceiptError, match="not in the signed batch"):
            receipts.verify_receipt(".".join(parts), [key])


def _version_2(receipt: sequencer.Receipt) -> str:
    """The header form before version 3: the same first five parts, then the promise in base64url."""
    head = receipt.header().split(".", 5)[:5]
    promise = base64.urlsafe_b64encode(receipt.promise.encode()).decode().rstrip("=")
    return ".".join(["2", *head[1:], promise])


def test_the_promise_is_due_the_configured_delay_from_now_to_the_second(clean_db):
    key = keys.signer().verifier_key
    delay = get_settings().ledger_max_delay_seconds
    for _ in range(3):  # the deadline's text is kept for a second: each batch still gets its own second
        before = datetime.now(timezone.utc).replace(microsecond=0)
        receipt = sequencer.sign_batch(5, [hashlib.sha256(b"due").digest()])[0]
        after = datetime.now(timezone.utc)
        include_by = receipts.verify_receipt(receipt.header(), [key]).include_by
        assert before + timedelta(seconds=delay) <= include_by <= after + timedelta(seconds=delay)
        time.sleep(0.6)
    given = datetime(2026, 12, 4, 1, 2, 3, 999_999, tzinfo=timezone.utc)
    receipt = sequencer.sign_batch(5, [hashlib.sha256(b"due").digest()], now=given)[0]
    assert receipts.verify_receipt(receipt.header(), [key]).include_by == datetime(
        2026, 12, 4, 1, 2, 3, tzinfo=timezone.utc) + timedelta(seconds=delay)


def test_the_header_is_a_third_shorter_than_one_carrying_the_promise(clean_db):
    receipt = sequencer.sign_batch(123_456, [hashlib.sha256(b"leaf %d" % i).digest() for i in range(6)])[3]
    receipt.salt = "ab" * 16
    assert len(receipt.header()) < 0.7 * len(_version_2(receipt))  # 359 against 532 characters


def test_a_key_whose_name_is_not_the_origin_is_named_in_the_header(clean_db, monkeypatch):
    signer = keys.new_signer("other.example/key")
    monkeypatch.setattr(keys, "signer", lambda: signer)
    receipt = sequencer.sign_batch(7, [hashlib.sha256(b"x").digest()])[0]
    header = receipt.header()
    assert header.endswith(".govshare.local/ledger other.example/key")
    assert receipts.parse_receipt(header) == receipt.to_json()
    assert receipts.verify_receipt(header, [signer.verifier_key]).seq == 7


def test_an_origin_that_is_not_ascii_falls_back_to_the_whole_promise(clean_db, monkeypatch):
    """A header value is Latin-1 bytes: a non-ASCII origin goes in the promise, base64url, as in version 2."""
    signer = keys.new_signer("政务.example/账本")
    monkeypatch.setattr(keys, "signer", lambda: signer)
    monkeypatch.setattr(sequencer.get_settings(), "ledger_origin", "政务.example/账本")
    receipt = sequencer.sign_batch(9, [hashlib.sha256(b"y").digest()])[0]
    header = receipt.header()
    assert header.startswith("2.9.") and header.isascii()
    assert receipts.verify_receipt(header, [signer.verifier_key]).origin == "政务.example/账本"


def test_malformed_header_forms_are_refused_with_a_reason(clean_db):
    receipt = sequencer.sign_batch(5, [hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()])[0]
    receipt.salt = "ab" * 16
    good = receipt.header().split(".", 9)
    key = keys.signer().verifier_key

    def but(i: int, part: str) -> str:
        return ".".join([*good[:i], part, *good[i + 1:]])

    broken = {
        "too few parts": ".".join(good[:9]),
        "a sequence number that is not one": but(1, "x1"),
        "a sequence number in other digits": but(1, "５"),
        "a short leaf hash": but(2, good[2][:-1]),
        "a proof of part of a hash": but(3, good[3] + "A"),
        "a salt that is not hex": but(4, "zz"),
        "standard base64 in place of base64url": but(2, "+" * 43),
        "a first number that is not one": but(5, "-5"),
        "a size that is not one": but(6, ""),
        "a batch the leaf is not in": but(6, "1"),
        "a deadline that is not one": but(7, "tomorrow"),
        "a signature that is not base64url": but(8, "!" * 91),
        "a short signature": but(8, good[8][:-2]),
        "another deadline than the signed one": but(7, "2000-01-01T00:00:00Z"),
        "another origin than the signed one": but(9, "evil.example/ledger"),
        "three names": but(9, f"{good[9]} a b"),
    }
    for why, text in broken.items():
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(text, [key])
            pytest.fail(why)
    assert receipts.verify_receipt(".".join(good), [key]).seq == 5
    v2 = _version_2(receipt).split(".")
    broken_v2 = {
        "too few parts": ".".join(v2[:5]),
        "a promise that is not base64url": ".".join([*v2[:5], "!!"]),
        "a promise that is not a note": ".".join([*v2[:5], base64.urlsafe_b64encode(b"x").decode()]),
    }
    for why, text in broken_v2.items():
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(text, [key])
            pytest.fail(why)
