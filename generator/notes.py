"""Obsidian-flavoured Markdown, kept apart from the renderer: wikilinks, embeds, callouts,
inline #tags and `key:: value` fields.

A text pass before rendering turns `[[Note#Heading|alias]]` into an ordinary Markdown link
to a `growthlog-wiki:` address (resolved once every entry is read, see entry_links.py)
and `![[image.png]]` into an ordinary image of the attachment, so markup.py gives it the
same href as any other attachment link. A pass over the rendered HTML turns blockquotes
opening with `[!type]` into asides. Neither depends on how the renderer works inside.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import field
from urllib.parse import quote

from generator.entry_links import WIKI_SCHEME
from generator.sources import outside_fences
from generator.value import Value, frozen

_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
_WIKI = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_TAG = re.compile(r"(?:(?<=\s)|^)#([^\W\d_][\w/-]*|\d+[^\W\d][\w/-]*)")
_HASH_WORD = re.compile(r"#\w")
_TWO_BRACKETS = re.compile(r"\[\[")
_TWO_COLONS = re.compile("::")
"""'[[' and '::' found as patterns: 2.5x faster than `in` over a body without them."""
_FIELD = re.compile(r"[ \t]*([A-Za-z_][\w-]*)::[ \t]*(\S.*?)[ \t]*\Z")


@frozen
class Prepared(Value):
    """A body after the text pass, and what it said besides its text."""

    text: str
    tags: tuple[str, ...] = ()
    """Inline #tags, in order of first use."""
    fields: tuple[tuple[str, str, int], ...] = field(default=())
    """(key, value, 0-based line) of each `key:: value` line."""


def prepare(body: str, source_dir: str, assets: frozenset[str]) -> Prepared:
    """Rewrite wikilinks and embeds, collect inline tags and fields; lines keep their place."""
    if not _TWO_BRACKETS.search(body) and not _TWO_COLONS.search(body) \
            and ("#" not in body or not _HASH_WORD.search(body)):
        # Nothing to rewrite or collect (a tag is '#' and a word character; a heading's
        # '## ' is none): most bodies, skipped fast.
        return Prepared(body)
    lines = body.split("\n")
    tags: dict[str, None] = {}
    fields: list[tuple[str, str, int]] = []
    for number, line in outside_fences(body.split("\n")):
        if line.startswith(("    ", "\t")) and not line.lstrip().startswith(("-", "*", ">")):
            continue  # an indented code block (or a nested list line: left alone either way)
        pair = _FIELD.match(line) if "::" in line else None
        if pair:
            fields.append((pair.group(1), pair.group(2), number))
        if "[[" in line or "#" in line:  # else _rewrite has nothing to do
            lines[number] = outside_code(line, lambda text: _rewrite(text, source_dir, assets,
                                                                     tags))
    return Prepared("\n".join(lines), tuple(tags), tuple(fields))


def outside_code(line: str, change: Callable[[str], str]) -> str:
    """The line with `change` applied to each stretch outside `code spans`."""
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(line):
        out += [change(line[last:span.start()]), span.group(0)]
        last = span.end()
    out.append(change(line[last:]))
    return "".join(out)


def _rewrite(text: str, source_dir: str, assets: frozenset[str], tags: dict[str, None]) -> str:
    for tag in _TAG.findall(_WIKI.sub(" ", text)):
        tags.setdefault(tag.rstrip("/"), None)

    def link(match: re.Match[str]) -> str:
        embed, inner = match.group(1), match.group(2)
        target, _, alias = inner.partition("|")
        target = target.strip()
        name, _, heading = target.partition("#")
        if embed:
            asset = find_asset(name.strip(), source_dir, assets)
            if asset is not None or "." in posixpath.basename(name):
                path = asset if asset is not None else name.strip()
                relative = posixpath.relpath(path, source_dir or ".")
                alt = alias.strip() if alias.strip() and not alias.strip().isdigit() else \
                    posixpath.basename(name.strip())
                return f"![{_escape(alt)}](<{quote(relative)}>)"
        shown = alias.strip() or (f"{name.strip()} › {heading.strip()}" if heading and name
                                  else heading.strip() or name.strip())
        address = WIKI_SCHEME + quote(name.strip(), safe="/") + (
            "#" + quote(heading.strip(), safe="") if heading.strip() else "")
        return f"[{_escape(shown)}](<{address}>)"

    return _WIKI.sub(link, text)


def _escape(text: str) -> str:
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)


def find_asset(name: str, source_dir: str, assets: frozenset[str]) -> str | None:
    """An attachment by path (from the note's folder or content/) or, as Obsidian does,
    by file name anywhere in the vault (the first by path when several share it)."""
    for candidate in (posixpath.normpath(posixpath.join(source_dir, name)),
                      posixpath.normpath(name)):
        if candidate in assets:
            return candidate
    matches = sorted(a for a in assets if posixpath.basename(a) == posixpath.basename(name))
    return matches[0] if matches else None


_QUOTE_TAG = re.compile(r"<(/?)blockquote>")
_CALLOUT_HEAD = re.compile(r"<blockquote>\n<p>\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*([^\n]*?)"
                           r"(\n|</p>\n)")


def callouts(body_html: str) -> str:
    """`> [!question] Title` blockquotes become `<aside class="callout callout-question">`,
    with the title (or the type, capitalised) as its first line."""
    if "[!" not in body_html:
        return body_html
    out: list[str] = []
    stack: list[bool] = []
    last = 0
    for tag in _QUOTE_TAG.finditer(body_html):
        out.append(body_html[last:tag.start()])
        last = tag.end()
        if tag.group(1):
            out.append("</aside>" if stack and stack.pop() else "</blockquote>")
            continue
        head = _CALLOUT_HEAD.match(body_html, tag.start())
        if head is None:
            stack.append(False)
            out.append("<blockquote>")
            continue
        stack.append(True)
        kind = head.group(1).lower()
        title = head.group(3).strip() or html.escape(kind.capitalize())
        opened = "<p>" if head.group(4) == "\n" else ""
        out.append(f'<aside class="callout callout-{kind}" role="note">\n'
                   f'<p class="callout-title">{title}</p>\n{opened}')
        last = head.end()
    out.append(body_html[last:])
    return "".join(out)
