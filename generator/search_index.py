"""Entries → the search index: compact JSON the browser searches (static/search.js); pure.

One record per entry: url, title, company, role, date, tags, lessons and body text. URLs
are computed at build time through Urls.href, so they are right under any base path and
already renamed in private mode (where the whole file is then encrypted like any other).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from generator.memo import Memo
from generator.model import Entry
from generator.urls import Urls

INDEX_VERSION = 1
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
"""A link; an image is one after a '!'. (Not `!?\\[...`: a pattern that starts with one
character is searched for it alone, 12x faster over a body than one that may start
with either.)"""
_MARKS = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")


_STARS = str.maketrans("", "", "*`")


def plain_text(markdown: str) -> str:
    """Entry text as words: links and images keep their text, emphasis marks go."""
    text = _unlinked(markdown) if "](" in markdown else markdown
    # Without an underscore only `*` and backticks are marks, every one of them: deleted
    # in one pass, where the pattern would try its lookbehind at each character.
    text = _MARKS.sub("", text) if "_" in text else text.translate(_STARS)
    return " ".join(text.split())


def _unlinked(markdown: str) -> str:
    """Links and images as their text (an image's '!' goes too)."""
    parts: list[str] = []
    last = 0
    for link in _LINK.finditer(markdown):
        start = link.start()
        parts += [markdown[last:start - (start > last and markdown[start - 1] == "!")],
                  link.group(1)]
        last = link.end()
    parts.append(markdown[last:])
    return "".join(parts)


def search_record(entry: Entry, href: str) -> dict[str, object]:
    """The searchable fields of one entry, with short keys to keep the file small."""
    return {
        "u": href, "t": entry.title, "c": entry.company or "", "r": entry.role or "",
        "d": entry.date.isoformat(), "g": [tag.name for tag in entry.tags],
        "l": list(entry.lessons), "x": plain_text(entry.body_text),
    }


def build_search_index(entries: Sequence[Entry], urls: Urls, memo: Memo | None = None) -> bytes:
    """The index as UTF-8 JSON, entries in the order given (newest first on the site).

    `memo`: the build cache's; serve rebuilds the index on every save, and only the saved
    entry's record changes (a record is kept while its entry and the site's hrefs are
    equal, so an unchanged entry's href is not even asked). Same bytes as dumping the
    whole index at once.
    """
    memo = memo if memo is not None else Memo()
    key = urls.key
    # Each record kept as UTF-8 and the file made in one join: joining text and then
    # encoding it made three copies of the whole index (5 MB at 1,000 entries), each in
    # memory fresh from the system (a third of a one-edit build's site_files).
    parts = [b'{"v":%d,"entries":[' % INDEX_VERSION]
    for e in entries:
        parts += (memo.get(("search record", e.source), (e, key),
                           lambda: _record_json(e, urls.href(e))), b",")  # noqa: B023
    if entries:
        parts[-1] = b"]}"  # the last comma
    else:
        parts.append(b"]}")
    return b"".join(parts)


def _record_json(entry: Entry, href: str) -> bytes:
    return json.dumps(search_record(entry, href), ensure_ascii=False,
                      separators=(",", ":")).encode()
