"""The log's keyfile (.growthlog/site-key.json) and passphrases: init, passwd, rotate,
where a passphrase comes from, and how strong it is.

The keyfile holds only the wrapped site key, which every published page carries anyway;
it belongs in the private source repository and is never deployed. The passphrase is
never a command-line argument, never written to disk and never printed.
"""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from generator.config import MIN_ITERATIONS
from generator.crypto import KeyBlob, SiteKeys, new_site_id, unwrap_site_key, wrap_site_key
from generator.errors import GrowthlogError

KEYFILE = Path(".growthlog") / "site-key.json"
MIN_BITS = 50.0
PASSWORD_ENV = "GROWTHLOG_PASSWORD"
NEW_PASSWORD_ENV = "GROWTHLOG_NEW_PASSWORD"

DICEWARE_ADVICE = (
    "Anyone can download the published site and guess passphrases offline, about 18,600 "
    "guesses a second per graphics card at 600,000 iterations. Use diceware: roll dice (or "
    "let a password manager pick) five random words from a 7,776-word list, e.g. "
    "'cobalt hazel dune tripod plaza'. Each word adds 12.9 bits; five give about 65 bits, "
    "millions of GPU-years. Four words (52 bits) is the least growthlog accepts; "
    "a made-up password like 'Summer2024!' falls in hours.")


class WeakPassphrase(GrowthlogError):
    """Raised when a new passphrase is estimated under MIN_BITS and weak ones are not allowed."""


def keyfile_path(root: Path) -> Path:
    return root / KEYFILE


def load_keyfile(root: Path) -> KeyBlob:
    """The wrapped site key of the log at root; refuses malformed or weak keyfiles."""
    path = keyfile_path(root)
    if not path.is_file():
        raise GrowthlogError(f"{path} does not exist; create it with `growthlog key init`")
    try:
        blob = KeyBlob.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GrowthlogError(f"{path}: not a growthlog keyfile: {exc}") from None
    if blob.iterations < MIN_ITERATIONS:
        raise GrowthlogError(f"{path}: iter: expected at least {MIN_ITERATIONS:,}; found "
                             f"{blob.iterations:,}; re-wrap it with `growthlog key passwd`")
    return blob


def unlock(root: Path, passphrase: str) -> tuple[KeyBlob, SiteKeys]:
    """The keyfile and the keys it opens; WrongPassphrase before anything else happens."""
    blob = load_keyfile(root)
    return blob, SiteKeys.derive(blob.site, unwrap_site_key(blob, passphrase))


