"""generator/crypto.py against published vectors, plus tampering, wrapping and nonces."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from generator import crypto
from generator.crypto import (
    KeyBlob,
    SiteKeys,
    TamperedFile,
    WrongPassphrase,
    derive_kek,
    hkdf,
    open_file,
    padme,
    seal_file,
    unwrap_site_key,
    wrap_site_key,
)

SITE_KEY = bytes(range(32))
KEYS = SiteKeys.derive("site-1", SITE_KEY)


def test_pbkdf2_matches_rfc_7914_vector() -> None:
    # RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1 (first 32 bytes of 64).
    assert derive_kek("passwd", b"salt", 1).hex() == (
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")


def test_pbkdf2_at_the_real_iteration_count_matches_hashlib() -> None:
    salt = bytes(16)
    assert derive_kek("cobalt hazel dune", salt, 600_000) == hashlib.pbkdf2_hmac(
        "sha256", b"cobalt hazel dune", salt, 600_000)


def test_passphrase_is_nfc_normalised() -> None:
    composed, decomposed = "caf\u00e9 words", "cafe\u0301 words"
    assert derive_kek(composed, b"salt", 1) == derive_kek(decomposed, b"salt", 1)


def test_hkdf_matches_rfc_5869_case_1() -> None:
    okm = hkdf(bytes([0x0B]) * 22, bytes(range(0xF0, 0xFA)), salt=bytes(range(13)), length=42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c"
                         "5db02d56ecc4c5bf34007208d5b887185865")


def test_aes_gcm_matches_nist_vectors() -> None:
    # McGrew & Viega GCM spec, test cases 13 and 14 (256-bit zero key, zero IV).
    gcm = AESGCM(bytes(32))
    assert gcm.encrypt(bytes(12), b"", None).hex() == "530f8afbc74536b9a963b4f1c4cb738b"
    assert gcm.encrypt(bytes(12), bytes(16), None).hex() == (
        "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")


@pytest.mark.parametrize(("length", "padded"), [
    (1, 4096), (4096, 4096), (4097, 4352), (5000, 5120), (14000, 14336), (100_000, 100352)])
def test_padme(length: int, padded: int) -> None:
    assert padme(length) == padded
    assert padded <= max(length, 4096) * 1.12


def test_wrap_and_unwrap_round_trip() -> None:
    blob = wrap_site_key(SITE_KEY, "right horse", site="s", iterations=1000)
    assert unwrap_site_key(blob, "right horse") == SITE_KEY
    assert KeyBlob.from_json(blob.to_json()) == blob


def test_wrong_passphrase_is_rejected() -> None:
    blob = wrap_site_key(SITE_KEY, "right horse", site="s", iterations=1000)
    with pytest.raises(WrongPassphrase, match="does not open"):
        unwrap_site_key(blob, "wrong horse")


def test_wrapped_key_is_bound_to_its_site() -> None:
    blob = wrap_site_key(SITE_KEY, "right horse", site="s", iterations=1000)
    moved = KeyBlob("other", blob.iterations, blob.salt, blob.wiv, blob.wrapped)
    with pytest.raises(WrongPassphrase):
        unwrap_site_key(moved, "right horse")


def test_rewrap_uses_a_fresh_salt() -> None:
    one = wrap_site_key(SITE_KEY, "p", site="s", iterations=1000)
    two = wrap_site_key(SITE_KEY, "p", site="s", iterations=1000)
    assert one.salt != two.salt and one.wrapped != two.wrapped


def test_seal_and_open_round_trip_with_padding() -> None:
    sealed = seal_file(KEYS, "abc/index.html", {"kind": "page"}, b"<p>hello</p>")
    assert len(sealed) == 12 + 4096 + 16
    assert open_file(KEYS, "abc/index.html", sealed) == ({"kind": "page"}, b"<p>hello</p>")


def test_altered_payload_is_rejected() -> None:
    sealed = bytearray(seal_file(KEYS, "a.bin", {}, b"secret"))
    sealed[40] ^= 1
    with pytest.raises(TamperedFile):
        open_file(KEYS, "a.bin", bytes(sealed))


def test_swapped_payload_is_rejected() -> None:
    sealed = seal_file(KEYS, "a/index.html", {}, b"page a")
    with pytest.raises(TamperedFile, match="b/index.html"):
        open_file(KEYS, "b/index.html", sealed)


def test_other_site_key_cannot_open() -> None:
    sealed = seal_file(KEYS, "a.bin", {}, b"x")
    with pytest.raises(TamperedFile):
        open_file(SiteKeys.derive("site-1", bytes(32)), "a.bin", sealed)


def test_deterministic_nonces_give_identical_output() -> None:
    one = seal_file(KEYS, "a.bin", {"t": 1}, b"same")
    assert seal_file(KEYS, "a.bin", {"t": 1}, b"same") == one
    assert seal_file(KEYS, "a.bin", {"t": 1}, b"other")[:12] != one[:12]
    assert seal_file(KEYS, "b.bin", {"t": 1}, b"same")[:12] != one[:12]


def test_random_nonces_change_every_file() -> None:
    one = seal_file(KEYS, "a.bin", {}, b"same", nonce=bytes(12))
    two = seal_file(KEYS, "a.bin", {}, b"same", nonce=b"\x01" * 12)
    assert one != two
    assert open_file(KEYS, "a.bin", two)[1] == b"same"


def test_subkeys_are_separate() -> None:
    assert len({KEYS.content, KEYS.slug, KEYS.nonce, SITE_KEY}) == 4


def test_opaque_token_is_keyed_and_stable() -> None:
    token = crypto.opaque_token(KEYS.slug, "entries/acme/")
    assert token == crypto.opaque_token(KEYS.slug, "entries/acme/")
    assert len(token) == 16 and token.isalnum() and token.islower()
    other = SiteKeys.derive("site-1", bytes(32))
    assert crypto.opaque_token(other.slug, "entries/acme/") != token


def test_malformed_key_blob_names_the_problem() -> None:
    with pytest.raises(ValueError, match="gl-private-v1"):
        KeyBlob.from_json({"v": "other"})
