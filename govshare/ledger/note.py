"""C2SP signed notes and tlog checkpoints, so standard transparency-log tooling reads our ledger.

A signed note is text (ending in a newline), a blank line, and signature lines
`— <key name> <base64(key id ‖ Ed25519 signature)>`; the signature covers the text. The key id is
the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key); a verifier key is published as
`<name>+<hex key id>+<base64(0x01 ‖ public key)>` (the format of Go's sumdb/note, which the tests
reproduce byte for byte). A checkpoint (C2SP tlog-checkpoint) is the note text
`<origin>\\n<tree size>\\n<base64 root hash>\\n`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A note that does not parse or does not carry a valid signature of the expected key."""


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, public_key: bytes) -> str:
    return f"{name}+{key_id(name, public_key).hex()}+{base64.b64encode(ED25519 + public_key).decode()}"


def signer_key(name: str, private_key: Ed25519PrivateKey) -> str:
    """The private key in sumdb/note's text form (kept in the data directory, mode 0600)."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return (f"PRIVATE+KEY+{name}+{key_id(name, _raw_public(private_key)).hex()}+"
            f"{base64.b64encode(ED25519 + seed).decode()}")


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey

    @classmethod
    def from_text(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)  # base64 may itself hold "+"
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key")
        name, hex_id, material = parts[2], parts[3], base64.b64decode(parts[4])
        if material[:1] != ED25519 or len(material) != 33:
            raise NoteError("not an Ed25519 signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(material[1:]))
        if key_id(name, signer.public_key).hex() != hex_id:
            raise NoteError("signer key id does not match its key")
        return signer

    @cached_property
    def public_key(self) -> bytes:
        return _raw_public(self.key)

    @cached_property
    def _signature_prefix(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.name, self.public_key)

    def sign(self, text: str) -> str:
        """The signed note of `text` (which must end in a newline and hold no blank line)."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("note text must end in a newline and contain no blank line")
        signature = self.key.sign(text.encode())
        blob = base64.b64encode(self._signature_prefix + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


def open_note(note: str, verifier: str) -> str:
    """The note's text if it carries a valid signature of `verifier` (a verifier key); else NoteError."""
    try:
        name, hex_id, material = verifier.strip().split("+", 2)
        raw = base64.b64decode(material, validate=True)
    except ValueError:
        raise NoteError("not a verifier key") from None
    if raw[:1] != ED25519 or len(raw) != 33 or key_id(name, raw[1:]).hex() != hex_id:
        raise NoteError("not an Ed25519 verifier key, or its id does not match")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("no signature block")
    text, lines = note[:cut + 1], note[cut + 2:-1].split("\n")
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        signer_name, _, blob = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            data = base64.b64decode(blob, validate=True)
        except ValueError:
            raise NoteError("malformed signature") from None
        if signer_name != name or data[:4].hex() != hex_id:
            continue  # another key's signature
        try:
            public.verify(data[4:], text.encode())
        except InvalidSignature:
            raise NoteError("invalid signature") from None
        return text
    raise NoteError(f"not signed by {name}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or not lines[0] or not lines[1].isdigit():
            raise NoteError("not a checkpoint")
        try:
            root = base64.b64decode(lines[2], validate=True)
        except ValueError:
            raise NoteError("checkpoint root is not base64") from None
        if len(root) != 32:
            raise NoteError("checkpoint root is not a SHA-256 hash")
        return cls(lines[0], int(lines[1]), root)


def new_signer(name: str) -> Signer:
    if not _NAME.match(name):
        raise NoteError("a key name has no spaces and no '+'")
    return Signer(name, Ed25519PrivateKey.generate())
