"""Markdown → HTML for entry bodies: CommonMark with tables, strikethrough, task lists in
labels, footnotes and heading ids on levels 2-3.

Two renderers give the same bytes. markdown-it-py with mdit-py-plugins is the reference;
markdown-it-pyrs (markdown-it in Rust, about ten times faster) renders the usual body, and
what it lacks (disabled checkboxes in labels, heading ids, footnote layout) is done on
its tree and HTML in `_render_rs`. A body with a construct the Rust port renders
differently (`_rs_differs`, `_render_rs` returning None), or a log with `unsafe_html`, goes
to the reference. tests/test_markup_renderers.py holds the two to the same result.

Links and images are classified in one place, `_link`, for both: relative targets are
resolved against the entry's folder in content/ (any spelling: percent-encoded, with a
query or a fragment); an attachment gets its final href from Urls (opaque in private
mode), fragment kept; a link to an entry file or a [[wikilink]] (notes.py) gets an address
entry_links.py resolves once every entry is read; any other relative target is broken.
"""

from __future__ import annotations

import bisect
import html as html_lib
import posixpath
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from generator.entry_links import WIKI_SCHEME, entry_address, is_dated_address, site_address
from generator.inline_text import plain_inline
from generator.sources import is_entry_name
from generator.urls import Urls, media_path
from generator.value import Value, frozen

if TYPE_CHECKING:  # both load on the first render: a no-op cached build needs neither
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it_pyrs import MarkdownIt as FastMarkdownIt
    from markdown_it_pyrs import Node
    from markdown_it_pyrs.markdown_it_pyrs import _PLUGIN_NAME


@frozen
class RenderedMarkdown(Value):
    """An entry body rendered: its HTML, plain text, summary and what it links to."""

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


@frozen
class LinkContext(Value):
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


class Markdown:
    """Renders entry bodies with the configured parsers, each made on first use: one per
    build (its Markdown cache's, or read_entries'), passed to whatever renders a body, so
    no parser lives in the module."""

    __slots__ = ("_py", "_rs")

    def __init__(self) -> None:
        self._rs: FastMarkdownIt | None = None
        self._py: dict[bool, MarkdownIt] = {}

    def __call__(self, text: str, links: LinkContext, *,
                 unsafe_html: bool = False) -> RenderedMarkdown:
        """Render an entry body; collect its plain text and a one-paragraph summary."""
        rendered = None if unsafe_html else _fast(text, links, self.rs())
        if rendered is not None:
            return rendered
        return _render_py(text, links, self.py(unsafe_html))

    def rs(self) -> FastMarkdownIt:
        if self._rs is None:
            self._rs = _parser_rs()
        return self._rs

    def py(self, unsafe_html: bool) -> MarkdownIt:
        parser = self._py.get(unsafe_html)
        if parser is None:
            parser = self._py[unsafe_html] = _parser_py(unsafe_html)
        return parser


def render_markdown(text: str, links: LinkContext, *, unsafe_html: bool = False,
                    markdown: Markdown | None = None) -> RenderedMarkdown:
    """Render an entry body with `markdown`'s parsers (None: parsers made for this one)."""
    return (markdown if markdown is not None else Markdown())(text, links,
                                                               unsafe_html=unsafe_html)


def _plain(markdown_inline: str, limit: int = 220) -> str:
    text = plain_inline(markdown_inline)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- links and images, for both renderers -------------------------------------------


@dataclass(slots=True, eq=False, repr=False)
class _Found:
    """What a body's links point at, in the order the reference renderer meets them."""

    broken: list[tuple[int, str]] = field(default_factory=list)
    attachments: dict[str, None] = field(default_factory=dict)
    entry_links: list[tuple[int, str, str]] = field(default_factory=list)


