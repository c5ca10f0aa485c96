"""The leak audit of a private build: is every file what a private site is made of, and
does any plaintext that remains show what the log says? Pure: files in, findings out.

A private site holds three kinds of file, and each is verified by its structure, not by
searching it for words:

* sealed blobs (every file that is not a page): the size of nonce ‖ Padmé frame ‖ tag, and
  bytes that open under the site's keys for their own path (given the keys) or, without
  them, bytes no compressor can shorten (ciphertext; any plaintext compresses);
* unlock shells (every page): the shipped template byte for byte, with each field checked
  (the CSP's grammar and hashes, the key blob's fields, a payload that is base64 of a sealed
  blob, the shipped loader and style);
* growthlog's own files, byte for byte: the unlock runtime (under its own name) and
  robots.txt; and a few plaintext files (.nojekyll, CNAME, the manifest, a robots.txt that
  is not growthlog's).

What is left is plaintext: every file name, the free fields of shells (language, base URL),
CNAME, and any part that did not verify. Only that is searched, for every title, company,
role, tag, lesson, feedback text, action, support note and body sentence, raw and in the
encodings a site uses (HTML- and JSON-escaped, URL-encoded, slugified), in one pass over an
index of the plaintext. growthlog's own bytes are never searched because their spans are
verified and masked, not because needles are dropped: the same word in a real leak is found.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
import struct
import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from urllib.parse import quote, quote_plus

from generator.config import SiteConfig
from generator.crypto import KDF, NONCE_BYTES, VERSION, SiteKeys, TamperedFile, open_file, padme
from generator.entries import make_slug
from generator.errors import GrowthlogError
from generator.model import Entry, Site
from generator.private import NEVER_PUBLISHED, ROBOTS_TXT, ShellParts
from generator.sources import entry_stem
from generator.value import Value, frozen

SHORT = 8
"""Needles shorter than this are matched case-sensitively and only as whole words."""
MIN_SENTENCE = 16
TAG_BYTES = 16
PLAINTEXT_FILES = frozenset({"robots.txt", ".nojekyll", "CNAME"})
BOOKKEEPING = frozenset({".growthlog-manifest.json", ".growthlog-journal.json"})
NOT_A_SHELL = "not an unlock page of this version of growthlog"


@frozen
class Needle(Value):
    """Something the author wrote that must not reach a published byte or name."""

    what: str
    """e.g. "company 'Acme'"."""
    text: str
    names_only: bool = False


@frozen
class Leak(Value):
    """A needle found in a published file or name, or a file that is not allowed."""

    path: str
    needle: Needle
    encoding: str
    in_name: bool = False
    problem: str = ""
    """Set when the file is not what a private site is made of (then needle is empty)."""

    def format(self) -> str:
        if self.problem:
            return f"{self.path}: {self.problem}"
        where = "file name shows" if self.in_name else "shows"
        how = "" if self.encoding == "raw" else f" ({self.encoding})"
        return f"{self.path}: {where} {self.needle.what}{how}"


class LeaksFound(GrowthlogError):
    """Raised by `raise_on_leaks` (private builds, deploy) when the audit finds anything."""

    def __init__(self, leaks: list[Leak]) -> None:
        self.leaks = leaks
        listed = "\n".join(leak.format() for leak in leaks[:50])
        more = f"\n… and {len(leaks) - 50} more" if len(leaks) > 50 else ""
        super().__init__(f"the built site shows what the log says ({len(leaks)} "
                         f"leak{'s' * (len(leaks) != 1)}):\n{listed}{more}")


# --- needles ------------------------------------------------------------------------------

def _sentences(entry: Entry) -> Iterable[str]:
    text = re.sub(r"<[^>]+>", "\n", entry.body_html)
    for chunk in html.unescape(text).split("\n"):
        for sentence in re.split(r"(?<=[.!?])\s+", chunk):
            sentence = " ".join(sentence.split())
            if len(sentence) >= MIN_SENTENCE and " " in sentence:
                yield sentence


def _every(text: str) -> bool:
    return True


def entry_needles(entry: Entry, keep: Callable[[str], bool] = _every) -> Iterable[Needle]:
    """What one entry says that must not show in a private build (`keep`: only the texts
    it holds, so that no other needle is made and described)."""
    date = entry.date.isoformat()
    stem = entry_stem(entry.source)
    if keep(entry.title):
        yield Needle(f"the title '{entry.title}'", entry.title)
    if keep(entry.slug):
        yield Needle(f"the slug '{entry.slug}'", entry.slug)
    if keep(date):
        yield Needle(f"the date {date}", date, names_only=True)
    if keep(stem):
        yield Needle(f"the file name '{stem}'", stem)
    for label, value in (("company", entry.company), ("role", entry.role)):
        if value and keep(value):
            yield Needle(f"{label} '{value}'", value)
    for tag in entry.tags:
        for text in (tag.name, tag.slug):
            if keep(text):
                yield Needle(f"tag '{tag.name}'", text)
    texts: list[tuple[str, str | None]] = [("lesson", t) for t in entry.lessons]
    if entry.feedback:
        texts += [("feedback", entry.feedback.given_by), ("feedback", entry.feedback.received),
                  ("feedback", entry.feedback.other_openings)]
    texts += [("support", s.who) for s in entry.support]
    texts += [("support", s.took_away) for s in entry.support]
    if entry.postmortem:
        texts += [("post-mortem", t) for t in (*entry.postmortem.went_well,
                                                *entry.postmortem.to_improve)]
    texts += [("action", a.text) for a in entry.actions]
    texts += [("body sentence", s) for s in _sentences(entry)]
    for label, value in texts:
        if value and value.strip() and keep(value.strip()):
            yield Needle(f"{label} '{_short(value)}' of '{entry.title}'", value.strip())


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def site_needles(site: Site, config: SiteConfig,
                 keep: Callable[[str], bool] = _every) -> list[Needle]:
    """Every needle of every entry, plus the log's title and author (`keep`: only those
    whose text it holds, e.g. `Structure.may_show`; asked once per distinct text)."""
    kept: dict[str, bool] = {}

    def once(text: str) -> bool:
        known = kept.get(text)
        if known is None:
            known = kept[text] = len(text) >= 3 and keep(text)
        return known

    needles = [n for entry in site.entries for n in entry_needles(entry, once)]
    needles += [Needle(f"the log's {label} '{value}'", value)
                for label, value in (("title", config.title), ("author", config.author))
                if value and once(value)]
    unique: dict[tuple[str, bool], Needle] = {}
    for needle in needles:
        if len(needle.text) >= 3:
            unique.setdefault((needle.text, needle.names_only), needle)
    return list(unique.values())


def encodings(text: str) -> dict[str, str]:
    """The forms a text takes in a built site."""
    escaped = html.escape(text)
    forms = {
        "raw": text,
        "HTML-escaped": escaped,
        "HTML-escaped (numeric)": escaped.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        "JSON-escaped": json.dumps(text)[1:-1],
        "JSON-escaped UTF-8": json.dumps(text, ensure_ascii=False)[1:-1],
        "URL-encoded": quote(text),
        "URL-encoded form": quote_plus(text),
        "slugified": make_slug(text),
    }
    seen: dict[str, str] = {}
    for name, form in forms.items():
        if len(form) >= 3 and form not in seen.values():
            seen[name] = form
    return seen


# --- structure ----------------------------------------------------------------------------

def sealed_size(length: int) -> bool:
    """Whether a file of this many bytes can be nonce ‖ Padmé-sized frame ‖ GCM tag."""
    frame = length - NONCE_BYTES - TAG_BYTES
    return frame > 0 and padme(frame) == frame


def _looks_sealed(data: bytes) -> bool:
    # Ciphertext is incompressible: the chance that uniform bytes compress by 64 bytes
    # is below 2**-512, while any text (HTML, JSON, CSS, Markdown) shrinks by far more.
    return sealed_size(len(data)) and len(zlib.compress(data, 1)) > len(data) - 64


Keys = SiteKeys | Sequence[SiteKeys] | None
"""The keys a build's files are sealed under: the author's site and each reader's view."""


