"""Checking receipts: offline against the published keys, and against the stored log when at hand."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from govshare.core.database import driver_rows, get_engine, utcnow
from govshare.ledger import merkle, tree
from govshare.ledger.note import SIGNATURE_PREFIX, Checkpoint, NoteError, open_note
from govshare.ledger.sequencer import HEADER_VERSION, RECEIPT_HEADER, RECEIPT_TAG


class ReceiptError(ValueError):
    pass


@dataclass(frozen=True)
class CheckedReceipt:
    seq: int
    leaf_hash: bytes
    origin: str
    include_by: datetime
    key: str


def parse_receipt(text: str) -> dict:
    """A receipt as sent in the header (`sequencer.Receipt.header`; or base64url of its JSON, as sent
    before version 2) or as its JSON (`Receipt.to_json`): the JSON form either way."""
    text = _value(text)
    if text.startswith(f"{HEADER_VERSION}."):
        return _from_header(text)
    if text.startswith("2."):  # the header form before version 3, which carried the whole promise
        return _from_header_v2(text)
    if not text.startswith("{"):
        try:
            text = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ReceiptError("not a receipt: neither its header form nor JSON") from None
    try:
        body = json.loads(text)
    except ValueError:
        raise ReceiptError("not a receipt: invalid JSON") from None
    if not isinstance(body, dict) or body.get("v") != 1:
        raise ReceiptError("not a version 1 receipt")
    return body


def _value(text: str) -> str:
    """The receipt without surrounding space or a leading `GovShare-Receipt:` (a header line pasted whole)."""
    text = text.strip()
    return text.split(":", 1)[1].strip() if text.startswith(f"{RECEIPT_HEADER}:") else text


_HASH_CHARS = 43  # a SHA-256 in unpadded base64url
_SALT = re.compile(r"[0-9a-f]*")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


_DEADLINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_NAME = re.compile(r"[^\s+]+")
_NUMBER = re.compile(r"[0-9]{1,19}")
_SIGNATURE_CHARS = 91  # key id (4 bytes) and Ed25519 signature (64) in unpadded base64url


def _from_header(text: str) -> dict:
    """Version 3: the promise is written back out from the header's fields and the batch root, which
    the leaf hash and the proof lead to (a wrong leaf or proof gives a root the key never signed)."""
    parts = text.split(".", 9)
    if len(parts) != 10:
        raise ReceiptError("not a receipt: the header form has ten parts separated by dots")
    _, seq, leaf, proof, salt, first, size, deadline, signature, signer = parts
    names = signer.split(" ")
    try:
        if (not all(_NUMBER.fullmatch(n) for n in (seq, first, size)) or len(leaf) != _HASH_CHARS
                or len(proof) % _HASH_CHARS or not _SALT.fullmatch(salt) or not _DEADLINE.fullmatch(deadline)
                or len(signature) != _SIGNATURE_CHARS or len(names) > 2 or not all(_NAME.fullmatch(n) for n in names)
                or not all(_B64URL.fullmatch(p) for p in (leaf, proof, signature))):
            raise ValueError
        nodes = [_std_b64(proof[i:i + _HASH_CHARS]) for i in range(0, len(proof), _HASH_CHARS)]
        leaf_b64 = _std_b64(leaf)
        root = merkle.root_from_inclusion(base64.b64decode(leaf_b64), int(seq) - int(first), int(size),
                                          [base64.b64decode(n) for n in nodes])
        signature = _std_b64(signature)
    except (binascii.Error, ValueError):
        raise ReceiptError("not a receipt: malformed header form") from None
    if root is None:
        raise ReceiptError(f"leaf {seq} is not in the signed batch {first}..{int(first) + int(size) - 1}")
    origin, name = names[0], names[-1]
    note = (f"{RECEIPT_TAG}\n{origin}\n{int(first)}\n{int(size)}\n{base64.b64encode(root).decode()}\n"
            f"{deadline}\n\n{SIGNATURE_PREFIX}{name} {signature}\n")
    body = {"v": 1, "seq": int(seq), "leaf_hash": leaf_b64, "batch": {"first": int(first), "size": int(size),
                                                                      "proof": nodes}, "promise": note}
    if salt:
        body["salt"] = salt
    return body


def _from_header_v2(text: str) -> dict:
    parts = text.split(".")
    if len(parts) != 6:
        raise ReceiptError("not a receipt: the version 2 header form has six parts separated by dots")
    _, seq, leaf, proof, salt, promise = parts
    try:
        if (not seq.isdigit() or len(leaf) != _HASH_CHARS or len(proof) % _HASH_CHARS or not _SALT.fullmatch(salt)
                or not all(_B64URL.fullmatch(p) for p in (leaf, proof, promise))):
            raise ValueError
        nodes = [_std_b64(proof[i:i + _HASH_CHARS]) for i in range(0, len(proof), _HASH_CHARS)]
        note = base64.urlsafe_b64decode(promise + "=" * (-len(promise) % 4)).decode()
        lines = note.split("\n")
        first, size = int(lines[2]), int(lines[3])
        body = {"v": 1, "seq": int(seq), "leaf_hash": _std_b64(leaf),
                "batch": {"first": first, "size": size, "proof": nodes}, "promise": note}
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        raise ReceiptError("not a receipt: malformed header form") from None
    if salt:
        body["salt"] = salt
    return body


def _std_b64(urlsafe: str) -> str:
    """Unpadded base64url → standard base64 (the JSON form's), refusing anything that is not base64url."""
    raw = base64.b64decode(urlsafe.translate(_FROM_URLSAFE) + "=" * (-len(urlsafe) % 4), validate=True)
    return base64.b64encode(raw).decode()


_FROM_URLSAFE = str.maketrans("-_", "+/")


def verify_receipt(text: str, verifier_keys: list[str]) -> CheckedReceipt:
    """Check a receipt offline: the promise is signed by one of the keys, and the leaf is in the promised
    batch. Raises ReceiptError saying what is wrong."""
    body = parse_receipt(text)
    try:
        seq, leaf_hash = int(body["seq"]), base64.b64decode(body["leaf_hash"], validate=True)
        batch = body["batch"]
        first, size = int(batch["first"]), int(batch["size"])
        proof = [base64.b64decode(p, validate=True) for p in batch["proof"]]
        promise = body["promise"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise ReceiptError("receipt is missing or has malformed fields") from None
    text_of_note, used = None, None
    for key in verifier_keys:
        try:
            text_of_note, used = open_note(promise, key), key
            break
        except NoteError:
            continue
    if text_of_note is None:
        if _value(text).startswith(f"{HEADER_VERSION}."):
            # The header form's promise is written back out with the root its leaf and proof lead to.
            raise ReceiptError("the promise is not signed by any of the ledger's keys, or the leaf hash and "
                               "proof are not those of the signed batch")
        raise ReceiptError("the promise is not signed by any of the ledger's keys")
    lines = text_of_note.split("\n")
    if len(lines) != 7 or lines[0] != RECEIPT_TAG:
        raise ReceiptError("the signed text is not a receipt promise")
    try:
        signed_first, signed_size = int(lines[2]), int(lines[3])
        batch_root = base64.b64decode(lines[4], validate=True)
        include_by = datetime.strptime(lines[5], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ReceiptError("the signed promise is malformed") from None
    if (signed_first, signed_size) != (first, size):
        raise ReceiptError("the receipt's batch is not the one the promise signs")
    if not merkle.verify_inclusion(leaf_hash, seq - first, size, proof, batch_root):
        raise ReceiptError(f"leaf {seq} is not in the signed batch {first}..{first + size - 1}")
    return CheckedReceipt(seq, leaf_hash, lines[1], include_by, used)


def check(text: str, verifier_keys: list[str]) -> dict:
    """`verify_receipt`, then — when this machine reaches the platform's database — that the stored leaf
    still has the receipt's hash and, once integrated, its inclusion proof in the latest checkpoint.
    With no keys given, the keys are read from the database."""
    online = True
    try:
        engine = get_engine()
        with engine.connect() as conn:
            stored_keys = [k for (k,) in driver_rows(conn, "SELECT verifier_key FROM ledger_keys")]
    except Exception:  # noqa: BLE001 - no database here: an offline check needs --key
        online, stored_keys = False, []
    keys = verifier_keys or stored_keys
    if not keys:
        raise ReceiptError("no verifier key: pass --key (the ledger's public key)")
    checked = verify_receipt(text, keys)
    out = {"ok": True, "seq": checked.seq, "leaf_hash": base64.b64encode(checked.leaf_hash).decode(),
           "origin": checked.origin, "include_by": checked.include_by.isoformat(), "included": None}
    if not online:
        return out
    with engine.connect() as conn:
        leaf = driver_rows(conn, "SELECT leaf FROM ledger_entries WHERE seq = :s", {"s": checked.seq})
        if not leaf:
            raise ReceiptError(f"the log has no leaf {checked.seq}: it was deleted")
        if merkle.leaf_hash(bytes(leaf[0][0])) != checked.leaf_hash:
            raise ReceiptError(f"the stored leaf {checked.seq} no longer has the receipt's hash: it was modified")
        latest = driver_rows(conn, "SELECT size, note, key_id FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
        size = int(latest[0][0]) if latest else 0
        out["tree_size"] = size
        if checked.seq >= size:
            out["included"] = False
            out["overdue"] = utcnow() > checked.include_by
            return out
        checkpoint = None
        for key in keys:
            try:
                checkpoint = Checkpoint.parse(open_note(latest[0][1], key))
                break
            except NoteError:
                continue
        if checkpoint is None:
            raise ReceiptError("the latest checkpoint is not signed by the given keys")
        proof = tree.Tree(conn, size).inclusion_proof(checked.seq, size)
        if not merkle.verify_inclusion(checked.leaf_hash, checked.seq, size, proof, checkpoint.root):
            raise ReceiptError(f"leaf {checked.seq} is not included in the signed checkpoint of {size} leaves")
        out["included"] = True
    return out