def _link(attr: str, target: str, line: int, links: LinkContext, found: _Found) -> str | None:
    """The value to write for a link's href or an image's src (None: as it is), noting
    what it points at; `line`: the line in the body of the paragraph it is in."""
    if attr == "href" and target.startswith(WIKI_SCHEME):
        found.entry_links.append((line, target, unquote(target[len(WIKI_SCHEME):])))
        return None
    href = _resolve(target, links, found)
    if href is not None:
        return href
    if attr == "href" and is_dated_address(target):
        address = site_address(target)  # an old blog's address of a post (entry_links.py)
        found.entry_links.append((line, address, target))
        return address
    if not _is_relative(target):
        return None
    parts = urlsplit(target)
    if not is_entry_name(parts.path):
        found.broken.append((line, target))
        return None
    if attr != "href":
        return None
    # resolved once every entry is read (entry_links.py)
    path = posixpath.normpath(posixpath.join(links.source_dir, unquote(parts.path)))
    address = entry_address(path, unquote(parts.fragment))
    found.entry_links.append((line, address, target))
    return address


def _is_relative(target: str) -> bool:
    parts = urlsplit(target)
    return bool(target) and not (parts.scheme or parts.netloc or target.startswith(("/", "#")))


def _resolve(target: str, links: LinkContext, found: _Found) -> str | None:
    """The final href of a relative link to an attachment (any spelling), or of a
    site-absolute one to a file in content/ (Jekyll's /assets/x.png); None otherwise."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//"):
        path = posixpath.normpath(unquote(parts.path).lstrip("/"))
    elif _is_relative(target):
        path = posixpath.normpath(posixpath.join(links.source_dir, unquote(parts.path)))
    else:
        return None
    if path not in links.assets:
        return None
    found.attachments[path] = None
    return links.urls.href(media_path(path), query=parts.query, fragment=parts.fragment)


def _rendered(html: str, words: list[str], summary: str, found: _Found) -> RenderedMarkdown:
    return RenderedMarkdown(html, "\n".join(words), _plain(summary), tuple(found.broken),
                            tuple(found.attachments), tuple(found.entry_links))


# --- markdown-it-py: the reference ---------------------------------------------------


def _parser_py(unsafe_html: bool) -> MarkdownIt:
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


def _render_py(text: str, links: LinkContext, md: MarkdownIt) -> RenderedMarkdown:
    found = _Found()
    env: dict[str, object] = {"links": links, "found": found}
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    words = [t.content for t in tokens if t.type == "inline"]
    summary = next((t.content for i, t in enumerate(tokens)
                    if t.type == "inline" and i and tokens[i - 1].type == "paragraph_open"), "")
    return _rendered(html, words, summary, found)


# An attribute that holds a URL in raw HTML (unsafe_html): <img src=…>, <a href=…>, …
_RAW_URL = re.compile(r"""(?P<name>\s(?:src|href|poster|data)\s*=\s*)"""
                      r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+))""", re.I)


def _rewrite_links(state: StateCore) -> None:
    links, found = state.env["links"], state.env["found"]
    for block in state.tokens:
        if block.type == "html_block":
            block.content = _rewrite_raw(block.content, links, found)
        for token in block.children or ():
            attr = "href" if token.type == "link_open" else "src" if token.type == "image" else ""
            if attr:
                line = block.map[0] + 1 if block.map else 0
                value = _link(attr, str(token.attrGet(attr) or ""), line, links, found)
                if value is not None:
                    token.attrSet(attr, value)
            elif token.type == "html_inline":
                token.content = _rewrite_raw(token.content, links, found)


def _rewrite_raw(raw: str, links: LinkContext, found: _Found) -> str:
    """Attachment URLs in raw HTML get their final href too (private mode: opaque)."""
    def one(match: re.Match[str]) -> str:
        value = next(v for v in match.group("dq", "sq", "bare") if v is not None)
        href = _resolve(html_lib.unescape(value), links, found)
        if href is None:
            return match.group(0)
        return f'{match.group("name")}"{html_lib.escape(href)}"'
    return _RAW_URL.sub(one, raw)


# --- markdown-it-pyrs: the fast path ---------------------------------------------------