def _opens(data: bytes, file_id: str, keys: SiteKeys | Sequence[SiteKeys]) -> bool:
    for each in (keys,) if isinstance(keys, SiteKeys) else keys:
        try:
            open_file(each, file_id, data)
        except (TamperedFile, ValueError, struct.error):
            continue
        return True
    return False


def check_blob(data: bytes, file_id: str, keys: Keys) -> str | None:
    """Why data is not a sealed blob published at file_id; None when it is one."""
    if not sealed_size(len(data)):
        return f"not a sealed file ({len(data):,} bytes is no sealed size)"
    if keys is not None:
        if not _opens(data, file_id, keys):
            return "not a sealed file (it does not open for its own path)"
    elif not _looks_sealed(data):
        return "not a sealed file (its bytes are not ciphertext)"
    return None


_B64URL = re.compile(r"[A-Za-z0-9_-]{16}")
_CSP_DIRECTIVES = frozenset({
    "default-src", "script-src", "style-src", "style-src-attr", "style-src-elem",
    "script-src-elem", "script-src-attr", "img-src", "connect-src", "font-src", "media-src",
    "object-src", "frame-src", "child-src", "worker-src", "manifest-src", "base-uri",
    "form-action", "upgrade-insecure-requests"})
_CSP_SOURCES = re.compile(r"'none'|'self'|'unsafe-inline'|'strict-dynamic'|blob:|data:"
                          r"|'sha256-[A-Za-z0-9+/]{43}='")


