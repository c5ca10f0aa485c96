"""Markdown → HTML for entry bodies: markdown-it-py (CommonMark) configured once.

Relative links and images are resolved against the entry's folder in content/ (any
spelling: percent-encoded, with a query or a fragment); those that point at an attachment
get the attachment's final href from Urls (opaque in private mode), fragment kept.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from generator.entry_links import WIKI_SCHEME, entry_address
from generator.sources import is_entry_name
from generator.urls import Urls, media_path

if TYPE_CHECKING:  # markdown-it loads on the first render: a no-op cached build never needs it
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    html: str
    text: str
    summary: str
    broken_links: tuple[tuple[int, str], ...] = field(default=())
    """(line in the body, target) of relative links to files that do not exist."""
    attachments: tuple[str, ...] = field(default=())
    """Attachments (paths inside content/) the body links to or shows, in order, once each."""
    entry_links: tuple[tuple[int, str, str], ...] = field(default=())
    """(line in the body, address, target as written) of links to other entries: their
    href is an address entry_links.py resolves once every entry is read."""


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What a body's relative links resolve against."""

    source_dir: str
    """The entry's folder inside content/, POSIX, '' at the top."""
    assets: frozenset[str]
    """Attachment paths inside content/, POSIX."""
    urls: Urls = field(default_factory=Urls, hash=False)
    """Where attachments are published and under which names."""


class RenderMarkdown(Protocol):
    """render_markdown, or a cache in front of it."""

    def __call__(self, text: str, links: LinkContext, *,
                 unsafe_html: bool = False) -> RenderedMarkdown: ...


@cache
def _parser(unsafe_html: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = MarkdownIt("commonmark", {"html": unsafe_html, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin, label=True)
    md.use(anchors_plugin, min_level=2, max_level=3)
    md.core.ruler.push("growthlog_links", _rewrite_links)
    return md


def render_markdown(text: str, links: LinkContext, *,
                    unsafe_html: bool = False) -> RenderedMarkdown:
    """Render an entry body; collect its plain text and a one-paragraph summary."""
    env: dict[str, object] = {"links": links, "broken": [], "attachments": {},
                              "entry_links": []}
    md = _parser(unsafe_html)
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    words = [t.content for t in tokens if t.type == "inline"]
    summary = next((t.content for i, t in enumerate(tokens)
                    if t.type == "inline" and i and tokens[i - 1].type == "paragraph_open"), "")
    broken, attachments, entry_links = env["broken"], env["attachments"], env["entry_links"]
    assert isinstance(broken, list) and isinstance(attachments, dict)
    assert isinstance(entry_links, list)
    return RenderedMarkdown(html, "\n".join(words), _plain(summary), tuple(broken),
                            tuple(attachments), tuple(entry_links))


def _plain(markdown_inline: str, limit: int = 220) -> str:
    text = " ".join(markdown_inline.replace("*", "").replace("_", " ").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# An attribute that holds a URL in raw HTML (unsafe_html): <img src=…>, <a href=…>, …
_RAW_URL = re.compile(r"""(?P<name>\s(?:src|href|poster|data)\s*=\s*)"""
                      r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+))""", re.I)


def _rewrite_links(state: StateCore) -> None:
    links, env = state.env["links"], state.env
    for block in state.tokens:
        if block.type == "html_block":
            block.content = _rewrite_raw(block.content, links, env)
        for token in block.children or ():
            attr = "href" if token.type == "link_open" else "src" if token.type == "image" else ""
            if attr:
                target = str(token.attrGet(attr) or "")
                line = block.map[0] + 1 if block.map else 0
                if attr == "href" and target.startswith(WIKI_SCHEME):
                    env["entry_links"].append((line, target,
                                               unquote(target[len(WIKI_SCHEME):])))
                    continue
                href = _resolve(target, links, env)
                if href is not None:
                    token.attrSet(attr, href)
                elif _is_relative(target) and is_entry_name(urlsplit(target).path):
                    if attr == "href":  # resolved once every entry is read (entry_links.py)
                        parts = urlsplit(target)
                        path = posixpath.normpath(posixpath.join(links.source_dir,
                                                                 unquote(parts.path)))
                        address = entry_address(path, unquote(parts.fragment))
                        token.attrSet(attr, address)
                        env["entry_links"].append((line, address, target))
                elif _is_relative(target):
                    env["broken"].append((line, target))
            elif token.type == "html_inline":
                token.content = _rewrite_raw(token.content, links, env)


def _is_relative(target: str) -> bool:
    parts = urlsplit(target)
    return bool(target) and not (parts.scheme or parts.netloc or target.startswith(("/", "#")))


def _resolve(target: str, links: LinkContext, env: MutableMapping[str, Any]) -> str | None:
    """The final href of a relative link to an attachment (any spelling); None otherwise."""
    if not _is_relative(target):
        return None
    parts = urlsplit(target)
    path = posixpath.normpath(posixpath.join(links.source_dir, unquote(parts.path)))
    if path not in links.assets:
        return None
    env["attachments"][path] = None
    return links.urls.href(media_path(path), query=parts.query, fragment=parts.fragment)


def _rewrite_raw(raw: str, links: LinkContext, env: MutableMapping[str, Any]) -> str:
    """Attachment URLs in raw HTML get their final href too (private mode: opaque)."""
    def one(match: re.Match[str]) -> str:
        value = next(v for v in match.group("dq", "sq", "bare") if v is not None)
        href = _resolve(html.unescape(value), links, env)
        if href is None:
            return match.group(0)
        return f'{match.group("name")}"{html.escape(href)}"'
    return _RAW_URL.sub(one, raw)