def _save(root: Path, blob: KeyBlob) -> Path:
    path = keyfile_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(blob.to_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(temp, path)
    return path


def _check_iterations(iterations: int) -> None:
    if iterations < MIN_ITERATIONS:
        raise GrowthlogError(f"iterations: expected at least {MIN_ITERATIONS:,}; "
                             f"found {iterations:,}")


def init_keyfile(root: Path, passphrase: str, *, iterations: int = MIN_ITERATIONS,
                 allow_weak: bool = False) -> Path:
    """Create the keyfile: a random site key wrapped by the passphrase. Never overwrites."""
    if keyfile_path(root).exists():
        raise GrowthlogError(f"{keyfile_path(root)} already exists; use `growthlog key passwd` "
                             "to change the passphrase or `growthlog key rotate`")
    _check_iterations(iterations)
    check_strength(passphrase, allow_weak=allow_weak)
    return _save(root, wrap_site_key(os.urandom(32), passphrase, site=new_site_id(),
                                     iterations=iterations))


def change_passphrase(root: Path, old: str, new: str, *, iterations: int | None = None,
                      allow_weak: bool = False) -> Path:
    """Re-wrap the same site key (new salt): pages and URLs stay; the old passphrase stops."""
    blob = load_keyfile(root)
    site_key = unwrap_site_key(blob, old)
    iterations = max(iterations or blob.iterations, MIN_ITERATIONS)
    check_strength(new, allow_weak=allow_weak)
    return _save(root, wrap_site_key(site_key, new, site=blob.site, iterations=iterations))


def rotate_key(root: Path, passphrase: str) -> Path:
    """A new random site key under the same passphrase: every file and URL changes."""
    blob = load_keyfile(root)
    unwrap_site_key(blob, passphrase)
    return _save(root, wrap_site_key(os.urandom(32), passphrase, site=blob.site,
                                     iterations=blob.iterations))


# Passphrase strength: a rough, zxcvbn-flavoured estimate (no dependency). It assumes the
# attacker knows the structure (words, a capital first letter, a year, a trailing symbol).

_COMMON = ("password", "passwort", "qwerty", "azerty", "letmein", "welcome", "admin", "iloveyou",
           "monkey", "dragon", "sunshine", "princess", "football", "baseball", "master",
           "login", "secret", "shadow", "summer", "winter", "spring", "autumn", "hello",
           "freedom", "whatever", "trustno1", "abc123", "123456", "654321", "111111", "journal",
           "growthlog")
_LEET = str.maketrans("@4310$57!|", "aaeiosstil")
_WORD_BITS = math.log2(7776)


def estimate_bits(passphrase: str) -> float:
    """Estimated entropy in bits: words count as diceware words, characters by class."""
    text = passphrase.strip()
    if not text:
        return 0.0
    words = [w for w in re.split(r"[\s\-_.,;:+/]+", text) if w]
    if len(words) >= 2 and all(w.isalpha() for w in words):
        distinct = {w.lower() for w in words}
        return min(len(distinct) * _WORD_BITS, _char_bits(text))
    return _char_bits(text)


def _char_bits(text: str) -> float:
    bits = 0.0
    core = text
    tail = re.search(r"(?:19|20)\d\d[^A-Za-z0-9]?$|\d{1,4}[^A-Za-z0-9]?$|[^A-Za-z0-9]$", core)
    if tail:  # '…2024!' or '…7' or '…!': a guessable suffix
        bits += 7.0 if re.match(r"(?:19|20)\d\d", tail.group()) else math.log2(
            10 ** sum(c.isdigit() for c in tail.group()) * 33)
        core = core[: tail.start()]
    if core[:1].isupper() and core[1:].islower():
        bits += 1.0
        core = core.lower()
    squashed = re.sub(r"(.)\1+", r"\1", core)  # 'aaaa' counts once
    normal = squashed.lower().translate(_LEET)
    for word in _COMMON:
        if word in normal:
            normal = normal.replace(word, "\x00")
            bits += 10.0
    normal = normal.replace("\x00", "")
    pool = sum(size for test, size in ((str.islower, 26), (str.isupper, 26), (str.isdigit, 10))
               if any(test(c) for c in normal))
    pool += 33 if any(not c.isalnum() for c in normal) else 0
    bits += len(normal) * math.log2(max(pool, 2)) * (0.7 if normal.isalpha() else 1.0)
    return bits


def check_strength(passphrase: str, *, allow_weak: bool = False) -> float:
    """The estimate; WeakPassphrase under MIN_BITS unless weak passphrases are allowed."""
    bits = estimate_bits(passphrase)
    if bits < MIN_BITS and not allow_weak:
        raise WeakPassphrase(f"that passphrase is weak (about {bits:.0f} bits; at least "
                             f"{MIN_BITS:.0f} are needed). {DICEWARE_ADVICE} To use it anyway, "
                             "pass --weak-ok.")
    return bits


# Where a passphrase comes from: the environment, one line of stdin, or a prompt on a TTY.

Prompt = Callable[[str], str]


def read_passphrase(*, env: str = PASSWORD_ENV, stdin: TextIO | None = None,
                    confirm: bool = False, label: str = "Passphrase",
                    prompt: Prompt | None = None) -> str:
    """From $GROWTHLOG_PASSWORD, else a line of `stdin` (--password-stdin), else a prompt."""
    value = os.environ.get(env)
    if value:
        return value
    if stdin is not None:
        line = stdin.readline()
        if not line.strip():
            raise GrowthlogError(f"--password-stdin: expected a line with the {label.lower()}; "
                                 "found nothing")
        return line.rstrip("\r\n")
    if prompt is None:
        if not sys.stdin.isatty():
            raise GrowthlogError(f"no passphrase: set {env}, use --password-stdin, or run "
                                 "in a terminal to be asked")
        prompt = getpass.getpass
    first = prompt(f"{label}: ")
    if confirm and prompt(f"{label} (again): ") != first:
        raise GrowthlogError("the two passphrases differ; nothing was changed")
    if not first:
        raise GrowthlogError("empty passphrase; nothing was changed")
    return first


def build_passphrase(root: Path, *, iterations: int = MIN_ITERATIONS, stdin: TextIO | None = None,
                     allow_weak: bool = False,
                     prompt: Prompt | None = None) -> tuple[str, Path | None]:
    """The passphrase for a private build. On first use this creates the keyfile (asking
    twice when prompting) and returns its path too."""
    if keyfile_path(root).is_file():
        return read_passphrase(stdin=stdin, prompt=prompt), None
    passphrase = read_passphrase(stdin=stdin, confirm=True, label="New passphrase", prompt=prompt)
    return passphrase, init_keyfile(root, passphrase, iterations=iterations,
                                    allow_weak=allow_weak)
