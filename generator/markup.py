"""Markdown → HTML for entry bodies: markdown-it-py (CommonMark) configured once.

Relative links and images are resolved against the entry's folder in content/; those
that point at an attachment are rewritten to where the attachment is published.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    html: str
    text: str
    summary: str
    broken_links: tuple[tuple[int, str], ...] = field(default=())
    """(line in the body, target) of relative links to files that do not exist."""


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What a body's relative links resolve against."""

    source_dir: str
    """The entry's folder inside content/, POSIX, '' at the top."""
    assets: frozenset[str]
    """Attachment paths inside content/, POSIX."""
    asset_href: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """Published href of each attachment, relative to the entry page."""


@cache
def _parser(unsafe_html: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": unsafe_html, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin).use(anchors_plugin, min_level=2, max_level=3)
    md.core.ruler.push("growthlog_links", _rewrite_links)
    return md


def render_markdown(text: str, links: LinkContext, *,
                    unsafe_html: bool = False) -> RenderedMarkdown:
    """Render an entry body; collect its plain text and a one-paragraph summary."""
    env: dict[str, object] = {"links": links, "broken": []}
    md = _parser(unsafe_html)
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    words = [t.content for t in tokens if t.type == "inline"]
    summary = next((t.content for i, t in enumerate(tokens)
                    if t.type == "inline" and i and tokens[i - 1].type == "paragraph_open"), "")
    broken = env["broken"]
    assert isinstance(broken, list)
    return RenderedMarkdown(html, "\n".join(words), _plain(summary), tuple(broken))


def _plain(markdown_inline: str, limit: int = 220) -> str:
    text = " ".join(markdown_inline.replace("*", "").replace("_", " ").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _rewrite_links(state: StateCore) -> None:
    links = state.env["links"]
    for block in state.tokens:
        for token in block.children or ():
            attr = "href" if token.type == "link_open" else "src" if token.type == "image" else ""
            if attr:
                _rewrite(token, attr, links, state.env["broken"], block)


def _rewrite(token: Token, attr: str, links: LinkContext, broken: list[tuple[int, str]],
             block: Token) -> None:
    target = str(token.attrGet(attr) or "")
    parts = urlsplit(target)
    if not target or parts.scheme or parts.netloc or target.startswith(("/", "#")):
        return
    path = posixpath.normpath(posixpath.join(links.source_dir, unquote(parts.path)))
    if path in links.assets:
        href = links.asset_href.get(path, path)
        token.attrSet(attr, href + (f"#{parts.fragment}" if parts.fragment else ""))
    elif not path.endswith(".md"):
        line = block.map[0] + 1 if block.map else 0
        broken.append((line, target))
