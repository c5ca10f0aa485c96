"""`{% cache key, ... %}…{% endcache %}`: render a template fragment once per key.

List pages (timeline, lessons, actions, tag pages) show one row per entry. When `serve`
renders such a page again after one entry changed, every other row is the same as last
time; a row wrapped in `{% cache entry %}` is rendered once and then reused while its
key is equal. The key must hold everything the fragment shows besides the globals
(`url`, `config`, `stages`): a fragment store belongs to one Jinja environment, which
is made for one theme, URLs and config (render.Renderer).

Each `{% cache %}` tag has its own keys (a number given to the tag when its template is
compiled is part of the key), so two fragments keyed on the same entry never mix.

A long list is cached in chunks as well as per row (`{% for chunk in rows|chunks %}{% cache
chunk %}…`): after one row changed, only its chunk is put together again, from cached rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from jinja2 import nodes
from jinja2.environment import Environment
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

Key = tuple[Hashable, ...]
EVERYTHING = frozenset({"*"})
"""The reads of what was rendered unnoted (page_reads.EVERYTHING)."""
T = TypeVar("T")
CHUNK = 50


def chunks(items: Sequence[T], size: int = CHUNK) -> list[tuple[T, ...]]:
    """The `chunks` filter: items in runs of `size`, as tuples (usable as cache keys)."""
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


class FragmentStore:
    """Rendered fragments by key, holding exactly those that the pages as last rendered use.

    render_site tells it which page it renders (`begin_page`/`end_page`); each page then
    owns the fragments it looked up at its top level, and each fragment owns those looked
    up while it was rendered (a chunk that is reused still owns its rows, for when the
    chunk is put together again). A fragment that nothing owns any more (its entry was
    edited: its key changed) is dropped, so a long `serve` session holds one version of
    each fragment, not one per save. Owners are counted, so a page that reuses a chunk
    costs one count, not one per row inside it (serve renders a dozen list pages of a
    thousand rows on every save).
    """

    def __init__(self) -> None:
        self.fragments: dict[Key, _Fragment] = {}
        self._by_id: dict[int, _Fragment] = {}
        self._ids = itertools.count()
        self._pages: dict[str, frozenset[int]] = {}
        self._page: set[int] | None = None
        self._open: list[list[int]] = []
        """Fragments looked up inside each fragment being rendered, innermost last."""
        self.noting = False
        """Whether its environment notes what templates read of entries (page_reads.py)."""
        self.reads: set[str] | None = None
        """What the page or fragment being rendered read of entries, while noting."""
        self.page_reads: dict[str, frozenset[str]] = {}
        """What each page rendered since `clear_reads` read of entries, by path."""

    def begin_page(self) -> None:
        self._page, self._open = set(), []
        self.reads = set() if self.noting else None

    def clear_reads(self) -> None:
        self.page_reads = {}

    def end_page(self, path: str) -> None:
        """The page at `path` now owns what it looked up since `begin_page`."""
        # (Less any a failing fragment dropped with what it made: the page fails too.)
        used = frozenset(i for i in self._page or () if i in self._by_id)
        self._page = None
        if self.reads is not None:
            self.page_reads[path] = frozenset(self.reads)
            self.reads = None
        old = self._pages.get(path, frozenset())
        self._pages[path] = used
        for ident in used - old:
            self._by_id[ident].owners += 1
        self._release(old - used)

    def keep_pages(self, paths: set[str]) -> None:
        """Pages not in `paths` are gone: their fragments go with them."""
        for path in [p for p in self._pages if p not in paths]:
            self._release(self._pages.pop(path))
        self.page_reads = {p: r for p, r in self.page_reads.items() if p in paths}

    def _release(self, idents: Iterable[int]) -> None:
        """One owner fewer for each; a fragment left with none goes, and so do its own."""
        todo = list(idents)
        while todo:
            fragment = self._by_id.get(todo.pop())
            if fragment is None:
                continue
            fragment.owners -= 1
            if fragment.owners <= 0:
                del self._by_id[fragment.ident], self.fragments[fragment.key]
                todo.extend(fragment.nested)

    def get(self, key: Key, render: Callable[[], str]) -> Markup:
        fragment = self.fragments.get(key)
        outer = self.reads
        if fragment is None:
            self._open.append([])
            if self.noting:  # what this fragment reads, whichever page it is reused on
                self.reads = set()
            try:
                markup = Markup(render())
            except BaseException:
                # What it made on the way is owned by nothing: dropped.
                for ident in self._open.pop():
                    made = self._by_id.get(ident)
                    if made is not None and made.owners == 0:
                        made.owners = 1
                        self._release((ident,))
                raise
            finally:
                reads, self.reads = self.reads, outer
            nested = tuple(dict.fromkeys(self._open.pop()))
            # Rendered outside a page, its reads went unnoted: as if it read everything.
            fragment = _Fragment(next(self._ids), key, markup, nested,
                                 frozenset(reads) if outer is not None and reads is not None
                                 else EVERYTHING)
            for ident in nested:
                self._by_id[ident].owners += 1
            self.fragments[key] = self._by_id[fragment.ident] = fragment
        if outer is not None:
            outer |= fragment.reads
        if self._open:
            self._open[-1].append(fragment.ident)
        elif self._page is not None:
            self._page.add(fragment.ident)
        return fragment.markup


@dataclass(slots=True, eq=False, repr=False)
class _Fragment:
    """One `{% cache %}` fragment as rendered, with what it owns and read."""

    ident: int
    key: Key
    markup: Markup
    nested: tuple[int, ...]
    """The fragments looked up while this one was rendered: it owns them."""
    reads: frozenset[str]
    """What it read of entries, those inside it included (page_reads.py)."""
    owners: int = 0
    """Pages that looked it up at their top level, and fragments that hold it."""


class FragmentCache(Extension):
    """The `cache` tag; fragments go to `environment.fragment_store`."""

    tags = {"cache"}

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(fragment_store=FragmentStore())
        environment.filters["chunks"] = chunks
        self._tags = itertools.count()

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        tag = f"{parser.name}:{lineno}:{next(self._tags)}"
        parts: list[nodes.Expr] = [nodes.Const(tag)]
        parts.append(parser.parse_expression())
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        key = nodes.Tuple(parts, "load")
        call = self.call_method("_fragment", [key])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, key: Key, caller: Callable[[], str]) -> Markup:
        store: FragmentStore = self.environment.fragment_store  # type: ignore[attr-defined]
        return store.get(key, caller)
