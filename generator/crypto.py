"""Private mode's cryptography (format gl-private-v1); pure, and the byte-for-byte partner
of generator/assets/unlock.js.

    KEK       = PBKDF2-HMAC-SHA256(NFC(passphrase), salt, iter)            never stored
    wrapped   = AES-256-GCM(KEK, wiv, site_key, aad "gl-private-v1|sitekey|<site>")
    content   = HKDF-SHA256(site_key, info "gl-private-v1|content")      seals every file
    slug key  = HKDF(… "|slug")  → opaque names;  nonce key = HKDF(… "|nonce") → stable nonces
    sealed    = nonce(12) ‖ AES-256-GCM(content, nonce, frame, aad "gl-private-v1|file|<site>|<id>")
    frame     = u32be(len meta) ‖ u32be(len body) ‖ meta JSON ‖ body ‖ zeros to Padmé size

Reader slots (`growthlog reader`): each reader's view is a site of its own, sealed with a
random view key. The keyfile holds the view key twice: under HKDF(site_key, "…|readers")
(aad "…|viewkey|<site>|<slot id>") so a build needs only the author's passphrase, and as a
published slot under the reader's KEK (aad "…|slot|<site>|<slot id>").

The AAD binds each sealed file to its published path (<id>), so files cannot be swapped.
The deterministic nonce is HMAC(nonce key, aad ‖ 0 ‖ frame)[:12] (synthetic, SIV-style): it
repeats only for identical (aad, plaintext), which then gives identical ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from generator.errors import GrowthlogError
from generator.value import Value, frozen

VERSION = "gl-private-v1"
KDF = "PBKDF2-HMAC-SHA256"
NONCE_BYTES = 12
PAD_FLOOR = 4096
"""Every sealed file is at least this big, so short entries look like any other."""


class WrongPassphrase(GrowthlogError):
    """Raised by `unwrap_site_key` when the passphrase does not open the key blob."""


class TamperedFile(GrowthlogError):
    """Raised by `open_file` when a sealed file was altered or belongs to another path."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def derive_kek(passphrase: str, salt: bytes, iterations: int) -> bytes:
    """The key-encryption key: PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 passphrase."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(secret)


def hkdf(ikm: bytes, info: bytes, salt: bytes | None = None, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869); no salt means HashLen zero bytes, as WebCrypto's empty salt."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@frozen
class KeyBlob(Value):
    """The wrapped site key: the keyfile's content, also published in every shell page."""

    site: str
    """Random site id (base64url); names the site in AADs and browser storage."""
    iterations: int
    salt: bytes
    wiv: bytes
    wrapped: bytes

    @property
    def aad(self) -> bytes:
        return f"{VERSION}|sitekey|{self.site}".encode()

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "site": self.site, "kdf": KDF, "iter": self.iterations,
                "salt": b64(self.salt), "wiv": b64(self.wiv), "wrapped": b64(self.wrapped)}

    @classmethod
    def from_json(cls, data: Any) -> KeyBlob:
        """Parse a key blob; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("v") != VERSION or data.get("kdf") != KDF:
            raise ValueError(f"expected format {VERSION} with {KDF}; found "
                             f"{data.get('v')!r} with {data.get('kdf')!r}")
        try:
            blob = cls(str(data["site"]), int(data["iter"]), unb64(data["salt"]),
                       unb64(data["wiv"]), unb64(data["wrapped"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"missing or malformed field: {exc}") from None
        if len(blob.salt) < 16 or len(blob.wiv) != NONCE_BYTES or len(blob.wrapped) != 48:
            raise ValueError("salt, wiv or wrapped key has the wrong length")
        return blob


def new_site_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(12)).decode("ascii")


def wrap_site_key(site_key: bytes, passphrase: str, *, site: str, iterations: int,
                  salt: bytes | None = None, wiv: bytes | None = None) -> KeyBlob:
    """Wrap the site key under a key derived from the passphrase (fresh salt and IV)."""
    salt = salt if salt is not None else os.urandom(16)
    wiv = wiv if wiv is not None else os.urandom(NONCE_BYTES)
    blob = KeyBlob(site, iterations, salt, wiv, b"")
    wrapped = AESGCM(derive_kek(passphrase, salt, iterations)).encrypt(wiv, site_key, blob.aad)
    return KeyBlob(site, iterations, salt, wiv, wrapped)


def unwrap_site_key(blob: KeyBlob, passphrase: str) -> bytes:
    """The site key, or WrongPassphrase (the GCM tag does not verify)."""
    kek = derive_kek(passphrase, blob.salt, blob.iterations)
    try:
        return AESGCM(kek).decrypt(blob.wiv, blob.wrapped, blob.aad)
    except InvalidTag:
        raise WrongPassphrase("that passphrase does not open this log's key "
                              "(.growthlog/site-key.json); nothing was written") from None


@frozen
class Slot(Value):
    """A reader's view key wrapped by their passphrase: published in every unlock page."""

    id: str
    """Random (base64url); names the slot in its AADs, never the reader."""
    iterations: int
    salt: bytes
    wiv: bytes
    wrapped: bytes

    def aad(self, site: str) -> bytes:
        return f"{VERSION}|slot|{site}|{self.id}".encode()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "iter": self.iterations, "salt": b64(self.salt),
                "wiv": b64(self.wiv), "wrapped": b64(self.wrapped)}

    @classmethod
    def from_json(cls, data: Any) -> Slot:
        """Parse a slot; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        try:
            slot = cls(str(data["id"]), int(data["iter"]), unb64(data["salt"]),
                       unb64(data["wiv"]), unb64(data["wrapped"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"missing or malformed field: {exc}") from None
        if len(slot.salt) < 16 or len(slot.wiv) != NONCE_BYTES or len(slot.wrapped) != 48:
            raise ValueError("salt, wiv or wrapped key has the wrong length")
        return slot


def wrap_slot(view_key: bytes, passphrase: str, *, site: str, slot_id: str, iterations: int,
              salt: bytes, wiv: bytes | None = None) -> Slot:
    """Wrap a view key under the reader's passphrase. The salt is shared with the author's
    blob so that the unlock page derives one KEK per typed passphrase, whatever the slots."""
    wiv = wiv if wiv is not None else os.urandom(NONCE_BYTES)
    slot = Slot(slot_id, iterations, salt, wiv, b"")
    kek = derive_kek(passphrase, salt, iterations)
    return Slot(slot_id, iterations, salt, wiv,
                AESGCM(kek).encrypt(wiv, view_key, slot.aad(site)))


def open_slot(slot: Slot, site: str, passphrase: str, kek: bytes | None = None) -> bytes | None:
    """The view key the passphrase opens, or None. `kek`: already derived for this salt."""
    kek = kek if kek is not None else derive_kek(passphrase, slot.salt, slot.iterations)
    try:
        return AESGCM(kek).decrypt(slot.wiv, slot.wrapped, slot.aad(site))
    except InvalidTag:
        return None


def _readers_key(site_key: bytes) -> bytes:
    return hkdf(site_key, f"{VERSION}|readers".encode())


def seal_view_key(site_key: bytes, site: str, slot_id: str, view_key: bytes) -> bytes:
    """The view key under the site key (wiv ‖ ciphertext ‖ tag), kept in the keyfile."""
    wiv = os.urandom(NONCE_BYTES)
    aad = f"{VERSION}|viewkey|{site}|{slot_id}".encode()
    return wiv + AESGCM(_readers_key(site_key)).encrypt(wiv, view_key, aad)


def open_view_key(site_key: bytes, site: str, slot_id: str, sealed: bytes) -> bytes:
    aad = f"{VERSION}|viewkey|{site}|{slot_id}".encode()
    try:
        return AESGCM(_readers_key(site_key)).decrypt(sealed[:NONCE_BYTES],
                                                       sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise GrowthlogError(f"the keyfile's reader slot {slot_id} does not open with this "
                             "site key; remove that reader and add them again") from None


@frozen
class SiteKeys(Value):
    """The keys derived from one site key."""

    site: str
    content: bytes
    slug: bytes
    nonce: bytes

    @classmethod
    def derive(cls, site: str, site_key: bytes) -> SiteKeys:
        return cls(site, hkdf(site_key, f"{VERSION}|content".encode()),
                   hkdf(site_key, f"{VERSION}|slug".encode()),
                   hkdf(site_key, f"{VERSION}|nonce".encode()))

    def file_aad(self, file_id: str) -> bytes:
        return f"{VERSION}|file|{self.site}|{file_id}".encode()


def opaque_token(slug_key: bytes, logical: str) -> str:
    """16 lower-case base32 characters (80 bits) of a keyed HMAC of the real path."""
    digest = hmac.new(slug_key, logical.encode("utf-8"), hashlib.sha256).digest()
    # 10 bytes are exactly 16 base32 characters: the first 16 of the whole digest's.
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def padme(length: int) -> int:
    """Padmé (Nikitin et al., PURBs, 2019): ≤ 12 % overhead, O(log log n) bits leak."""
    length = max(length, PAD_FLOOR)
    exponent = length.bit_length() - 1
    size_bits = exponent.bit_length()
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def frame(meta: dict[str, Any], body: bytes) -> bytes:
    """Length-prefixed meta JSON and body, zero-padded to the Padmé size."""
    head = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode("utf-8")
    length = 8 + len(head) + len(body)
    return b"".join((struct.pack(">II", len(head), len(body)), head, body,
                     bytes(padme(length) - length)))


def unframe(data: bytes) -> tuple[dict[str, Any], bytes]:
    head_len, body_len = struct.unpack(">II", data[:8])
    if 8 + head_len + body_len > len(data):
        raise TamperedFile("sealed file has a malformed frame")
    meta = json.loads(data[8: 8 + head_len])
    return meta, data[8 + head_len: 8 + head_len + body_len]


def seal_file(keys: SiteKeys, file_id: str, meta: dict[str, Any], body: bytes,
              nonce: bytes | None = None) -> bytes:
    """nonce ‖ ciphertext ‖ tag. No nonce given: the deterministic synthetic nonce."""
    aad = keys.file_aad(file_id)
    plain = frame(meta, body)
    if nonce is None:
        mac = hmac.new(keys.nonce, aad + b"\x00", hashlib.sha256)
        mac.update(plain)  # HMAC(aad ‖ 0 ‖ frame), without copying the frame
        nonce = mac.digest()[:NONCE_BYTES]
    if len(nonce) != NONCE_BYTES:
        raise ValueError("AES-GCM nonces are 12 bytes")
    return nonce + AESGCM(keys.content).encrypt(nonce, plain, aad)


def open_file(keys: SiteKeys, file_id: str, sealed: bytes) -> tuple[dict[str, Any], bytes]:
    """Decrypt and check a sealed file published at file_id."""
    try:
        plain = AESGCM(keys.content).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                             keys.file_aad(file_id))
    except (InvalidTag, ValueError):
        raise TamperedFile(f"{file_id}: altered, or sealed for another file") from None
    return unframe(plain)