def _fast(text: str, links: LinkContext, md: FastMarkdownIt) -> RenderedMarkdown | None:
    """The body rendered by markdown-it-pyrs; None if it would render it unlike
    markdown-it-py, or panics."""
    text = _normalised(text)
    if _rs_differs(text):
        return None
    try:
        return _render_rs(text, links, md)
    except BaseException as exc:  # a Rust panic is a BaseException (pyo3's PanicException)
        if type(exc).__name__ != "PanicException":
            raise
        return None


def _normalised(text: str) -> str:
    """Line breaks and NULs as markdown-it (either) reads them."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return text.replace("\0", "\ufffd") if "\0" in text else text


def _rs_differs(text: str) -> bool:
    """Whether the body has one of the rare constructs markdown-it-pyrs 0.4 renders unlike
    CommonMark and markdown-it-py (such a body goes to markdown-it-py): * or _ touching a
    non-ASCII symbol ('*£*' is not emphasis), a backslash line break (inside image alt
    text or a link title), a code span of only spaces, a footnote defined twice. And a
    line with an unmatched backtick run (a code span over two lines, which it spaces
    differently, or a '[' before it, which can make it panic), a task marker followed by
    a tab (markdown-it-py writes no checkbox there), a footnote right under a line of text
    (it reads the note as that text's continuation), a fence the body ends in without
    a line break (it adds one to the code), an empty list item (after a quote, it
    reads it as the quote's continuation), a table's delimiter row right under a quote,
    a list item or a footnote (it makes a table of it), and three or more tildes inside
    a line (it reads '~~a~~~~b~~' as one strikethrough)."""
    labels = _FOOTNOTE_DEF.findall(text) if "[^" in text else []
    lined = "\n" + text  # the scans below find a line by the line break before it
    return ("\\\n" in text or len(labels) != len(set(labels))
            or (bool(labels) and _FOOTNOTE_UNDER_TEXT.search(lined) is not None)
            or (not text.endswith("\n") and ("```" in text or "~~~" in text))
            or _EMPTY_ITEM.search(lined) is not None
            or ("-" in text and any("|" in m.group(0) for m in _ROW_UNDER_BLOCK.finditer(lined)))
            or ("~~~" in text and _TILDES_INSIDE.search(lined) is not None)
            or ("]" in text and _TODO_TAB.search(text) is not None)
            or (_SPACES_RUN.search(text) is not None and _SPACES_CODE.search(text) is not None)
            or ("`" in text and any(_unmatched_backticks(line) for line in text.split("\n")
                                    if "`" in line))
            or (not text.isascii() and any(
                unicodedata.category(m.group(1) or m.group(2)).startswith("S")
                for m in _MARK_BY_SYMBOL.finditer(text))))


def _unmatched_backticks(line: str) -> bool:
    if _FENCE.match(line):
        return False
    if "``" not in line and "\\`" not in line:  # single backticks only: the usual line
        return line.count("`") % 2 == 1
    runs = Counter(len(run) for run in _BACKTICKS.findall(line))
    return any(count % 2 for count in runs.values())


_RS_RULES: tuple[_PLUGIN_NAME, ...] = (
    "blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
    "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline", "table",
    "strikethrough", "tasklist", "footnote")
"""CommonMark without raw HTML, plus the plugins markdown-it-py is given."""
_INLINE_HOLDERS = frozenset(("paragraph", "heading", "lheading", "tcell"))
_BLOCKS = frozenset(("paragraph", "heading", "lheading", "bullet_list", "ordered_list",
                     "list_item", "blockquote", "hr", "fence", "code_block", "html_block",
                     "table", "thead", "tbody", "trow", "tcell", "footnote_container",
                     "footnote_def", "definition", "root"))
_KNOWN = _BLOCKS | {"text", "text_special", "softbreak", "hardbreak", "em", "strong",
                    "strikethrough", "code_inline", "link", "image", "autolink", "footnote_ref",
                    "footnote_ref_anchor", "todo_checkbox"}
_ANCHOR_LEVELS = (2, 3)
# The Rust tasklist writes enabled checkboxes, and no label around the item's text.
_CHECKBOX = re.compile(r'<input class="task-list-item-checkbox" type="checkbox"( checked="")? />')
# Where a task's text ends in a tight item: the item's end, or a block inside it. A
# block tag can only open a line there, as raw HTML is escaped.
_TASK_END = re.compile(r"</li>|\n<(?:ul|ol|p|blockquote|pre|h[1-6]|hr|table|div|section)[ >/]")
_FOOTNOTE_ITEM = re.compile(r'(<li id="fn\d+" class="footnote-item">)\n')
_HEADING = re.compile(r"<h([23])>")
_URL_ATTR = re.compile(r' (href|src)="([^"]*)"')
_MARK_BY_SYMBOL = re.compile(r"[*_]([^\x00-\x7f])|([^\x00-\x7f])[*_]")
_FOOTNOTE_DEF = re.compile(r"^[ >]*\[\^([^\]]+)\]:", re.MULTILINE)
# These four match in "\n" + text, each from the line break before the line they find.
_ROW_UNDER_BLOCK = re.compile(r"\n[ ]*(?:>|\[\^|[-+*](?:[ \t]|(?=\n))|\d{1,9}[.)](?:[ \t]|(?=\n)))"
                              r"[^\n]*\n[ ]{0,3}[|:-][ \t|:-]*(?=\n|\Z)")
_TILDES_INSIDE = re.compile(r"\n(?![ >]*~~~)[^\n]*~~~")
_EMPTY_ITEM = re.compile(r"\n[ >]*(?:[-+*]|\d{1,9}[.)])[ \t]*(?=\n|\Z)")
_FOOTNOTE_UNDER_TEXT = re.compile(r"\n[ >]*(?!\[\^[^\]]+\]:)[^ >\n][^\n]*\n[ >]*\[\^[^\]]+\]:")
_FENCE = re.compile(r"(?:[ ]{0,3}>)*[ ]{0,3}`{3,}[^`]*$")
_BACKTICKS = re.compile(r"(?<!\\)`+")
_SPACES_RUN = re.compile(r"` +`")
_SPACES_CODE = re.compile(r"(?<!`)(`+) +\1(?!`)")
_TASK_OL = re.compile(r'<ol class="contains-task-list" start="(\d+)">')
_NEWLINES = re.compile(r"\r\n?")
_TODO = re.compile(r"\[[ xX]\]")
_TODO_TAB = re.compile(r"\[[ xX]\][\t\v\f]")
_NOT_SLUG = re.compile(r"[^\w\- ]")


def _parser_rs() -> FastMarkdownIt:
    import markdown_it_pyrs

    return markdown_it_pyrs.MarkdownIt("zero").enable_many(list(_RS_RULES))


def _render_rs(text: str, links: LinkContext, md: FastMarkdownIt) -> RenderedMarkdown | None:
    """None when the tree shows something markdown-it-pyrs 0.4 renders unlike markdown-it-py:
    a footnote referred to twice (markdown-it-py numbers the second '1:1') or from a note,
    a task in a loose list (its checkbox goes inside the paragraph there), code right after
    a tight list item's text (`_code_after_text`), a table right
    under a blockquote, some URLs and alt texts (`_url_differs`), a node this code does not
    know."""
    text = _normalised(text)
    tree = md.tree(text)
    source = text.encode("utf-8")
    words: list[str] = []
    summary: str | None = None
    slugs: list[str] = []
    taken: set[str] = set()
    targets: list[tuple[int, str, str]] = []
    """(offset in the source, attribute, target) of links and images."""
    refs: list[object] = []
    lines = text.split("\n")
    image: tuple[int, int] = (-1, -1)
    for node in tree.walk():
        name = node.name
        if name not in _KNOWN:
            return None
        if name in ("text", "softbreak", "em", "strong", "code_inline", "paragraph"):
            continue
        if name in ("link", "image", "autolink"):
            span = node.srcmap
            if _url_differs(node, name):
                return None
            if span is None or not image[0] <= span[0] < image[1]:
                targets.append((span[0] if span else 0, "src" if name == "image" else "href",
                                str(node.meta["url"])))
                if name == "image" and span is not None:
                    image = span  # links in its alt text are not links
        elif name == "list_item" and _code_after_text(node):
            return None
        elif name == "footnote_ref":
            meta = node.meta
            if meta.get("def_id") in refs or meta.get("ref_id") != len(refs) + 1:
                return None  # the second numbered '1:1', or a reference counted twice
            refs.append(meta.get("def_id"))
        elif name == "table" and node.srcmap is not None:
            first = source.count(b"\n", 0, node.srcmap[0])
            if first and lines[first - 1].strip() and ">" in text:
                return None  # markdown-it-py may read it as a blockquote's lazy continuation
        elif name == "footnote_def" and node.srcmap is not None and b"[^" in source[
                node.srcmap[0] + 2:node.srcmap[1]]:
            return None  # a note that refers to a note
    starts: list[tuple[int, int]] = []
    counted = (0, 1)  # (an offset, its line): runs come in order, so count on from there
    for kind, node, children, quotes in _inline_runs(tree):
        if kind == "todo" and len(children) == 1:
            return None
        content, start = _raw(source, node, children, quotes)
        if kind == "todo":
            content = _TODO.sub("", content, count=1)
        elif kind == "tcell":
            content = content.replace("\\|", "|")
        words.append(content)
        if summary is None and kind in ("item", "todo"):
            summary = content
        if kind == "heading" and node.meta.get("level") in _ANCHOR_LEVELS:
            slugs.append(_unique(_slugify(_title(children)), taken))
        if start >= 0 and targets:
            since = counted if counted[0] <= start else (0, 1)
            counted = (start, since[1] + source.count(b"\n", since[0], start))
            starts.append(counted)
        elif start >= 0:
            starts.append((start, 0))
    starts.sort()
    html = _tasks_in_labels(md.render(text))
    html = _TASK_OL.sub(r'<ol start="\1" class="contains-task-list">', html)
    html = _FOOTNOTE_ITEM.sub(r"\1", html).replace("<blockquote>\n</blockquote>",
                                                   "<blockquote></blockquote>")
    ids = iter(slugs)
    html = _HEADING.sub(lambda m: f'<h{m.group(1)} id="{next(ids)}">', html)
    found = _Found()
    rewrite: dict[tuple[str, str], str] = {}
    for offset, attr, target in targets:
        at = bisect.bisect_right(starts, (offset, 1 << 62)) - 1
        value = _link(attr, target, starts[at][1] if at >= 0 else 0, links, found)
        if value is not None:
            rewrite[attr, target] = value
    if rewrite:
        html = _URL_ATTR.sub(lambda m: _rewritten(m, rewrite), html)
    return _rendered(html, words, summary or "", found)


def _code_after_text(item: Node) -> bool:
    """A tight list item whose text a code block follows: markdown-it-py writes no line
    break between them, markdown-it-pyrs does."""
    return any(after.name in ("fence", "code_block") and before.name not in _BLOCKS
               for before, after in pairwise(item.children))


def _tasks_in_labels(html: str) -> str:
    """Each task's checkbox disabled, and it and the task's text in a <label>, as
    markdown-it-py's tasklists plugin writes them with label=True."""
    out: list[str] = []
    last = 0
    for box in _CHECKBOX.finditer(html):
        end = _TASK_END.search(html, box.end())
        stop = end.start() if end is not None else len(html)
        out += [html[last:box.start()], '<label><input class="task-list-item-checkbox" ',
                'checked="checked" ' if box.group(1) else "", 'disabled="disabled" ',
                'type="checkbox">', html[box.end():stop], "</label>"]
        last = stop
    out.append(html[last:])
    return "".join(out)


def _url_differs(node: Node, name: str) -> bool:
    """A URL markdown-it-pyrs 0.4 writes unlike markdown-it-py: a host in brackets (IPv6) or
    not in ASCII (markdown-it-py writes punycode), an autolink's text with %-escapes (it
    decodes them), or alt text with escapes or entities (it drops them)."""
    url = str(node.meta.get("url", ""))
    host = urlsplit(url).netloc if "//" in url else ""
    return (any(mark in host for mark in ("%", "[", "xn--"))
            or (name == "autolink" and "%" in url)
            or (name == "image" and any(n.name == "text_special" for n in node.walk())))


def _rewritten(match: re.Match[str], rewrite: dict[tuple[str, str], str]) -> str:
    value = rewrite.get((match.group(1), html_lib.unescape(match.group(2))))
    if value is None:
        return match.group(0)
    return f' {match.group(1)}="{html_lib.escape(value)}"'


Run = tuple[str, "Node", list["Node"], int]
"""(kind, holder, inline children, how many blockquotes it is in)."""


def _inline_runs(node: Node, quotes: int = 0) -> Iterator[Run]:
    """Inline runs in markdown-it-py's token order: paragraphs, headings, table cells and
    the text of tight list items ('item'); a task's text is 'todo'."""
    name = node.name  # (each read of a node's name makes a new str)
    if name in _INLINE_HOLDERS:
        children = list(node.children)
        kind = "heading" if name in ("heading", "lheading") else name
        yield (_item_kind(children) if kind == "paragraph" else kind), node, children, quotes
        return
    quotes += name == "blockquote"
    run: list[Node] = []
    for child in node.children:
        if child.name in _BLOCKS:
            if run:
                yield _item_kind(run), node, run, quotes
                run = []
            yield from _inline_runs(child, quotes)
        else:
            run.append(child)
    if run:
        yield _item_kind(run), node, run, quotes


def _item_kind(run: list[Node]) -> str:
    if run and run[0].name == "todo_checkbox":
        return "todo"
    return "item"


def _raw(source: bytes, holder: Node, children: list[Node], quotes: int) -> tuple[str, int]:
    """The Markdown of an inline run as markdown-it-py gives it (quote marks removed), and
    where it starts in the source (-1: nowhere)."""
    spans = [span for c in children if (span := c.srcmap) is not None]  # (made per call)
    if not spans:
        return "", -1
    end = max([end for _, end in spans])
    if holder.srcmap is not None:
        end = min(end, holder.srcmap[1])
    lines = source[spans[0][0]:end].decode("utf-8").split("\n")
    if len(lines) == 1:
        return lines[0].strip(), spans[0][0]
    return "\n".join([lines[0], *(_unquoted(line, quotes) for line in lines[1:])]).strip(), \
        spans[0][0]


def _unquoted(line: str, quotes: int) -> str:
    line = line.lstrip()
    for _ in range(quotes):
        if not line.startswith(">"):
            break
        line = line[1:].lstrip()
    return line


def _title(children: list[Node]) -> str:
    """A heading's text as markdown-it-py's anchors plugin reads it (not image alt text)."""
    parts: list[str] = []
    for child in children:
        if child.name in ("text", "text_special"):
            parts.append(str(child.meta.get("content", "")))
        elif child.name != "image":
            parts.append(_title(list(child.children)) if child.name != "code_inline"
                         else "".join(str(c.meta.get("content", "")) for c in child.children))
    return "".join(parts)


def _slugify(title: str) -> str:
    """mdit-py-plugins' anchors slugify (not imported: that loads markdown-it-py): drops
    every character but word characters, '-', ' ' and the CJK block U+4E00-U+9FFF. Its
    pattern holds that block in its class, and compiling that builds a table of the
    block's 20,992 characters (1.2 ms, in every process that meets a heading): the block
    is kept by `_kept_cjk` instead."""
    return _NOT_SLUG.sub(_kept_cjk, title.lower().replace(" ", "-"))


def _kept_cjk(match: re.Match[str]) -> str:
    return match.group() if "\u4e00" <= match.group() <= "\u9fff" else ""


def _unique(slug: str, taken: set[str]) -> str:
    unique, n = slug, 1
    while unique in taken:
        unique, n = f"{slug}-{n}", n + 1
    taken.add(unique)
    return unique
