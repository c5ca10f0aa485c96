"""The leak audit: does any built file, or any file name, show what the log says?

Every title, company, role, tag, lesson, feedback text, action, support note and body
sentence of every entry is searched raw and in the encodings a site uses (HTML- and
JSON-escaped, URL-encoded, slugified). Short needles must stand alone (not inside a word,
nor inside a long run of base64, where a match would be chance, not a leak). Pure apart
from `audit_output`, which reads the log and the built folder.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

from generator.config import SiteConfig
from generator.entries import make_slug
from generator.errors import GrowthlogError, raise_on_errors
from generator.model import Entry, Site
from generator.private import NEVER_PUBLISHED, boilerplate
from generator.sources import entry_stem

SHORT = 8
"""Needles shorter than this are matched case-sensitively and only as whole words."""
MIN_SENTENCE = 16
RUN_LIMIT = 200
"""A short needle inside a longer run of base64 characters is chance, not a leak."""
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/=_-]")


@dataclass(frozen=True, slots=True)
class Needle:
    what: str
    """e.g. "company 'Acme'"."""
    text: str
    names_only: bool = False


@dataclass(frozen=True, slots=True)
class Leak:
    path: str
    needle: Needle
    encoding: str
    in_name: bool = False

    def format(self) -> str:
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


def _sentences(entry: Entry) -> Iterable[str]:
    text = re.sub(r"<[^>]+>", "\n", entry.body_html)
    for chunk in html.unescape(text).split("\n"):
        for sentence in re.split(r"(?<=[.!?])\s+", chunk):
            sentence = " ".join(sentence.split())
            if len(sentence) >= MIN_SENTENCE and " " in sentence:
                yield sentence


def entry_needles(entry: Entry) -> Iterable[Needle]:
    """What one entry says that must not show in a private build."""
    yield Needle(f"the title '{entry.title}'", entry.title)
    yield Needle(f"the slug '{entry.slug}'", entry.slug)
    yield Needle(f"the date {entry.date.isoformat()}", entry.date.isoformat(), names_only=True)
    stem = entry_stem(entry.source)
    yield Needle(f"the file name '{stem}'", stem)
    for label, value in (("company", entry.company), ("role", entry.role)):
        if value:
            yield Needle(f"{label} '{value}'", value)
    for tag in entry.tags:
        yield Needle(f"tag '{tag.name}'", tag.name)
        yield Needle(f"tag '{tag.name}'", tag.slug)
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
        if value and value.strip():
            yield Needle(f"{label} '{_short(value)}' of '{entry.title}'", value.strip())


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def site_needles(site: Site, config: SiteConfig) -> list[Needle]:
    """Every needle of every entry, plus the log's title and author."""
    needles = [n for entry in site.entries for n in entry_needles(entry)]
    needles += [Needle(f"the log's {label} '{value}'", value)
                for label, value in (("title", config.title), ("author", config.author)) if value]
    unique: dict[tuple[str, bool], Needle] = {}
    for needle in needles:
        if len(needle.text) >= 3:
            unique.setdefault((needle.text, needle.names_only), needle)
    return list(unique.values())


def encodings(text: str) -> dict[str, str]:
    """The forms a text takes in a built site."""
    forms = {
        "raw": text,
        "HTML-escaped": html.escape(text),
        "HTML-escaped (numeric)": html.escape(text).replace("&#x27;", "&#39;")
        .replace("&quot;", "&#34;"),
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


def _found(haystack: bytes, lowered: bytes, form: str) -> bool:
    data = form.encode("utf-8")
    if len(form) >= SHORT:
        return data.lower() in lowered
    for variant in {data, data.lower(), data.upper(), data.capitalize()}:
        if variant not in haystack:
            continue
        for match in re.finditer(rb"(?<![A-Za-z0-9])" + re.escape(variant) + rb"(?![A-Za-z0-9])",
                                 haystack):
            if _run_length(haystack, match.start(), match.end()) < RUN_LIMIT:
                return True
    return False


def _run_length(data: bytes, start: int, end: int) -> int:
    while start > 0 and _BASE64_RUN.match(data, start - 1):
        start -= 1
    while end < len(data) and _BASE64_RUN.match(data, end):
        end += 1
    return end - start


def scan(files: Mapping[str, bytes], needles: Iterable[Needle],
         ignore: Sequence[bytes] = ()) -> list[Leak]:
    """Every (file, needle) where the needle shows in the file's content or name.
    `ignore`: text known to be growthlog's own (the unlock page), skipped in contents."""
    needles = list(needles)
    forms = [(n, encodings(n.text)) for n in needles]
    leaks: list[Leak] = []
    for path, data in sorted(files.items()):
        for chunk in ignore:
            data = data.replace(chunk, b"\x00")
        name = path.encode("utf-8")
        if path.rsplit("/", 1)[-1] in NEVER_PUBLISHED:
            leaks.append(Leak(path, Needle("a sitemap or feed", path), "raw", in_name=True))
        lowered, name_lowered = data.lower(), name.lower()
        for needle, variants in forms:
            hit = next(((enc, True) for enc, form in variants.items()
                        if _found(name, name_lowered, form)), None)
            if hit is None and not needle.names_only and (len(data) >= 3):
                hit = next(((enc, False) for enc, form in variants.items()
                            if _found(data, lowered, form)), None)
            if hit is not None:
                leaks.append(Leak(path, needle, hit[0], in_name=hit[1]))
    return leaks


def read_site(out_dir: Path) -> dict[str, bytes]:
    """Every file under the built folder (except a .git), by relative POSIX path."""
    return {p.relative_to(out_dir).as_posix(): p.read_bytes()
            for p in sorted(out_dir.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(out_dir).parts}


def audit_output(root: Path, out_dir: Path | None = None) -> list[Leak]:
    """Scan ROOT/output (or out_dir) for anything the log at ROOT says, drafts included."""
    from generator.build import load_log  # the build imports this module

    out_dir = out_dir if out_dir is not None else root / "output"
    if not out_dir.is_dir():
        raise GrowthlogError(f"{out_dir} does not exist; build the site first")
    log = load_log(root, drafts=True)
    raise_on_errors(log.problems)  # an unread entry would go unchecked
    return scan(read_site(out_dir), site_needles(log.site, log.config), boilerplate())


def raise_on_leaks(leaks: list[Leak]) -> None:
    if leaks:
        raise LeaksFound(leaks)
