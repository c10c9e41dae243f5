"""Keyed hashes: the precomputed HMAC is RFC 2104's, for every key length, and from many threads at once."""

from __future__ import annotations

import hashlib
import hmac
import threading

import pytest

from govshare.core.config import get_settings
from govshare.core.security import Hmac, keyed_hash, subject_hash


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 32, b"y" * 64, b"z" * 65, bytes(range(256))])
@pytest.mark.parametrize("data", [b"", b"110105194001010001", "张三·阿依古丽".encode(), b"\0" * 5000])
def test_hmac_is_rfc_2104(key: bytes, data: bytes):
    mac = Hmac(key)
    assert mac.digest(data) == hmac.new(key, data, hashlib.sha256).digest()
    assert mac.hexdigest(data) == hmac.new(key, data, hashlib.sha256).hexdigest()
    assert mac.digest(data) == mac.digest(data)  # the precomputed states are copied, never consumed


def test_keyed_hash_is_hmac_sha256_under_a_key_per_purpose():
    secret = get_settings().resolved_secret_key()
    key = hashlib.sha256(("exchange-subject:" + secret).encode()).digest()
    assert subject_hash(" 11010519400101000x ") == hmac.new(key, b"11010519400101000X", hashlib.sha256).hexdigest()
    assert keyed_hash("a", "one purpose") != keyed_hash("a", "another purpose")


def test_one_mac_shared_by_threads_gives_each_its_own_answer():
    mac = Hmac(b"shared key")
    values = [f"value-{i}".encode() for i in range(2000)]
    expected = [hmac.new(b"shared key", v, hashlib.sha256).digest() for v in values]
    wrong: list[int] = []

    def run(offset: int) -> None:
        for i in range(offset, len(values), 4):
            if mac.digest(values[i]) != expected[i]:
                wrong.append(i)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
