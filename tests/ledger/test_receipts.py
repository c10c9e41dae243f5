"""A batch's receipts: the header form written out directly is the receipt's JSON, byte for byte, and
every receipt of every batch size verifies offline against the published key."""

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
        assert base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)) == orjson.dumps(receipt.to_json())
        assert receipt.batch_proof == merkle.inclusion_proof(i, hashes)
        checked = receipts.verify_receipt(header, [key])
        assert (checked.seq, checked.leaf_hash) == (1000 + i, hashes[i])
    # One receipt's proof does not prove another leaf.
    if size > 1:
        forged = receipts.parse_receipt(batch[0].header())
        forged["leaf_hash"] = base64.b64encode(hashes[1]).decode()
        with pytest.raises(receipts.ReceiptError):
            receipts.verify_receipt(orjson.dumps(forged).decode(), [key])
