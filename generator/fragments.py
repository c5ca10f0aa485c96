"""`{% cache key, ... %}…{% endcache %}`: render a template fragment once per key.

List pages (timeline, lessons, actions, tag pages) show one row per entry. When `serve`
renders such a page again after one entry changed, every other row is the same as last
time; a row wrapped in `{% cache entry %}` is rendered once and then reused while its
key is equal. The key must hold everything the fragment shows besides the globals
(`url`, `config`, `stages`): a fragment store lives as long as those stay the same
(render.RenderCache drops it when they change).

Each `{% cache %}` tag has its own keys (a number given to the tag when its template is
compiled is part of the key), so two fragments keyed on the same entry never mix.

A long list is cached in chunks as well as per row (`{% for chunk in rows|chunks %}{% cache
chunk %}…`): after one row changed, only its chunk is put together again, from cached rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from jinja2 import nodes
from jinja2.environment import Environment
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

Key = tuple[Hashable, ...]
T = TypeVar("T")
CHUNK = 50


def chunks(items: Sequence[T], size: int = CHUNK) -> list[tuple[T, ...]]:
    """The `chunks` filter: items in runs of `size`, as tuples (usable as cache keys)."""
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


class FragmentStore:
    """Rendered fragments by key. Grows by a few fragments per edited entry; once it holds
    twice as many as one render ever needed, it starts over (the next render fills it)."""

    def __init__(self) -> None:
        self.fragments: dict[Key, Markup] = {}
        self.used = 0
        """Fragments looked up since `start`."""
        self.limit = 0

    def start(self) -> None:
        """Call before rendering a batch of pages."""
        if len(self.fragments) > 2 * self.limit:
            self.fragments.clear()
        self.used = 0

    def finish(self) -> None:
        """Call after the batch: its size bounds how much the store keeps."""
        self.limit = max(self.limit, self.used, 256)

    def get(self, key: Key, render: Callable[[], str]) -> Markup:
        self.used += 1
        fragment = self.fragments.get(key)
        if fragment is None:
            fragment = self.fragments[key] = Markup(render())
        return fragment


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
