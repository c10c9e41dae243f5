"""Signed notes interoperate with Go's sumdb/note (its published example, byte for byte) and
checkpoints round-trip; tampering and other keys are refused."""

from __future__ import annotations

import pytest

from govshare.ledger import merkle
from govshare.ledger.note import Checkpoint, NoteError, Signer, new_signer, open_note, signer_key, verifier_key

# The example of golang.org/x/mod/sumdb/note (package documentation and note_test.go).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + ("\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngot"
                     "pRZb6KE6RyyBwJnAM=\n")


def test_signing_reproduces_the_go_reference_note_byte_for_byte():
    signer = Signer.from_text(GO_SIGNER)
    assert signer.verifier_key == GO_VERIFIER
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert open_note(GO_NOTE, GO_VERIFIER) == GO_TEXT


def test_tampered_notes_and_other_keys_are_refused():
    with pytest.raises(NoteError):
        open_note(GO_NOTE.replace("problem is", "problems are"), GO_VERIFIER)
    other = new_signer("govshare.example/ledger")
    with pytest.raises(NoteError):
        open_note(GO_NOTE, other.verifier_key)
    both = other.sign(GO_TEXT).rstrip("\n") + "\n" + GO_NOTE.split("\n\n")[1]  # two signature lines
    assert open_note(both, GO_VERIFIER) == GO_TEXT and open_note(both, other.verifier_key) == GO_TEXT
    with pytest.raises(NoteError):
        open_note(GO_TEXT, GO_VERIFIER)  # unsigned
    with pytest.raises(NoteError):
        open_note(GO_NOTE, GO_VERIFIER.replace("c74f20a3", "c74f20a4"))


def test_a_checkpoint_is_a_signed_note_of_origin_size_and_root():
    leaves = [merkle.leaf_hash(f"event {i}".encode()) for i in range(5)]
    checkpoint = Checkpoint("zhoushan.govshare.example/ledger", 5, merkle.root(leaves))
    signer = new_signer("zhoushan.govshare.example/ledger")
    note = signer.sign(checkpoint.text())
    lines = note.split("\n")
    assert lines[:2] == ["zhoushan.govshare.example/ledger", "5"] and lines[3] == ""
    assert Checkpoint.parse(open_note(note, signer.verifier_key)) == checkpoint
    assert signer.verifier_key == verifier_key(signer.name, signer.public_key)
    again = Signer.from_text(signer_key(signer.name, signer.key))
    assert again.verifier_key == signer.verifier_key
    with pytest.raises(NoteError):
        Checkpoint.parse("origin\nten\nAAAA\n")