def _csp_ok(csp: str) -> bool:
    for directive in csp.split(";"):
        name, *sources = directive.split()
        if name not in _CSP_DIRECTIVES or not all(_CSP_SOURCES.fullmatch(s) for s in sources):
            return False
    return True


def _b64(value: object) -> bytes | None:
    """The bytes of canonical base64 (as growthlog writes it), else None."""
    if not isinstance(value, str):
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Strict decoding accepts only whole, padded quanta of the alphabet, each of which
    # encodes back to itself but the last (its spare bits may be set): encode that one.
    tail = data[(len(data) - 1) // 3 * 3:]
    return data if base64.b64encode(tail).decode("ascii") == value[len(value) - 4:] else None


def _key_field_ok(name: str, value: object) -> bool:
    if name == "v":
        return value == VERSION
    if name == "kdf":
        return value == KDF
    if name == "site":
        return isinstance(value, str) and bool(_B64URL.fullmatch(value))
    if name in ("iter", "remember_days"):
        return isinstance(value, int) and not isinstance(value, bool)
    if name in ("salt", "wiv", "wrapped"):
        return _b64(value) is not None
    if name == "slots":
        return isinstance(value, list) and all(_slot_ok(s) for s in value)
    return name == "reveal_titles" and isinstance(value, bool)


_SLOT_FIELDS = frozenset({"id", "iter", "salt", "wiv", "wrapped"})


def _slot_ok(value: object) -> bool:
    """A reader's slot (readers.py): a random id, the iterations and base64 only."""
    return (isinstance(value, dict) and set(value) == _SLOT_FIELDS
            and _key_field_ok("site", value["id"]) and _key_field_ok("iter", value["iter"])
            and all(_b64(value[k]) is not None for k in ("salt", "wiv", "wrapped")))


@frozen
class Verdict(Value):
    """What the audit makes of one file: why it is malformed (if it is), and the plaintext
    it leaves to search."""

    problem: str | None
    plaintext: tuple[str, ...]
    names: tuple[str, ...] = ()
    """Paths the file holds, searched as names are."""


Checked = tuple[str | None, tuple[str, ...], tuple[str, ...]]
"""One shell field's verdict: its problem, the plaintext it leaves, the names it holds."""
FRAMES = 8
"""Shell frames a Memo keeps: one per site of the build (the author's, each reader's view)
is what an honest build needs; more would only cost a comparison per shell."""


@frozen
class _Frame(Value):
    """A checked shell's bytes before and after its page field, and those fields' verdicts."""

    before: bytes
    after: bytes
    """Starts with the literal that ends the page field."""
    end: bytes
    """That literal."""
    checked_before: tuple[Checked, ...]
    checked_after: tuple[Checked, ...]


@dataclass(slots=True, eq=False, repr=False)
class Memo:
    """One audit's verdicts on what every shell repeats: each distinct field value (CSP, key
    blob, style, loader, language) is checked once, and a shell whose bytes around its page
    are a checked shell's is checked only for its page (its id and payload)."""

    fields: dict[tuple[str, bytes], Checked] = dataclass_field(default_factory=dict)
    frames: list[_Frame] = dataclass_field(default_factory=list)


def _check_shell(path: str, data: bytes, parts: ShellParts, keys: Keys,
                 memo: Memo | None = None) -> Verdict:
    """The shell's bytes against the template's: UTF-8 finds a literal only where it
    starts a character, so this is the text's comparison without decoding each page; only
    a field's value is decoded, once per value."""
    memo = Memo() if memo is None else memo
    for frame in memo.frames:
        # Parsed as the checked shell was, up to the page and from its end: the page ends
        # where that shell's did only if the literal that ends it is nowhere inside it.
        stop = len(data) - len(frame.after)
        if stop >= len(frame.before) and data.startswith(frame.before) \
                and data.endswith(frame.after) \
                and data.find(frame.end, len(frame.before), stop) < 0:
            page = _check_value("@@PAGE@@", data[len(frame.before):stop], path, parts, keys)
            if page is None:
                return _not_a_shell(data)
            return _verdict((*frame.checked_before, page, *frame.checked_after))
    pieces = [piece.encode("utf-8") for piece in re.split(r"(@@[A-Z]+@@)", parts.template)]
    position = 0
    results: list[Checked] = []
    page_at: tuple[int, int, bytes, int] | None = None
    for index in range(0, len(pieces), 2):
        literal = pieces[index]
        if not data.startswith(literal, position):
            return _not_a_shell(data)
        position += len(literal)
        if index + 1 == len(pieces):
            break
        field, following = pieces[index + 1].decode(), pieces[index + 2]
        end = data.find(following, position) if following else len(data)
        if end < 0:
            return _not_a_shell(data)
        value = data[position:end]
        if field == "@@PAGE@@":  # the page (id, payload) is each shell's own
            page_at = position, end, following, len(results)
            checked = _check_value(field, value, path, parts, keys)
        else:
            checked = memo.fields.get((field, value))
            if checked is None:
                checked = _check_value(field, value, path, parts, keys)
                if checked is not None:
                    memo.fields[(field, value)] = checked
        if checked is None:
            return _not_a_shell(data)
        results.append(checked)
        position = end
    if position != len(data):
        return _not_a_shell(data)
    if page_at is not None and page_at[2]:
        start, end, following, at = page_at
        memo.frames.insert(0, _Frame(data[:start], data[end:], following,
                                     tuple(results[:at]), tuple(results[at + 1:])))
        del memo.frames[FRAMES:]
    # The template's pieces and every value are UTF-8, so the whole file is.
    return _verdict(results)


def _check_value(field: str, value: bytes, path: str, parts: ShellParts,
                 keys: Keys) -> Checked | None:
    """A field's verdict; None when its value is not UTF-8 (then the file is no shell)."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    plain: list[str] = []
    names: list[str] = []
    why = _check_field(field, text, path, parts, keys, plain, names)
    return why, tuple(plain), tuple(names)


def _verdict(results: Iterable[Checked]) -> Verdict:
    problems: list[str] = []
    plain: list[str] = []
    names: list[str] = []
    for problem, more_plain, more_names in results:
        if problem:
            problems.append(problem)
        plain += more_plain
        names += more_names
    return Verdict("; ".join(problems) or None, tuple(plain), tuple(names))


def _not_a_shell(data: bytes) -> Verdict:
    return Verdict(NOT_A_SHELL, (data.decode("utf-8", "replace"),))


def _check_field(field: str, value: str, path: str, parts: ShellParts, keys: Keys,
                 plain: list[str], names: list[str]) -> str | None:
    """Check one shell field; what is free text goes to `plain`."""
    if field == "@@LANG@@":
        plain.append(value)
    elif field == "@@CSP@@":
        if not _csp_ok(value):
            plain.append(value)
            return "an unlock page with a Content-Security-Policy growthlog does not write"
    elif field == "@@STYLE@@":
        if value != parts.style:
            plain.append(value)
    elif field == "@@LOADER@@":
        if value != parts.loader:
            plain.append(value)
            return "an unlock page without growthlog's unlock script"
    elif field in ("@@KEY@@", "@@PAGE@@"):
        return _check_json(field, value, path, keys, plain, names)
    else:
        plain.append(value)
    return None


def _check_json(field: str, value: str, path: str, keys: Keys,
                plain: list[str], names: list[str]) -> str | None:
    """The key blob and the page's id and payload; field names are growthlog's own, so
    only values are ever plaintext."""
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        plain.append(value)
        return f"an unlock page whose {'key' if field == '@@KEY@@' else 'page'} is not JSON"
    problem = None
    for name, item in data.items():
        if field == "@@KEY@@":
            if not _key_field_ok(name, item):
                plain.append(json.dumps(item, ensure_ascii=False))
        elif name == "payload":
            sealed = _b64(item)
            why = "not base64" if sealed is None else check_blob(
                sealed, str(data.get("id", path)), keys)
            if why is not None:
                plain.append(str(item))
                problem = f"an unlock page whose payload is {why}"
        elif name == "id" and isinstance(item, str):
            names.append(item)
        else:  # the base URL and anything new: plaintext
            plain.append(json.dumps(item, ensure_ascii=False))
    if field == "@@PAGE@@" and "payload" not in data:
        problem = "an unlock page without a sealed payload"
    return problem


def check_file(path: str, data: bytes, parts: ShellParts, keys: Keys = None,
               memo: Memo | None = None) -> Verdict:
    """Verify one published file of a private build (`memo`: shared by one audit's files)."""
    name = path.rsplit("/", 1)[-1]
    if path in BOOKKEEPING:
        return _check_manifest(data)
    if path == parts.runtime_file:
        if data == parts.runtime.encode("utf-8"):
            return Verdict(None, ())
        return Verdict("not growthlog's unlock script", (data.decode("utf-8", "replace"),))
    if path == "robots.txt" and data == ROBOTS_TXT:  # growthlog's own: 'User-agent', 'Disallow'
        return Verdict(None, ())
    if path in PLAINTEXT_FILES or name in PLAINTEXT_FILES:
        return Verdict(None, (data.decode("utf-8", "replace"),))
    if name.endswith(".html"):
        return _check_shell(path, data, parts, keys, memo)
    why = check_blob(data, path, keys)
    return Verdict(why, () if why is None else (data.decode("utf-8", "replace"),))


def _check_manifest(data: bytes) -> Verdict:
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    files = value.get("files", {}) if isinstance(value, dict) else None
    pending = value.get("pending", []) if isinstance(value, dict) else None
    if isinstance(files, dict) and isinstance(pending, list) and all(
            isinstance(h, str) and re.fullmatch(r"[0-9a-f]{64}", h) for h in files.values()):
        return Verdict(None, (), tuple(str(p) for p in (*files, *pending)))
    return Verdict(None, (data.decode("utf-8", "replace"),))


# --- the search ---------------------------------------------------------------------------

_TOKEN = re.compile(rb"[a-z2-7]{16}(?:\.bin)?")
"""An opaque name: a keyed hash, so a match inside it is chance, and only the whole
name equal to a needle would be a leak."""
_WORD = re.compile(rb"[A-Za-z0-9]")
_OWN_NAMES = frozenset(name.encode() for name in (
    "index.html", "404.html", *PLAINTEXT_FILES, *BOOKKEEPING))
"""The names growthlog gives files whatever the log says (and ShellParts.runtime_file)."""


@frozen
class _Form(Value):
    """One spelling (encoding) of a needle, as bytes."""

    needle: int
    encoding: int
    data: bytes
    short: bool


class _Index:
    """Every needle spelling, looked up against plaintext in one pass per haystack: long
    spellings (case-folded) by their first SHORT bytes, short ones by the whole words they
    must be. Linear in the needles plus the plaintext, where a search per spelling per
    file is their product."""

    def __init__(self, needles: Sequence[Needle]) -> None:
        self.needles = needles
        spelled = [encodings(n.text) for n in needles]  # once: slugifying is most of it
        self.names = [list(forms) for forms in spelled]
        self.long: dict[bytes, list[_Form]] = defaultdict(list)
        self.short: dict[bytes, list[_Form]] = defaultdict(list)
        self.whole: dict[bytes, list[_Form]] = defaultdict(list)
        for number, forms in enumerate(spelled):
            for position, form in enumerate(forms.values()):
                data = form.encode("utf-8")
                entry = _Form(number, position, data, len(form) < SHORT)
                if entry.short:
                    self.short[data.lower()].append(entry)
                else:
                    self.long[data.lower()[:SHORT]].append(entry)
                self.whole[data.lower()].append(entry)
        self.lengths = sorted({len(k) for k in self.short})

    def search(self, haystack: bytes) -> set[tuple[int, int]]:
        """(needle, encoding) of every spelling found in haystack."""
        found: set[tuple[int, int]] = set()
        lowered = haystack.lower()
        for start in range(len(lowered) - SHORT + 1):
            for form in self.long.get(lowered[start:start + SHORT], ()):
                if lowered.startswith(form.data.lower(), start):
                    found.add((form.needle, form.encoding))
        for start in range(len(haystack)):
            if start and _WORD.match(haystack, start - 1):
                continue
            for length in self.lengths:
                end = start + length
                if end > len(haystack) or (end < len(haystack) and _WORD.match(haystack, end)):
                    continue
                for form in self.short.get(lowered[start:end], ()):
                    variant = haystack[start:end]
                    if variant in (form.data, form.data.lower(), form.data.upper(),
                                   form.data.capitalize()):
                        found.add((form.needle, form.encoding))
        return found

    def equal(self, part: bytes) -> set[tuple[int, int]]:
        return {(f.needle, f.encoding) for f in self.whole.get(part.lower(), ())}


@frozen
class _Name(Value):
    """A published name as the search sees it: its opaque parts (compared whole) and the
    rest (growthlog's own names and opaque parts masked), searched as text."""

    tokens: tuple[bytes, ...]
    rest: bytes


def _split_name(path: str, own: Collection[bytes] = _OWN_NAMES) -> _Name:
    tokens: list[bytes] = []
    rest: list[bytes] = []
    for part in path.encode("utf-8", "surrogateescape").split(b"/"):
        if part in own:
            rest.append(b"\x00")
        elif _TOKEN.fullmatch(part):
            tokens.append(part.removesuffix(b".bin"))
            rest.append(b"\x00")
        else:
            rest.append(part)
    return _Name(tuple(tokens), b"/".join(rest))


def _name_hits(path: str, index: _Index) -> set[tuple[int, int]]:
    name = _split_name(path)
    found = index.search(name.rest)
    for token in name.tokens:
        found |= index.equal(token)
    return found


# --- which needles can show at all --------------------------------------------------------

SLUG_MAX = 80
"""make_slug's max_length: a slug of a shorter text is never truncated."""
_RUN = re.compile(r"[A-Za-z0-9]+")
TOKEN_LENGTH = 16
_HASH_AFTER_WORD = re.compile(r"(?<=\w)#")
"""With '&' and '+' (entities, which slugify decodes; C++), '#' after a letter (C#, which
make_slug spells out) and non-ASCII (transliterated): a slug of such a text may lose a
run of the text's letters and digits."""
_LONG_WORD = re.compile(r"\S{61,}")
"""A word that long can make slugify's truncation keep any other word alone."""
MAX_FILTERED = 1 << 20
"""Above this much plaintext, every needle is spelled (the test below is a substring
search in it per needle, so it pays only when the plaintext is small, as a private
site's is: names, a language, a base URL, robots.txt)."""


def may_show(text: str, plaintext: bytes, tokens: Collection[bytes]) -> bool:
    """False only when no spelling of text (`encodings`) can be found in plaintext (already
    lower-cased, as the search compares) nor equal an opaque name in tokens.

    Every spelling keeps each ASCII letter-and-digit run of the text, lower-cased, as a
    substring: escaping and URL-encoding add characters around runs, never inside one, and
    a slug of a plain ASCII text keeps them all (shorter than SLUG_MAX) or at least the
    first word (longer, with no word of over 60 characters). An opaque name is 16 of
    [a-z2-7]; the only spellings that can equal one are the text itself or a slug with no
    hyphen, and both are then its letters and digits, lower-cased, run together.
    tests/test_private_cost.py checks these claims against `encodings` itself.
    """
    # The plain str methods first: this runs for every needle of the log.
    if not text.isascii() or "&" in text or "+" in text or (
            "#" in text and _HASH_AFTER_WORD.search(text)):
        return True
    runs = _RUN.findall(text)
    if not runs:
        return True
    long = len(text) >= SLUG_MAX
    if long and _LONG_WORD.search(text):
        return True
    if len(text) >= TOKEN_LENGTH and tokens:
        together = "".join(runs)
        if len(together) == TOKEN_LENGTH and together.lower().encode("ascii") in tokens:
            return True
    for run in runs[:1] if long else runs:
        if run[:SHORT].lower().encode("ascii") not in plaintext:
            return False
    return True


@frozen
class _File(Value):
    """One published file as the audit reads it."""

    path: str
    verdict: Verdict
    names: tuple[_Name, ...]
    texts: tuple[bytes, ...]


@frozen
class Structure(Value):
    """A private site's files as `check_files` verified them: what each is (its verdict),
    and the names and plaintext left to search, which `leaks` searches for needles."""

    files: tuple[_File, ...]
    haystacks: tuple[bytes, ...]
    """Every distinct name (opaque parts masked) and plaintext."""
    tokens: frozenset[bytes]
    """Every opaque name: a needle equal to one is a leak."""
    plaintext: bytes | None
    """The haystacks lower-cased and joined, or None when too large to filter by."""

    def may_show(self, text: str) -> bool:
        """Whether a needle of this text can be found here (see `may_show`): only these
        are made, spelled and searched (spelling is most of an audit's cost, and a
        private site's plaintext is a few bytes)."""
        return self.plaintext is None or may_show(text, self.plaintext, self.tokens)

    def leaks(self, needles: Iterable[Needle]) -> list[Leak]:
        """Every malformed file, and every (file, needle) where the needle shows in a
        file's name or in the plaintext the file leaves."""
        index = _Index([n for n in needles if self.may_show(n.text)])
        searched = {haystack: index.search(haystack) for haystack in self.haystacks}
        leaks: list[Leak] = []
        for file in self.files:
            if file.path.rsplit("/", 1)[-1] in NEVER_PUBLISHED:
                leaks.append(Leak(file.path, Needle("a sitemap or feed", file.path), "raw",
                                  in_name=True))
            if file.verdict.problem:
                leaks.append(Leak(file.path, Needle("", ""), "raw",
                                  problem=file.verdict.problem))
            in_name: set[tuple[int, int]] = set()
            for name in file.names:
                in_name |= searched[name.rest]
                for token in name.tokens:
                    in_name |= index.equal(token)
            in_text: set[tuple[int, int]] = set()
            for text in file.texts:
                in_text |= searched[text]
            leaks += _leaks(file.path, index, in_name, in_text)
        return leaks


def check_files(files: Mapping[str, bytes], parts: ShellParts, keys: Keys = None) -> Structure:
    """Verify every file of a private build: what is left to search for needles."""
    checked: list[_File] = []
    haystacks: dict[bytes, None] = {}
    tokens: set[bytes] = set()
    memo = Memo()
    own = _OWN_NAMES | {parts.runtime_file.encode()}
    for path, data in sorted(files.items()):
        verdict = check_file(path, data, parts, keys, memo)
        # A page names itself in its JSON: the same name is split once.
        names = tuple(_split_name(name, own) for name in dict.fromkeys((path, *verdict.names)))
        texts = tuple(text.encode("utf-8", "surrogateescape") for text in verdict.plaintext)
        for name in names:
            tokens.update(name.tokens)
        haystacks.update(dict.fromkeys((*(name.rest for name in names), *texts)))
        checked.append(_File(path, verdict, names, texts))
    plaintext = b"\x00".join(h.lower() for h in haystacks)
    return Structure(tuple(checked), tuple(haystacks), frozenset(tokens),
                     plaintext if len(plaintext) <= MAX_FILTERED else None)


def audit_files(files: Mapping[str, bytes], needles: Iterable[Needle], parts: ShellParts,
                keys: Keys = None) -> list[Leak]:
    """Every file of a private build that is malformed, and every (file, needle) where the
    needle shows in a file's name or in the plaintext the file leaves."""
    return check_files(files, parts, keys).leaks(needles)


def scan(files: Mapping[str, bytes], needles: Iterable[Needle]) -> list[Leak]:
    """Every (file, needle) where the needle shows anywhere in a file's bytes or name, with
    no structure assumed (what a public build shows)."""
    index = _Index(list(needles))
    return [leak for path, data in sorted(files.items())
            for leak in _leaks(path, index, _name_hits(path, index), index.search(data))]


def _leaks(path: str, index: _Index, in_name: set[tuple[int, int]],
           in_text: set[tuple[int, int]]) -> list[Leak]:
    leaks = []
    for number in sorted({n for n, _ in in_name | in_text}):
        needle = index.needles[number]
        named = sorted(e for n, e in in_name if n == number)
        shown = sorted(e for n, e in in_text if n == number)
        if named:
            leaks.append(Leak(path, needle, index.names[number][named[0]], in_name=True))
        elif shown and not needle.names_only:
            leaks.append(Leak(path, needle, index.names[number][shown[0]]))
    return leaks


def withheld_needles(withheld: Iterable[Needle], shown: Iterable[str],
                     baseline: Iterable[bytes]) -> list[Needle]:
    """What a reader's view must not show: needles of the entries it leaves out and of the
    fields it hides, except those the view shows anyway, because a shared entry says them
    too (`shown`: its texts) or growthlog's pages say them whatever the log holds
    (`baseline`: a site of no entries, e.g. the word 'interview' of the stages)."""
    candidates = list(withheld)
    index = _Index(candidates)
    said = {n for n, _ in index.search("\n".join(shown).encode("utf-8", "surrogateescape"))}
    for data in baseline:
        said |= {n for n, _ in index.search(data)}
    return [needle for number, needle in enumerate(candidates) if number not in said]


def audit_view(reader: str, plain: Mapping[str, bytes], withheld: Iterable[Needle]) -> list[Leak]:
    """Every file of a reader's view (as their browser decrypts it) that shows a needle of
    an entry or field withheld from them."""
    return [replace(leak, path=f"{leak.path} (in {reader}'s view)")
            for leak in scan(plain, withheld)]


def entry_texts(entry: Entry) -> list[str]:
    """Everything an entry shows: its needles' texts and its body as plain text."""
    return [*(n.text for n in entry_needles(entry)), entry.body_text, entry.summary]


def raise_on_leaks(leaks: list[Leak]) -> None:
    if leaks:
        raise LeaksFound(leaks)
