"""What a page read of the entries it shows, and whether a new plan changes any of it.

A save in `serve` changes one entry: every page whose plan holds that entry is planned
anew, but most of them show none of what changed (a body edit changes no timeline row).
While a page is rendered, this environment notes the name of every attribute its
templates read of an Entry (`entry.title`, `entry.date`; `url(entry)` reads its slug);
a page whose new plan differs from the last one only in entries whose read attributes
are equal shows the same bytes, and is not rendered again.

What a template reads is noted where it is read: Jinja looks up each attribute through
the environment (`getattr`, `getitem`) and makes each call through the context. An Entry
that reaches any other code (a filter or a function that is not known to read nothing of
it, a method of something holding entries) counts as all of it read: that page is
compared as a whole, as every page is without this. So is every page of a log whose own
templates override growthlog's: those could print an entry whole (`{{ entry }}`), which
no hook sees, so only growthlog's own templates, which never do, are trusted to be seen
(render._growthlogs_own: shipped ones, or a byte-for-byte copy of them in the log).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from itertools import compress
from operator import is_not
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.runtime
from jinja2.utils import Cycler, Joiner, Namespace, internalcode

from generator.model import Entry

EVERYTHING = "*"
"""Read of an entry when it reached code that may read any of it."""

QUIET_FILTERS = frozenset({
    "length", "count", "chunks", "first", "last", "list", "batch", "slice", "reverse",
    "default", "d", "map", "select", "reject", "selectattr", "rejectattr", "sort", "groupby",
    "sum", "min", "max", "unique", "attr", "shortdate", "longdate"})
"""Filters that observe an entry only through the environment's getattr and getitem (an
attribute named to map, sort or select) or not at all (its place in a list)."""

_PLAIN = (str, int, float, dt.date, Cycler, Joiner, Namespace, jinja2.runtime.LoopContext)
_QUIET_OWNERS = (*_PLAIN, jinja2.ext.Extension)
"""Objects whose methods read nothing of an entry given to them (a string's, the `cache`
tag's)."""


def _reads(env: jinja2.Environment) -> set[str] | None:
    """Where the page or fragment being rendered notes its reads (fragments.FragmentStore);
    None when nothing is being noted."""
    reads: set[str] | None = env.fragment_store.reads  # type: ignore[attr-defined]
    return reads


def _shows_entry(value: Any) -> bool:
    """Whether code given `value` may see an Entry in it: an entry, or a list, mapping or
    model object holding one; and anything else but plain values (a generator, say),
    which cannot be looked into without using it up."""
    if value is None or isinstance(value, _LEAVES):
        return False
    if type(value) is Entry:
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(map(_shows_entry, value))
    if isinstance(value, dict):
        return any(map(_shows_entry, value)) or any(map(_shows_entry, value.values()))
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return any(_shows_entry(getattr(value, name)) for name in fields)
    return True


_LEAVES = (str, int, float, dt.date, jinja2.Undefined, jinja2.runtime.Context,
           jinja2.nodes.EvalContext, jinja2.Environment)
"""Values that hold no entry, or that a filter gets besides its arguments (Jinja's)."""


class ReadingContext(jinja2.runtime.Context):
    """Notes what each call a template makes can read of an entry."""

    @internalcode
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's
        env = __self.environment
        reads = env.fragment_store.reads  # type: ignore[attr-defined]
        if reads is not None and not isinstance(__obj, jinja2.runtime.Macro):
            if __obj is env.globals.get("url"):  # (the commonest call: tried first)
                if args and type(args[0]) is Entry:
                    reads.add("slug")  # urls.entry_path: its slug only
            elif not isinstance(getattr(__obj, "__self__", None), _QUIET_OWNERS) \
                    and _shows_entry((*args, *kwargs.values(), getattr(__obj, "__self__", None))):
                reads.add(EVERYTHING)
        return jinja2.runtime.Context.call(__self, __obj, *args, **kwargs)


class ReadingEnvironment(jinja2.Environment):
    """A Jinja environment that notes the attributes templates read of each Entry."""

    context_class = ReadingContext

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Entry:
            reads = self.fragment_store.reads  # type: ignore[attr-defined]
            if reads is not None:
                reads.add(attribute)
            try:  # Jinja's own first step, without a call more (the commonest lookup)
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return jinja2.Environment.getattr(self, obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is Entry:
            reads = _reads(self)
            if reads is not None:
                reads.add(argument if isinstance(argument, str) else EVERYTHING)
        return jinja2.Environment.getitem(self, obj, argument)

    def watch_filters(self) -> None:
        """Every filter not known to be quiet counts an entry it gets as read whole."""
        for name, function in list(self.filters.items()):
            if name not in QUIET_FILTERS:
                self.filters[name] = self._watched(function)

    def _watched(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment mark
        def watched(*args: Any, **kwargs: Any) -> Any:
            reads = _reads(self)
            if reads is not None and _shows_entry((*args, *kwargs.values())):
                reads.add(EVERYTHING)
            return function(*args, **kwargs)

        return watched


_MISSING = object()


def same_view(old: object, new: object, reads: frozenset[str]) -> bool:
    """Whether `new` shows the same as `old` to a page that read `reads` of each entry:
    equal, but with two entries of the same source equal when those attributes are."""
    if old is new:
        return True
    kind = type(old)
    if kind is not type(new):
        return False
    if kind is not Entry and old == new:  # most of a plan: new objects, equal ones
        return True
    if kind is Entry:
        return all(getattr(old, name, _MISSING) == getattr(new, name, _MISSING)
                   for name in ("source", *reads))
    if kind is tuple or kind is list:
        assert isinstance(old, tuple | list) and isinstance(new, tuple | list)
        # The items that are not the very same object, found without a Python loop: a
        # list page's thousand rows are the same but for the saved entry's.
        return len(old) == len(new) and all(
            same_view(old[i], new[i], reads)
            for i in compress(range(len(old)), map(is_not, old, new)))
    if kind is dict:
        assert isinstance(old, dict) and isinstance(new, dict)
        return old.keys() == new.keys() and all(
            same_view(value, new[key], reads) for key, value in old.items())
    fields = getattr(kind, "__dataclass_fields__", None)
    return fields is not None and all(
        same_view(getattr(old, name), getattr(new, name), reads) for name in fields)
