"""The log's keyfile (.growthlog/site-key.json) and passphrases: init, passwd, rotate,
where a passphrase comes from, and how strong it is.

The keyfile holds the wrapped site key, which every published page carries anyway, and per
reader (`growthlog reader`) their published slot and their view key sealed by the site key.
It belongs in the private source repository and is never deployed. The passphrase is
never a command-line argument, never written to disk and never printed.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from generator.config import MAX_ITERATIONS, MIN_ITERATIONS
from generator.crypto import (
    KeyBlob,
    SiteKeys,
    Slot,
    b64,
    new_site_id,
    open_view_key,
    seal_view_key,
    unb64,
    unwrap_site_key,
    wrap_site_key,
)
from generator.errors import GrowthlogError
from generator.value import Value, frozen

KEYFILE = Path(".growthlog") / "site-key.json"
PASSWORD_ENV = "GROWTHLOG_PASSWORD"
NEW_PASSWORD_ENV = "GROWTHLOG_NEW_PASSWORD"

DICEWARE_ADVICE = (
    "Anyone can download the published site and guess passphrases offline, about 18,600 "
    "guesses a second per graphics card at 600,000 iterations. Use diceware: roll dice (or "
    "let a password manager pick) five random words from a 7,776-word list, e.g. "
    "'cobalt hazel dune tripod plaza'. Each word adds 12.9 bits; five give about 65 bits, "
    "millions of GPU-years. Four words (52 bits) is the least to use; "
    "a made-up password like 'Summer2024!' falls in hours.")


class WeakPassphrase(GrowthlogError):
    """Raised when a new passphrase is estimated under MIN_BITS and weak ones are not allowed."""


def keyfile_path(root: Path) -> Path:
    return root / KEYFILE


@frozen
class Reader(Value):
    """One reader of the log (`growthlog reader add`): never their passphrase."""

    name: str
    slot: Slot
    """The view key under the reader's passphrase: published in every unlock page."""
    view: bytes
    """The view key sealed by the site key, so a build needs only the author's passphrase."""

    def view_key(self, site_key: bytes, site: str) -> bytes:
        return open_view_key(site_key, site, self.slot.id, self.view)


