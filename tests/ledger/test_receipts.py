"""A batch's receipts: the compact header form says what the receipt's JSON says, every receipt of
every batch size verifies offline against the published key, and a malformed or forged one is refused."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest

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
        assert header.startswith(f"2.{1000 + i}.")
        assert receipts.parse_receipt(header) == receipt.to_json()
        assert receipts.parse_receipt(f"GovShare-Receipt: {header}\n") == receipt.to_json()
        assert receipt.batch_proof == merkle.inclusion_proof(i, hashes)
        checked = receipts.verify_receipt(header, [key])
        assert (checked.seq, checked.leaf_hash) == (1000 + i, hashes[i])
        # The JSON document, and the form headers had before version 2 (base64url of the JSON), still verify.
        document = orjson.dumps(receipt.to_json())
        for text in (document.decode(), base64.urlsafe_b64encode(document).decode().rstrip("=")):
            assert receipts.verify_receipt(text, [key]).seq == 1000 + i
    # One receipt's proof does not prove another leaf.
    if size > 1:
        forged = receipts.parse_receipt(batch[0].header())
        forged["leaf_hash"] = base64.b64encode(hashes[1]).decode()
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(orjson.dumps(forged).decode(), [key])
        parts = batch[0].header().split(".")
        parts[2] = batch[1].header().split(".")[2]  # another leaf's hash in the header form
        with pytest.raises(receipts.ReceiptError, match="not in the signed batch"):
            receipts.verify_receipt(".".join(parts), [key])


def test_malformed_header_forms_are_refused_with_a_reason(clean_db):
    receipt = sequencer.sign_batch(5, [hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()])[0]
    receipt.salt = "ab" * 16
    good = receipt.header().split(".")
    key = keys.signer().verifier_key
    broken = {
        "too few parts": ".".join(good[:5]),
        "a sequence number that is not one": ".".join([good[0], "x1", *good[2:]]),
        "a short leaf hash": ".".join([*good[:2], good[2][:-1], *good[3:]]),
        "a proof of part of a hash": ".".join([*good[:3], good[3] + "A", *good[4:]]),
        "a salt that is not hex": ".".join([*good[:4], "zz", good[5]]),
        "standard base64 in place of base64url": ".".join([*good[:2], "+" * 43, *good[3:]]),
        "a promise that is not base64url": ".".join([*good[:5], "!!"]),
        "a promise that is not a note": ".".join([*good[:5], base64.urlsafe_b64encode(b"x").decode()]),
    }
    for why, text in broken.items():
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(text, [key])
            pytest.fail(why)
    assert receipts.verify_receipt(".".join(good), [key]).seq == 5
