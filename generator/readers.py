"""Readers of a private log (`growthlog reader`): add, list, change the passphrase of, and
remove the people the author shares chosen entries with, and the passphrase a reader can be
given. Each reader has a random view key (their view is a site of its own); the keyfile
holds it sealed by the site key and, as a published slot, wrapped by the reader's
passphrase. A reader's passphrase is never stored.
"""

from __future__ import annotations

import base64
import os
import secrets
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from generator.crypto import (
    KeyBlob,
    WrongPassphrase,
    derive_kek,
    new_site_id,
    open_slot,
    seal_view_key,
    unwrap_site_key,
    wrap_slot,
)
from generator.errors import GrowthlogError
from generator.keys import Reader, check_strength, load_keyfile, load_readers, save_keyfile
from generator.share_rules import READER_NAME

NAME = READER_NAME
GENERATED_WORDS = 5
"""Five words of the 7,776-word EFF list: about 65 bits (docs/privacy.md)."""


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise GrowthlogError(f"reader name: expected lower-case letters, digits, '-' or '_', "
                             f"starting with a letter, at most 40; found {name!r}")
    return name


def find_reader(readers: tuple[Reader, ...], name: str) -> Reader:
    for reader in readers:
        if reader.name == name:
            return reader
    known = ", ".join(r.name for r in readers) or "none yet"
    raise GrowthlogError(f"no reader named {name!r} (readers: {known}); add one with "
                         f"`growthlog reader add {name}`")


def wordlist() -> list[str]:
    text = resources.files("generator").joinpath("assets", "eff_wordlist.txt").read_text(
        encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def generate_passphrase(words: int = GENERATED_WORDS) -> str:
    """Random distinct words from the EFF list (secrets), checked like a typed passphrase."""
    choices = wordlist()
    while True:
        picked: list[str] = []
        while len(picked) < words:
            word = secrets.choice(choices)
            if word not in picked:
                picked.append(word)
        phrase = " ".join(picked)
        try:
            check_strength(phrase)
        except GrowthlogError:  # vanishingly rare for five words: draw again
            continue
        return phrase


def _site_key(root: Path, author_passphrase: str) -> tuple[KeyBlob, bytes]:
    blob = load_keyfile(root)
    return blob, unwrap_site_key(blob, author_passphrase)


def _refuse_shared(blob: KeyBlob, readers: tuple[Reader, ...], passphrase: str) -> None:
    """A passphrase opens one slot only: the unlock page takes the first slot that opens."""
    try:
        unwrap_site_key(blob, passphrase)
    except WrongPassphrase:
        pass
    else:
        raise GrowthlogError("that is your own passphrase; give the reader another one")
    keks: dict[tuple[bytes, int], bytes] = {}
    for other in readers:
        group = (other.slot.salt, other.slot.iterations)
        if group not in keks:
            keks[group] = derive_kek(passphrase, *group)
        if open_slot(other.slot, blob.site, passphrase, keks[group]) is not None:
            raise GrowthlogError(f"that passphrase already opens {other.name}'s view; give "
                                 "each reader their own")


def add_reader(root: Path, name: str, author_passphrase: str, passphrase: str, *,
               allow_weak: bool = False) -> Reader:
    """A new reader with a random view key; their slot reuses the author's salt."""
    check_name(name)
    blob, site_key = _site_key(root, author_passphrase)
    readers = load_readers(root)
    refuse_existing(readers, name)
    check_strength(passphrase, allow_weak=allow_weak)
    _refuse_shared(blob, readers, passphrase)
    view_key, slot_id = os.urandom(32), new_site_id()
    slot = wrap_slot(view_key, passphrase, site=blob.site, slot_id=slot_id,
                     iterations=blob.iterations, salt=blob.salt)
    reader = Reader(name, slot, seal_view_key(site_key, blob.site, slot_id, view_key))
    save_keyfile(root, blob, [*readers, reader])
    return reader


def refuse_existing(readers: tuple[Reader, ...], name: str) -> None:
    if any(r.name == name for r in readers):
        raise GrowthlogError(f"{name} is already a reader; `growthlog reader passwd {name}` "
                             "gives them a new passphrase")


def change_reader_passphrase(root: Path, name: str, author_passphrase: str, passphrase: str, *,
                             allow_weak: bool = False) -> Reader:
    """Re-wrap the reader's view key: their view's files and names stay the same, their old
    passphrase stops opening the next deploy; a key their browser remembers still works."""
    blob, site_key = _site_key(root, author_passphrase)
    readers = load_readers(root)
    old = find_reader(readers, name)
    check_strength(passphrase, allow_weak=allow_weak)
    others = tuple(r for r in readers if r.name != name)
    _refuse_shared(blob, others, passphrase)
    slot = wrap_slot(old.view_key(site_key, blob.site), passphrase, site=blob.site,
                     slot_id=old.slot.id, iterations=blob.iterations, salt=blob.salt)
    reader = Reader(name, slot, old.view)
    save_keyfile(root, blob, [*others, reader])
    return reader


def remove_reader(root: Path, name: str) -> None:
    """Drop the reader's slot and view key: the next build has no view for them."""
    blob = load_keyfile(root)
    readers = load_readers(root)
    find_reader(readers, name)
    save_keyfile(root, blob, [r for r in readers if r.name != name])


LINK_ADVICE = (
    "Send it the way you would send a key: in person, or through an end-to-end encrypted "
    "messenger you both trust, never by plain e-mail or a chat that keeps messages on its "
    "server. Anyone who has the link reads {name}'s view, with no passphrase, until you run "
    "`growthlog reader remove {name}` and deploy (`reader passwd` does not change it). The "
    "part after '#' never reaches the host; the page takes it out of the address bar and "
    "the tab's history once it has opened, but the browser's history list may keep it.")


def reader_link(root: Path, name: str, author_passphrase: str, url: str) -> str:
    """The site's address with the reader's view key in the fragment only: a browser never
    sends a fragment to the host (a query would reach its logs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query \
            or parts.fragment:
        raise GrowthlogError("url: expected the published address of the site, such as "
                             f"'https://you.example/'; found {url!r}")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise GrowthlogError(f"url: {url} is not https: browsers unlock only over https "
                             "(or on localhost)")
    blob, site_key = _site_key(root, author_passphrase)
    reader = find_reader(load_readers(root), name)
    key = base64.urlsafe_b64encode(reader.view_key(site_key, blob.site)).decode().rstrip("=")
    return f"{url if url.endswith('/') else url + '/'}#key={key}"