def _read(root: Path) -> dict[str, object]:
    path = keyfile_path(root)
    if not path.is_file():
        raise GrowthlogError(f"{path} does not exist; create it with `growthlog key init`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GrowthlogError(f"{path}: not a growthlog keyfile: {exc}") from None
    if not isinstance(data, dict):
        raise GrowthlogError(f"{path}: not a growthlog keyfile: expected a JSON object")
    return data


def load_keyfile(root: Path) -> KeyBlob:
    """The wrapped site key of the log at root; refuses malformed or weak keyfiles."""
    path = keyfile_path(root)
    try:
        blob = KeyBlob.from_json(_read(root))
    except ValueError as exc:
        raise GrowthlogError(f"{path}: not a growthlog keyfile: {exc}") from None
    if blob.iterations < MIN_ITERATIONS:
        raise GrowthlogError(f"{path}: iter: expected at least {MIN_ITERATIONS:,}; found "
                             f"{blob.iterations:,}; re-wrap it with `growthlog key passwd`")
    if blob.iterations > MAX_ITERATIONS:
        raise GrowthlogError(f"{path}: iter: expected at most {MAX_ITERATIONS:,}; found "
                             f"{blob.iterations:,}; this is not a keyfile growthlog wrote")
    return blob


def load_readers(root: Path) -> tuple[Reader, ...]:
    """The keyfile's readers, by name; refuses a malformed readers section."""
    path = keyfile_path(root)
    section = _read(root).get("readers", {})
    if not isinstance(section, dict):
        raise GrowthlogError(f"{path}: readers: expected a JSON object; found {section!r}")
    readers = []
    for name, value in sorted(section.items()):
        try:
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            slot = Slot.from_json(value.get("slot"))
            view = unb64(str(value.get("view", "")))
        except ValueError as exc:
            raise GrowthlogError(f"{path}: readers: {name}: {exc}") from None
        if not MIN_ITERATIONS <= slot.iterations <= MAX_ITERATIONS:
            raise GrowthlogError(f"{path}: readers: {name}: iter: expected {MIN_ITERATIONS:,} "
                                 f"to {MAX_ITERATIONS:,}; found {slot.iterations:,}")
        readers.append(Reader(name, slot, view))
    return tuple(readers)


def unlock(root: Path, passphrase: str) -> tuple[KeyBlob, SiteKeys]:
    """The keyfile and the keys it opens; WrongPassphrase before anything else happens."""
    blob = load_keyfile(root)
    return blob, SiteKeys.derive(blob.site, unwrap_site_key(blob, passphrase))


def unlock_views(root: Path, passphrase: str) -> tuple[KeyBlob, SiteKeys,
                                                      tuple[tuple[Reader, SiteKeys], ...]]:
    """`unlock`, and the keys of every reader's view (the site key opens their view keys)."""
    blob = load_keyfile(root)
    site_key = unwrap_site_key(blob, passphrase)
    views = tuple((r, SiteKeys.derive(blob.site, r.view_key(site_key, blob.site)))
                  for r in load_readers(root))
    return blob, SiteKeys.derive(blob.site, site_key), views


def save_keyfile(root: Path, blob: KeyBlob, readers: Iterable[Reader] | None = None) -> Path:
    """Write the keyfile atomically; readers None keeps the ones it holds."""
    kept = load_readers(root) if readers is None and keyfile_path(root).is_file() else readers
    data = blob.to_json()
    if kept:
        data["readers"] = {r.name: {"slot": r.slot.to_json(), "view": b64(r.view)}
                           for r in sorted(kept, key=lambda r: r.name)}
    path = keyfile_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # never a name of the author's
    with temp.open("x", encoding="utf-8") as file:
        file.write(json.dumps(data, indent=1) + "\n")
    os.replace(temp, path)
    return path


def _check_iterations(iterations: int) -> None:
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        bound = (f"at least {MIN_ITERATIONS:,}" if iterations < MIN_ITERATIONS
                 else f"at most {MAX_ITERATIONS:,}")
        raise GrowthlogError(f"iterations: expected {bound}; found {iterations:,}")


def init_keyfile(root: Path, passphrase: str, *, iterations: int = MIN_ITERATIONS,
                 allow_weak: bool = False) -> Path:
    """Create the keyfile: a random site key wrapped by the passphrase. Never overwrites."""
    refuse_existing_keyfile(root)
    _check_iterations(iterations)
    check_strength(passphrase, allow_weak=allow_weak)
    return save_keyfile(root, wrap_site_key(os.urandom(32), passphrase, site=new_site_id(),
                                     iterations=iterations))


def change_passphrase(root: Path, old: str, new: str, *, iterations: int | None = None,
                      allow_weak: bool = False) -> Path:
    """Re-wrap the same site key (new salt): pages and URLs stay; the old passphrase stops."""
    blob = load_keyfile(root)
    site_key = unwrap_site_key(blob, old)
    iterations = max(iterations or blob.iterations, MIN_ITERATIONS)
    check_strength(new, allow_weak=allow_weak)
    return save_keyfile(root, wrap_site_key(site_key, new, site=blob.site, iterations=iterations))


def rotate_key(root: Path, passphrase: str) -> Path:
    """A new random site key under the same passphrase: every file and URL of the author's
    site changes. Readers keep their view keys (their passphrases are not known here), now
    sealed by the new site key: `reader remove` and `reader add` give a reader a new one."""
    blob = load_keyfile(root)
    old = unwrap_site_key(blob, passphrase)
    readers = load_readers(root)
    new = os.urandom(32)
    moved = [Reader(r.name, r.slot, seal_view_key(new, blob.site, r.slot.id,
                                                   r.view_key(old, blob.site)))
             for r in readers]
    return save_keyfile(root, wrap_site_key(new, passphrase, site=blob.site,
                                     iterations=blob.iterations), moved)


# Passphrase strength: zxcvbn's estimate of the guesses an attacker needs, who tries
# common passwords, dictionary words, names, keyboard walks, sequences, dates and l33t
# spellings first. It does not know famous phrases, which phrase-guessing attackers try
# early, so every run of two or more words of those is added as a low-ranked "user input".

MIN_GUESSES_LOG10 = 15.0
"""About 50 bits (10**15 ≈ 2**49.8): at 18,600 guesses a second per graphics card (600,000
iterations) that is about 1,700 GPU-years to search, half of it on average. Measured with
zxcvbn 4.5 on 2,000 random phrases each from the 7,776-word EFF list: four words estimate at
16.8 or more, five at 22 or more, so honest diceware passphrases pass with room to spare."""
MIN_BITS = MIN_GUESSES_LOG10 * math.log2(10)
_ZXCVBN_MAX = 72
"""zxcvbn refuses longer input (its cost grows fast); the first 72 characters of a longer
passphrase are a lower bound on its strength."""

FAMOUS_PHRASES = (
    "correct horse battery staple",  # xkcd 936, the best-known example passphrase
    "the quick brown fox jumps over the lazy dog",
    "to be or not to be that is the question",
    "may the force be with you",
    "all your base are belong to us",
    "never gonna give you up never gonna let you down",
    "one ring to rule them all",
    "four score and seven years ago",
    "lorem ipsum dolor sit amet consectetur adipiscing elit",
    "hello world",
    "open sesame",
    "let me in",
    "i love you",
    "trust no one",
    "winter is coming",
    "the cake is a lie",
    "we the people",
)
_SEPARATORS = ("", " ", "-", "_", ".")


def _phrase_inputs() -> list[str]:
    """Every run of 2+ consecutive words of each famous phrase, with each common separator."""
    runs: list[str] = []
    for phrase in FAMOUS_PHRASES:
        words = phrase.split()
        for length in range(len(words), 1, -1):
            for start in range(len(words) - length + 1):
                part = words[start:start + length]
                runs.extend(sep.join(part) for sep in _SEPARATORS)
    return runs


def estimate_bits(passphrase: str) -> float:
    """zxcvbn's estimate of the guesses needed, as bits (log2 of the guess count)."""
    from zxcvbn import zxcvbn  # about 0.15 s to import: only when a passphrase is new

    if not passphrase:
        return 0.0
    result = zxcvbn(passphrase[:_ZXCVBN_MAX], user_inputs=_phrase_inputs())
    return float(result["guesses_log10"]) * math.log2(10)


def _hint(passphrase: str) -> str:
    from zxcvbn import zxcvbn

    warning = zxcvbn(passphrase[:_ZXCVBN_MAX],
                     user_inputs=_phrase_inputs())["feedback"]["warning"]
    return f" ({str(warning).rstrip('.')})" if warning else ""


def check_strength(passphrase: str, *, allow_weak: bool = False) -> float:
    """The estimate in bits; WeakPassphrase under MIN_BITS unless weak ones are allowed."""
    bits = estimate_bits(passphrase)
    if bits < MIN_BITS and not allow_weak:
        raise WeakPassphrase(
            f"that passphrase is too easy to guess: about {bits:.0f} bits{_hint(passphrase)}; "
            f"at least {MIN_BITS:.0f} are needed. Use five random diceware words (roll dice or "
            "let a password manager pick them). To use it anyway, pass --weak-ok.")
    return bits


# Where a passphrase comes from: the environment, one line of stdin, or a prompt on a TTY.

Prompt = Callable[[str], str]


def read_passphrase(*, env: str = PASSWORD_ENV, stdin: TextIO | None = None,
                    confirm: bool = False, label: str = "Passphrase",
                    prompt: Prompt | None = None,
                    check: Callable[[str], object] | None = None) -> str:
    """From $GROWTHLOG_PASSWORD, else a line of `stdin` (--password-stdin), else a prompt.
    `check` (e.g. the strength check) runs on the first entry, before asking to confirm."""
    value = os.environ.get(env)
    if not value and stdin is not None:
        line = stdin.readline()
        if not line.strip():
            raise GrowthlogError(f"--password-stdin: expected a line with the {label.lower()}; "
                                 "found nothing")
        value = line.rstrip("\r\n")
    if value:
        _refuse_undecodable(value, "$" + env if os.environ.get(env) else "--password-stdin")
        if check is not None:
            check(value)
        return value
    if prompt is None:
        if not sys.stdin.isatty():
            raise GrowthlogError(f"no passphrase: set {env}, use --password-stdin, or run "
                                 "in a terminal to be asked")
        prompt = getpass.getpass
    first = prompt(f"{label}: ")
    _refuse_undecodable(first, "the passphrase typed")
    if not first:
        raise GrowthlogError("empty passphrase; nothing was changed")
    if check is not None:
        check(first)
    if confirm and prompt(f"{label} (again): ") != first:
        raise GrowthlogError("the two passphrases differ; nothing was changed")
    return first


def _refuse_undecodable(value: str, source: str) -> None:
    """Bytes that are not UTF-8 arrive as lone surrogates; the key derivation needs UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise GrowthlogError(f"{source}: expected UTF-8 text; found bytes that are not "
                             f"(at character {exc.start + 1}); nothing was changed") from None


def refuse_existing_keyfile(root: Path) -> None:
    """GrowthlogError when the log already has a keyfile (`key init` checks before asking)."""
    if keyfile_path(root).exists():
        raise GrowthlogError(f"{keyfile_path(root)} already exists; use `growthlog key passwd` "
                             "to change the passphrase or `growthlog key rotate`")


def build_passphrase(root: Path, *, iterations: int = MIN_ITERATIONS, stdin: TextIO | None = None,
                     allow_weak: bool = False,
                     prompt: Prompt | None = None) -> tuple[str, Path | None]:
    """The passphrase for a private build. On first use this creates the keyfile (asking
    twice when prompting) and returns its path too."""
    if keyfile_path(root).is_file():
        return read_passphrase(stdin=stdin, prompt=prompt), None
    passphrase = read_passphrase(stdin=stdin, confirm=True, label="New passphrase", prompt=prompt,
                                 check=lambda p: check_strength(p, allow_weak=allow_weak))
    return passphrase, init_keyfile(root, passphrase, iterations=iterations,
                                    allow_weak=allow_weak)
